/**
 * A translation as the panel's AnalysisResult (src/common/translation.ts layout): one joint token list, the three
 * attentions stacked as 3 × L layers, each in its block with exact zeros elsewhere, q/k/v on the set's rows, and
 * each set's bias, so softmax(q·kᵀ/√d + setBias) over the joint list gives every head again.
 */
import { describe, expect, it } from 'vitest';
import { ATTENTION_SETS, isMaskedInSet, setBlock } from '../../src/common/translation';
import { MASKED_BIAS } from '../../src/common/mask';
import { headVectors, headWeights } from '../../src/pipeline/analyze';
import { translate } from '../../src/translate/greedyTranslate';
import { toJointAnalysis } from '../../src/translate/jointAnalysis';
import { translateToAnalysis } from '../../src/translate/translateAnalysis';
import { bundledRegistry } from '../helpers/bundled';
import { worstFromQk } from './reference';

const registry = bundledRegistry();

describe('toJointAnalysis', () => {
  it('embeds the three attentions, their vectors and biases in the joint list', async () => {
    const m = await registry.get('translation');
    const tok = await registry.translationTokenizer(m);
    const text = 'Delete the selected files?';
    const r = await translate(m, tok, text, { to: 'zh', target: '删除所选文件？' });
    const j = toJointAnalysis(r);
    const S = r.source.ids.length;
    const T = r.target.ids.length;
    const n = S + T;
    const { layers: L, heads: H, headDim: d } = m;
    expect([j.n, j.tokens.length, j.ids.length]).toEqual([n, n, n]);
    expect(j.model).toMatchObject({ kind: 'encoder-decoder', layers: 3 * L, setLayers: L, heads: H });
    expect(j.mask).toBe('full');
    expect(j.translation).toEqual({ to: 'zh', sourceCount: S, targetText: '删除所选文件？', forced: true, partial: false, stop: 'forced' });
    expect(j.tokens.slice(0, S)).toEqual(r.source.tokens);
    expect(j.tokens[S]).toEqual({ text: '<2zh>', start: 0, end: 0, special: true });
    expect(j.attentions.length).toBe(3 * L * H * n * n);
    expect(j.setBiases?.length).toBe(3 * n * n);
    const nn = n * n;
    ATTENTION_SETS.forEach((set, s) => {
      const bias = (j.setBiases as Float32Array).subarray(s * nn, (s + 1) * nn);
      const { queries, keys } = setBlock(set, S, n);
      let wrongBias = 0;
      for (let q = 0; q < n; q++) for (let k = 0; k < n; k++) if ((bias[q * n + k] === 0) === isMaskedInSet(set, S, n, q, k)) wrongBias++;
      expect(wrongBias).toBe(0);
      for (let l = 0; l < L; l++) {
        for (let h = 0; h < H; h++) {
          const layer = s * L + l;
          const w = headWeights(j, layer, h);
          let notZero = 0;
          let worstSum = 0;
          for (let q = 0; q < n; q++) {
            let sum = 0;
            for (let k = 0; k < n; k++) {
              if (isMaskedInSet(set, S, n, q, k) && w[q * n + k] !== 0) notZero++;
              sum += w[q * n + k];
            }
            const inBlock = q >= queries.start && q < queries.end;
            worstSum = Math.max(worstSum, Math.abs(sum - (inBlock ? 1 : 0)));
          }
          expect(notZero).toBe(0);
          expect(worstSum).toBeLessThan(1e-5);
          // The block, from the joint vectors: rows of the set's queries, columns of its keys.
          const rows = queries.end - queries.start;
          const cols = keys.end - keys.start;
          const block = new Float32Array(rows * cols);
          const blockBias = new Float32Array(rows * cols);
          for (let i = 0; i < rows; i++) {
            for (let c = 0; c < cols; c++) {
              block[i * cols + c] = w[(queries.start + i) * n + keys.start + c];
              blockBias[i * cols + c] = bias[(queries.start + i) * n + keys.start + c];
            }
          }
          const qv = headVectors(j, 'queries', layer, h).subarray(queries.start * d, queries.end * d);
          const kv = headVectors(j, 'keys', layer, h).subarray(keys.start * d, keys.end * d);
          expect(worstFromQk(block, qv, kv, blockBias, rows, cols, d)).toBeLessThan(1e-5);
        }
      }
    });
    // Cross-attention's keys and values are the encoder output's: on the source rows; its queries on the target rows.
    const crossLayer = 2 * L;
    const ck = headVectors(j, 'keys', crossLayer, 0);
    expect(Array.from(ck.subarray(0, S * d))).toEqual(Array.from(r.outputs.cross.keys.subarray(0, S * d)));
    expect(ck.subarray(S * d).every((x) => x === 0)).toBe(true);
    const cq = headVectors(j, 'queries', crossLayer, 0);
    expect(cq.subarray(0, S * d).every((x) => x === 0)).toBe(true);
    // `bias` is the cross set's.
    expect(Array.from(j.bias)).toEqual(Array.from((j.setBiases as Float32Array).subarray(2 * nn, 3 * nn)));
    expect(j.bias[0]).toBe(MASKED_BIAS);
  });

  it('translateToAnalysis: partial steps, then the final; undefined when cancelled', async () => {
    const manifest = await registry.get('translation');
    const partials: number[] = [];
    const final = await translateToAnalysis({ registry, manifest, text: 'Print', to: 'zh', onStep: (p) => partials.push(p.translation?.partial ? p.n : -1) });
    expect(final?.translation?.partial).toBe(false);
    expect(partials.every((n, i) => n === (partials[0] as number) + i)).toBe(true);
    expect(final?.n).toBe((partials.at(-1) ?? final!.n - 1) + 1);
    let calls = 0;
    const cancelled = await translateToAnalysis({ registry, manifest, text: 'Print the page', isCancelled: () => ++calls > 3 });
    expect(cancelled).toBeUndefined();
  });
});
