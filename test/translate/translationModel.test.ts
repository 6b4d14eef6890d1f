/**
 * The bundled translation model through the host's runner (real onnxruntime, the real models/translation files):
 * the encoder-decoder contract holds, onnxruntime matches the export's PyTorch reference, greedy decoding writes
 * the reference's tokens, teacher forcing, steps and cancellation. Nothing here names a translation: the model will
 * be re-exported from a better checkpoint, and reference.json comes with it.
 */
import { describe, expect, it } from 'vitest';
import { runModel } from '../../src/model/modelRunner';
import { analyzeText, InputError } from '../../src/pipeline/analyze';
import { CancelledError } from '../../src/pipeline/windows';
import { translate } from '../../src/translate/greedyTranslate';
import { runTranslation } from '../../src/translate/translationRunner';
import type { TranslationOutputs } from '../../src/translate/translationTypes';
import { trainedTranslationBiases } from '../../src/translate/translationBiases';
import { bundledRegistry } from '../helpers/bundled';
import { translationReference, worstFromQk } from './reference';

const registry = bundledRegistry();
const model = () => registry.get('translation');
const tokenizer = async () => registry.translationTokenizer(await model());

const OUTPUT_OF: Record<string, (o: TranslationOutputs) => Float32Array | undefined> = {};
for (const set of ['encoder', 'decoder', 'cross'] as const) {
  for (const part of ['attentions', 'queries', 'keys', 'values'] as const) OUTPUT_OF[`${set}_${part}`] = (o) => o[set][part];
}
OUTPUT_OF.logits = (o) => o.logits;

