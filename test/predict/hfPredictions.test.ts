/**
 * Predictions and generation for Hugging Face folders, with real onnxruntime on the fixtures: GPT-2 and Llama
 * (causal LM heads), BERT (MLM head), and a BERT export without its head. Each expectation is checked against
 * the test's own run of the graph with logits (or PyTorch's reference logits), not against the code under test.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHfModel } from '../../src/hfModel/hfRunner';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { continuation, promptForGeneration } from '../../src/predict/continuation';
import { generate } from '../../src/predict/generate';
import { maskFillPredictions, predictionContext, predictionsForAll } from '../../src/predict/predictions';
import { NoLogitsError, SpecialPositionError } from '../../src/predict/specialTokens';
import { tokenText } from '../../src/predict/tokenText';
import { hfFolder, reference, tempCache } from '../hfModel/hfFixtures';

const NO_LOGITS = path.join(__dirname, 'fixtures', 'bert-no-logits');

async function open(folder: string) {
  const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache() });
  const manifest = await registry.getByFolder(folder);
  const tokenizer = await registry.textTokenizer(manifest);
  return { manifest, tokenizer, ctx: await predictionContext(manifest, tokenizer) };
}

function softmax(row: ArrayLike<number>): number[] {
  const xs = Array.from(row);
  const max = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - max));
  const sum = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / sum);
}

/** The test's own run of the graph with logits: row `position` of [1, n, vocab]. */
async function logitsRowOf(manifest: Awaited<ReturnType<typeof open>>['manifest'], ids: number[], position: number): Promise<Float32Array> {
  const out = await runHfModel(manifest, ids, new Float32Array(ids.length * ids.length), { logits: true });
  const vocab = (out.logits as Float32Array).length / ids.length;
  return (out.logits as Float32Array).slice(position * vocab, (position + 1) * vocab);
}

/** Ids of tokenizer.json's added_tokens, read by the test itself (never produced by a generation but the stop one). */
function addedIds(folder: string): number[] {
  const json = JSON.parse(readFileSync(path.join(folder, 'tokenizer.json'), 'utf8')) as { added_tokens: { id: number }[] };
  return json.added_tokens.map((t) => t.id);
}

/** Greedy decoding as the test computes it: argmax of the last row, added tokens except `stop` left out. */
async function argmaxLoop(folder: string, manifest: Awaited<ReturnType<typeof open>>['manifest'], prompt: number[], n: number, stop: number | undefined): Promise<number[]> {
  const skip = new Set(addedIds(folder).filter((id) => id !== stop));
  const ids = prompt.slice();
  const out: number[] = [];
  while (out.length < n) {
    const row = await logitsRowOf(manifest, ids, ids.length - 1);
    let best = -1;
    for (let id = 0; id < row.length; id++) if (!skip.has(id) && (best < 0 || row[id] > row[best])) best = id;
    if (best === stop) break;
    out.push(best);
    ids.push(best);
  }
  return out;
}

describe('Hugging Face causal models', () => {
  it('tiny-gpt2: next-token probabilities at the last position = softmax of PyTorch’s logits (1e-4)', async () => {
    const { ctx, tokenizer } = await open(hfFolder('tiny-gpt2'));
    const ref = reference('tiny-gpt2');
    const ids = tokenizer.encode(ref.text).map((t) => t.id);
    expect(ids).toEqual(ref.input_ids);
    const all = await predictionsForAll(ctx, ids, 8, 1);
    expect(all).toHaveLength(ids.length);
    const expected = softmax(ref.logits_last as number[]);
    const last = all[ids.length - 1];
    expect(last.actual).toBeUndefined(); // nothing follows the last token
    const byP = expected.map((p, id) => ({ id, p })).sort((a, b) => b.p - a.p || a.id - b.id);
    expect(last.top.map((t) => t.id)).toEqual(byP.slice(0, 8).map((t) => t.id));
    for (const t of last.top) expect(Math.abs(t.p - expected[t.id])).toBeLessThan(1e-4);
    // Byte-level pieces read as their text ("Ġon" → " on").
    for (const t of last.top) expect(t.text).toBe(new TextDecoder().decode(tokenizer.tokenBytes(t.id)));
    // An earlier position's "actual" is the token that really follows.
    expect(all[2].actual?.id).toBe(ids[3]);
  });

  it('tiny-gpt2: greedy generation = the test’s own argmax loop; a seeded sample repeats', async () => {
    const folder = hfFolder('tiny-gpt2');
    const { ctx, manifest, tokenizer } = await open(folder);
    const text = 'The cat sat on the';
    const prompt = promptForGeneration(tokenizer.encode(text));
    const ids = prompt.map((t) => t.id);
    const greedy = await generate(ctx, ids, { tokens: 4, temperature: 0 });
    const again = await generate(ctx, ids, { tokens: 4, temperature: 0 });
    expect(greedy.generated.map((g) => g.id)).toEqual(again.generated.map((g) => g.id));
    expect(greedy.generated.length === 4 || greedy.stoppedBy === 'stopToken').toBe(true);
    expect(greedy.generated.map((g) => g.id)).toEqual(await argmaxLoop(folder, manifest, ids, 4, tokenizer.special.eos));
    const a = await generate(ctx, ids, { tokens: 5, temperature: 1.2, topK: 50, seed: 9 });
    const b = await generate(ctx, ids, { tokens: 5, temperature: 1.2, topK: 50, seed: 9 });
    expect(a.generated.map((g) => g.id)).toEqual(b.generated.map((g) => g.id));
    const added = new Set(addedIds(folder));
    for (const g of a.generated) expect(added.has(g.id)).toBe(false);
    // The generated text is the tokens' bytes joined; the continuation puts every token after the prompt.
    const joined = new TextDecoder().decode(Uint8Array.from(a.generated.flatMap((g) => Array.from(tokenizer.tokenBytes(g.id)))));
    expect(a.text).toBe(joined);
    const whole = continuation(text, prompt, a.generated);
    expect(whole.text).toBe(text + a.text);
    expect(whole.firstGenerated).toBe(ids.length);
  });

  it('tiny-llama: <s> stays as prompt, never counted as generated; greedy = the argmax loop; "▁" pieces read as spaces', async () => {
    const folder = hfFolder('tiny-llama');
    const { ctx, manifest, tokenizer } = await open(folder);
    const text = 'The cat sat on the';
    const tokens = tokenizer.encode(text);
    expect(tokens[0].special).toBe(true); // <s>
    const prompt = promptForGeneration(tokens);
    expect(prompt).toHaveLength(tokens.length); // nothing is added after the text
    const ids = prompt.map((t) => t.id);
    const greedy = await generate(ctx, ids, { tokens: 4, temperature: 0 });
    expect(greedy.generated.map((g) => g.id)).toEqual(await argmaxLoop(folder, manifest, ids, 4, tokenizer.special.eos));
    expect(greedy.generated[0]?.position ?? ids.length).toBe(ids.length);
    const whole = continuation(text, prompt, greedy.generated);
    expect(whole.firstGenerated).toBe(ids.length);
    expect(whole.tokens.slice(whole.firstGenerated).map((t) => t.id)).toEqual(greedy.generated.map((g) => g.id));
    const theId = tokenizer.idOf('▁the');
    expect(theId).toBeDefined();
    expect(tokenText(tokenizer, ctx.special, theId as number)).toBe(' the');
  });

  it('a trailing special token is left out of the prompt; a leading one stays', () => {
    const t = (id: number, special?: boolean) => ({ id, piece: '', start: 0, end: 0, ...(special ? { special } : {}) });
    expect(promptForGeneration([t(2, true), t(5), t(6), t(3, true)]).map((x) => x.id)).toEqual([2, 5, 6]);
    expect(promptForGeneration([t(5), t(6)]).map((x) => x.id)).toEqual([5, 6]);
  });
});

