/**
 * Predictions against the model itself (real onnxruntime-node, real bundled models): the top-K equal a softmax of
 * the logits computed here; the encoder's fillers equal a run with the mask token at that position.
 */
import { describe, expect, it } from 'vitest';
import { buildAttentionBias } from '../../src/attention/mask';
import { runModel } from '../../src/model/modelRunner';
import { softmaxWithTemperature, topK } from '../../src/predict/distribution';
import { attentionChangeAt, maskFillPredictions, nextTokenPredictionsFromLogits, predictionContext, predictionsForAll } from '../../src/predict/predictions';
import { NoMaskTokenError, parseSpecialTokens } from '../../src/predict/specialTokens';
import { bundledRegistry } from '../helpers/bundled';

const registry = bundledRegistry();
const TEXT = 'The cat sat on the mat because it was warm.';

/** The test's own softmax of one logits row, in float64, without the module under test. */
function referenceSoftmax(logits: Float32Array, position: number, vocab: number, temperature: number): number[] {
  const row = Array.from(logits.subarray(position * vocab, (position + 1) * vocab), (x) => x / temperature);
  const max = Math.max(...row);
  const exps = row.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

async function context(id: string) {
  const manifest = await registry.get(id);
  const tokenizer = await registry.tokenizer(manifest);
  return { ctx: await predictionContext(manifest, tokenizer), ids: tokenizer.encode(TEXT).map((t) => t.id), manifest };
}

describe('causal next-token predictions', () => {
  it('equal a softmax of the model logits, at temperature 1 and 0.5, with the real next token probability', async () => {
    const { ctx, ids, manifest } = await context('causal');
    const out = await runModel(manifest, ids, buildAttentionBias(ids.length, 'causal'), { logits: true });
    const vocab = manifest.vocabSize as number;
    for (const temperature of [1, 0.5]) {
      const preds = nextTokenPredictionsFromLogits(ctx, ids, out.logits as Float32Array, 5, temperature);
      expect(preds).toHaveLength(ids.length);
      for (const pos of [0, 3, ids.length - 1]) {
        const ref = referenceSoftmax(out.logits as Float32Array, pos, vocab, temperature);
        const refTop = ref.map((p, id) => ({ id, p })).sort((a, b) => b.p - a.p || a.id - b.id).slice(0, 5);
        expect(preds[pos].top.map((t) => t.id)).toEqual(refTop.map((t) => t.id));
        preds[pos].top.forEach((t, i) => expect(t.p).toBeCloseTo(refTop[i].p, 9));
        if (pos < ids.length - 1) expect(preds[pos].actual?.p).toBeCloseTo(ref[ids[pos + 1]], 9);
        else expect(preds[pos].actual).toBeUndefined();
      }
    }
    // Sharper at low temperature: the top token gains.
    const t1 = nextTokenPredictionsFromLogits(ctx, ids, out.logits as Float32Array, 1, 1)[2].top[0].p;
    const tHalf = nextTokenPredictionsFromLogits(ctx, ids, out.logits as Float32Array, 1, 0.5)[2].top[0].p;
    expect(tHalf).toBeGreaterThan(t1);
  });

  it('predictionsForAll runs the model with logits once and gives the same numbers', async () => {
    const { ctx, ids } = await context('causal');
    const all = await predictionsForAll(ctx, ids, 3);
    expect(all).toHaveLength(ids.length);
    expect(all[1].top[0].text.length).toBeGreaterThan(0);
    expect(all[1].top[0].p).toBeGreaterThanOrEqual(all[1].top[1].p);
  });
});

describe('encoder mask fill', () => {
  it('equals a run of the model with <mask> at that position', async () => {
    const { ctx, ids, manifest } = await context('encoder');
    expect(ctx.special.maskId).toBe(8191);
    const position = 4;
    const { predictions, maskedIds } = await maskFillPredictions(ctx, ids, position, 5);
    expect(maskedIds[position]).toBe(8191);
    expect(maskedIds.filter((id, i) => id !== ids[i])).toEqual([8191]);
    // The test's own masked run.
    const own = ids.slice();
    own[position] = 8191;
    const out = await runModel(manifest, own, buildAttentionBias(own.length, 'full'), { logits: true });
    const ref = referenceSoftmax(out.logits as Float32Array, position, manifest.vocabSize as number, 1);
    const refTop = ref.map((p, id) => ({ id, p })).sort((a, b) => b.p - a.p || a.id - b.id).slice(0, 5);
    expect(predictions.top.map((t) => t.id)).toEqual(refTop.map((t) => t.id));
    predictions.top.forEach((t, i) => expect(t.p).toBeCloseTo(refTop[i].p, 9));
    expect(predictions.actual?.id).toBe(ids[position]);
    expect(predictions.actual?.p).toBeCloseTo(ref[ids[position]], 9);
  });

  it('the attention change at the masked position equals the test\'s own runs (row and column of one head)', async () => {
    const { ctx, ids, manifest } = await context('encoder');
    const position = 4;
    const { outputs } = await maskFillPredictions(ctx, ids, position, 5);
    const own = ids.slice();
    own[position] = 8191;
    const before = await runModel(manifest, ids, buildAttentionBias(ids.length, 'full'));
    const after = await runModel(manifest, own, buildAttentionBias(own.length, 'full'));
    const n = ids.length;
    const [layer, head] = [manifest.layers - 1, 1];
    const change = attentionChangeAt(before.attentions, outputs.attentions, n, manifest.heads, layer, head, position);
    const at = (a: Float32Array, q: number, k: number): number => a[((layer * manifest.heads + head) * n + q) * n + k];
    for (let i = 0; i < n; i++) {
      expect(Math.abs(change.from.before[i] - at(before.attentions, position, i))).toBeLessThan(1e-4);
      expect(Math.abs(change.from.after[i] - at(after.attentions, position, i))).toBeLessThan(1e-4);
      expect(Math.abs(change.to.before[i] - at(before.attentions, i, position))).toBeLessThan(1e-4);
      expect(Math.abs(change.to.after[i] - at(after.attentions, i, position))).toBeLessThan(1e-4);
    }
    expect(change.from.after.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(change.from.after.some((x, i) => Math.abs(x - change.from.before[i]) > 1e-3)).toBe(true);
  });

  it('says clearly when a tokenizer has no mask token', async () => {
    const { ctx, ids } = await context('encoder');
    const noMask = { ...ctx, special: parseSpecialTokens('{"added_tokens":[{"id":1,"content":"<pad>"}]}', 'tokenizer.json') };
    await expect(maskFillPredictions(noMask, ids, 0, 5)).rejects.toThrow(NoMaskTokenError);
    await expect(maskFillPredictions(noMask, ids, 0, 5)).rejects.toThrow(/has no mask token/);
  });
});

describe('distribution helpers', () => {
  it('topK is the sorted head of the distribution; softmax sums to 1; temperature must be positive', () => {
    const p = softmaxWithTemperature([1, 3, 2, 3], 1);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(topK(p, 3).map((t) => t.id)).toEqual([1, 3, 2]);
    expect(() => softmaxWithTemperature([1, 2], 0)).toThrow(RangeError);
  });
});