describe('translation model: the encoder-decoder contract on onnxruntime', () => {
  it('every output matches the PyTorch reference within 1e-4', async () => {
    const ref = translationReference();
    const flat = (m: number[][]) => Float32Array.from(m.flat());
    const out = await runTranslation(
      await model(),
      ref.inputs.input_ids[0],
      ref.inputs.decoder_input_ids[0],
      { encoder: flat(ref.inputs.encoder_attention_bias), decoder: flat(ref.inputs.decoder_attention_bias), cross: flat(ref.inputs.cross_attention_bias) },
      { logits: 'all' },
    );
    expect(Object.keys(ref.outputs).sort()).toEqual(Object.keys(OUTPUT_OF).sort());
    for (const [name, r] of Object.entries(ref.outputs)) {
      const got = OUTPUT_OF[name](out) as Float32Array;
      expect(got.length, name).toBe(r.data.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - r.data[i]));
      expect(worst, name).toBeLessThanOrEqual(1e-4);
    }
  });

  it('rows sum to 1, the decoder is exactly 0 above the diagonal, and softmax(q·kᵀ/√d + bias) gives all three', async () => {
    const m = await model();
    const tok = await tokenizer();
    const source = tok.encodeSource('Open the file in a new window and save your changes.').ids;
    const decoder = [tok.startId('zh'), ...tok.encodeTarget('在新窗口中打开文件并保存更改。')];
    const S = source.length;
    const T = decoder.length;
    const biases = trainedTranslationBiases(S, T);
    const out = await runTranslation(m, source, decoder, biases);
    const { layers: L, heads: H, headDim: d } = m;
    const sets = [
      { t: out.encoder, bias: biases.encoder, rows: S, cols: S, kRows: S },
      { t: out.decoder, bias: biases.decoder, rows: T, cols: T, kRows: T },
      { t: out.cross, bias: biases.cross, rows: T, cols: S, kRows: S },
    ];
    for (const [index, { t, bias, rows, cols }] of sets.entries()) {
      for (let head = 0; head < L * H; head++) {
        const att = t.attentions.subarray(head * rows * cols, (head + 1) * rows * cols);
        for (let i = 0; i < rows; i++) {
          let sum = 0;
          for (let j = 0; j < cols; j++) {
            sum += att[i * cols + j];
            if (index === 1 && j > i) expect(att[i * cols + j]).toBe(0);
          }
          expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
        }
        const q = t.queries.subarray(head * rows * d, (head + 1) * rows * d);
        const k = t.keys.subarray(head * cols * d, (head + 1) * cols * d);
        expect(worstFromQk(att, q, k, bias, rows, cols, d)).toBeLessThan(1e-5);
      }
    }
    expect(out.logits?.length).toBe(m.vocabSize); // 'last' by default: one row
  });

  it('greedy decoding writes the reference tokens (English → Chinese on the held-out pair)', async () => {
    const ref = translationReference();
    const m = await model();
    const tok = await tokenizer();
    expect(tok.encodeSource(ref.pair.en).ids).toEqual(ref.greedy.source);
    const steps: number[] = [];
    const r = await translate(m, tok, ref.pair.en, { to: 'zh', onStep: (p) => steps.push(p.target.ids.length) });
    expect(r.target.ids[0]).toBe(ref.greedy.start);
    expect(r.target.ids.slice(1)).toEqual(ref.greedy.tokens);
    expect(r.partial).toBe(false);
    expect(r.stop === 'eos' || r.stop === 'length').toBe(true);
    if (r.stop === 'eos') expect(r.next?.id).toBe(ref.greedy.eos);
    // One step per generated token, each one decoder input longer; the final pass covers every token.
    expect(steps).toEqual(ref.greedy.tokens.map((_, i) => i + 1));
    expect(r.outputs.targetLength).toBe(r.target.ids.length);
    expect(r.timing.passes).toBe(ref.greedy.tokens.length + 1);
    // The target text is what the tokens spell, each token's range in it.
    const decoded = tok.decodeTarget(r.target.ids);
    expect(r.target.text).toBe(decoded.text);
    expect(r.target.tokens).toEqual(decoded.tokens);
  });

  it('teacher forcing aligns a given translation: one pass, the reference outputs', async () => {
    const ref = translationReference();
    const m = await model();
    const r = await translate(m, await tokenizer(), ref.pair.en, { to: 'zh', target: ref.pair.zh, onStep: () => expect.unreachable() });
    expect([r.forced, r.partial, r.stop, r.timing.passes]).toEqual([true, false, 'forced', 1]);
    expect(r.target.ids).toEqual(ref.inputs.decoder_input_ids[0]);
    expect(r.target.text).toBe(ref.pair.zh);
    expect(r.target.tokens[0]).toEqual({ text: '<2zh>', start: 0, end: 0, special: true });
    const want = ref.outputs.cross_attentions.data;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(r.outputs.cross.attentions[i] - want[i]));
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it('the direction follows the script unless given', async () => {
    const m = await model();
    const tok = await tokenizer();
    const zh = await translate(m, tok, '打开文件', { maxTokens: 1 });
    expect([zh.to, zh.target.ids[0]]).toEqual(['en', tok.ids.to_en]);
    const en = await translate(m, tok, 'Open file', { maxTokens: 1 });
    expect([en.to, en.target.ids[0]]).toEqual(['zh', tok.ids.to_zh]);
    expect((await translate(m, tok, 'Open file', { to: 'en', maxTokens: 1 })).target.ids[0]).toBe(tok.ids.to_en);
  });

  it('a newer selection cancels between passes (a function or an AbortSignal)', async () => {
    const m = await model();
    const tok = await tokenizer();
    let passes = 0;
    const counting = {
      run: () => Promise.reject(new Error('not used')),
      runTranslation: (...args: Parameters<typeof runTranslation>) => {
        passes++;
        return runTranslation(...args);
      },
      dispose: async () => undefined,
    };
    let steps = 0;
    await expect(translate(m, tok, 'Save all open files before closing the window.', { to: 'zh', inference: counting, onStep: () => steps++, cancel: () => steps >= 2 })).rejects.toBeInstanceOf(CancelledError);
    expect([steps, passes]).toEqual([2, 2]);
    const controller = new AbortController();
    controller.abort();
    await expect(translate(m, tok, 'Save', { cancel: controller.signal })).rejects.toBeInstanceOf(CancelledError);
  });

  it('refuses an empty text and a source over the limit, saying the limit in tokens', async () => {
    const m = await model();
    const tok = await tokenizer();
    await expect(translate(m, tok, '  \n')).rejects.toThrow(/The selection is empty/);
    const long = 'word '.repeat(m.maxPositions);
    await expect(translate(m, tok, long)).rejects.toThrow(new RegExp(`reads at most ${m.maxPositions - 1} tokens \\(${m.maxPositions} with its end token\\)`));
    await expect(translate(m, tok, long)).rejects.toBeInstanceOf(InputError);
    await expect(translate(m, tok, 'ok', { target: '好 '.repeat(m.maxPositions) })).rejects.toThrow(/The given translation is \d+ tokens long; .* writes at most/);
  });

  it('the ordinary analysis refuses a translation model by name, before running it', async () => {
    const m = await model();
    await expect(analyzeText(registry, 'Hello', { modelId: 'translation' })).rejects.toThrow(/"translation" is a translation model: use Translate Selection/);
    await expect(analyzeText(registry, 'Hello', { modelId: 'translation' })).rejects.toBeInstanceOf(InputError);
    await expect(runModel(m, [1, 2], new Float32Array(4))).rejects.toThrow(/is a translation model/);
  });
});