describe('Hugging Face encoder (tiny-bert)', () => {
  it('mask fill at a position = softmax of the test’s own run with [MASK] there', async () => {
    const { ctx, manifest, tokenizer } = await open(hfFolder('tiny-bert'));
    const ids = tokenizer.encode(reference('tiny-bert').text).map((t) => t.id);
    const mask = tokenizer.special.mask as number;
    expect(tokenizer.pieceOf(mask)).toBe('[MASK]');
    const position = 3;
    const { predictions, maskedIds } = await maskFillPredictions(ctx, ids, position, 6, 1);
    expect(maskedIds[position]).toBe(mask);
    const masked = ids.slice();
    masked[position] = mask;
    const expected = softmax(await logitsRowOf(manifest, masked, position));
    const byP = expected.map((p, id) => ({ id, p })).sort((a, b) => b.p - a.p || a.id - b.id);
    expect(predictions.top.map((t) => t.id)).toEqual(byP.slice(0, 6).map((t) => t.id));
    for (const t of predictions.top) expect(Math.abs(t.p - expected[t.id])).toBeLessThan(1e-6);
    expect(predictions.actual?.id).toBe(ids[position]);
    expect(Math.abs((predictions.actual?.p ?? -1) - expected[ids[position]])).toBeLessThan(1e-6);
  });

  it('[CLS] and [SEP] positions get no fillers, with the reason', async () => {
    const { ctx, tokenizer } = await open(hfFolder('tiny-bert'));
    const ids = tokenizer.encode('the cat sat').map((t) => t.id);
    await expect(maskFillPredictions(ctx, ids, 0, 5)).rejects.toThrow(SpecialPositionError);
    await expect(maskFillPredictions(ctx, ids, 0, 5)).rejects.toThrow(/Token 0 is \[CLS\], a special token/);
    const all = await predictionsForAll(ctx, ids, 3, 1);
    expect(all[0].top).toEqual([]);
    expect(all[0].unavailable).toMatch(/\[CLS\]/);
    expect(all[ids.length - 1].unavailable).toMatch(/\[SEP\]/);
    for (const p of all.slice(1, -1)) {
      expect(p.unavailable).toBeUndefined();
      expect(p.top).toHaveLength(3);
    }
  });

  it('WordPiece pieces read naturally: "##t" as the continuation "t", a word start with its space', async () => {
    const { ctx, tokenizer } = await open(hfFolder('tiny-bert'));
    const cont = tokenizer.idOf('##t') as number;
    const word = tokenizer.idOf('the') as number;
    expect(tokenText(tokenizer, ctx.special, cont)).toBe('t');
    expect(tokenText(tokenizer, ctx.special, word)).toBe(' the');
    expect(tokenText(tokenizer, ctx.special, tokenizer.special.mask as number)).toBe('[MASK]');
  });

  it('an export without a "logits" output: predictions unavailable in one sentence', async () => {
    const { ctx, tokenizer } = await open(NO_LOGITS);
    const ids = tokenizer.encode('the cat sat').map((t) => t.id);
    const failure = maskFillPredictions(ctx, ids, 1, 5);
    await expect(failure).rejects.toThrow(NoLogitsError);
    await expect(failure).rejects.toThrow(/^Predictions are not available for model "[^"]+": .*model\.onnx has no "logits" output \(it was exported without its language-model head\)\.$/);
  });
});
