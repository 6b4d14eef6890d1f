/** Attention invariants on the real bundled models, through the same pipeline the extension uses. */
import { describe, expect, it } from 'vitest';
import { analyzeText, analyzeWindow, headVectors, headWeights, InputError, tokenizeFor } from '../../src/pipeline/analyze';
import { MASKED_BIAS } from '../../src/common/mask';
import { bundledRegistry, OFFSET_TEXTS } from '../helpers/bundled';

const registry = bundledRegistry();

/** Tokens that split one character share its range: join each distinct range once. */
function joinTokens(tokens: { text: string; start: number; end: number }[]): string {
  let out = '';
  let end = 0;
  for (const t of tokens) {
    if (t.start >= end) out += t.text;
    else if (t.end > end) out += t.text.slice(end - t.start);
    end = Math.max(end, t.end);
  }
  return out;
}
const TEXT = 'Attention lets every token look at the others.\nfunction f(x) { return x * 2; }\n注意力 😀';

describe.each(['encoder', 'causal'])('model %s', (modelId) => {
  it('gives rows that sum to 1 within 1e-5 and tokens that tile the text', async () => {
    const r = await analyzeText(registry, TEXT, { modelId });
    expect(joinTokens(r.tokens)).toBe(TEXT);
    const { layers, heads } = r.model;
    for (let l = 0; l < layers; l++) {
      for (let h = 0; h < heads; h++) {
        const w = headWeights(r, l, h);
        for (let q = 0; q < r.n; q++) {
          let sum = 0;
          for (let k = 0; k < r.n; k++) sum += w[q * r.n + k];
          expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('gives exact zeros above the diagonal under the causal mask (the what-if for the encoder)', async () => {
    const r = await analyzeText(registry, TEXT, { modelId, mask: 'causal' });
    expect(r.mask).toBe('causal');
    expect(r.whatIf).toBe(modelId === 'encoder');
    for (let i = 0; i < r.attentions.length; i++) {
      const q = Math.floor(i / r.n) % r.n;
      const k = i % r.n;
      if (k > q) expect(r.attentions[i]).toBe(0);
    }
  });

  it('reproduces its attentions from queries and keys: softmax(q·kᵀ/√d + bias)', async () => {
    const r = await analyzeText(registry, TEXT, { modelId });
    const d = r.model.headDim;
    let worst = 0;
    for (let l = 0; l < r.model.layers; l++) {
      for (let h = 0; h < r.model.heads; h++) {
        const q = headVectors(r, 'queries', l, h);
        const k = headVectors(r, 'keys', l, h);
        const w = headWeights(r, l, h);
        for (let i = 0; i < r.n; i++) {
          const scores = new Float64Array(r.n);
          let max = -Infinity;
          for (let j = 0; j < r.n; j++) {
            let dot = 0;
            for (let x = 0; x < d; x++) dot += q[i * d + x] * k[j * d + x];
            scores[j] = dot / Math.sqrt(d) + r.bias[i * r.n + j];
            max = Math.max(max, scores[j]);
          }
          let z = 0;
          for (let j = 0; j < r.n; j++) z += Math.exp(scores[j] - max);
          for (let j = 0; j < r.n; j++) worst = Math.max(worst, Math.abs(Math.exp(scores[j] - max) / z - w[i * r.n + j]));
        }
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('pipeline input checks', () => {
  it('refuses an empty selection with a clear message', async () => {
    await expect(analyzeText(registry, '', { modelId: 'encoder' })).rejects.toThrow(InputError);
    await expect(analyzeText(registry, '', { modelId: 'encoder' })).rejects.toThrow(/empty/);
  });

  it('refuses text longer than the model reads, saying how long it is', async () => {
    const long = 'word '.repeat(2000);
    await expect(analyzeText(registry, long, { modelId: 'causal' })).rejects.toThrow(/tokens long; model "causal" reads at most 512/);
  });

  it('analyses a single character, whitespace only, and hostile text', async () => {
    for (const text of ['x', '   \n\t ', '<img src=x onerror=alert(1)></script>', OFFSET_TEXTS.loneSurrogate, OFFSET_TEXTS.control]) {
      const r = await analyzeText(registry, text, { modelId: 'encoder' });
      expect(joinTokens(r.tokens)).toBe(text);
    }
  });

  it('analyses binary file content (as an editor decodes it) with exact offsets, window by window', async () => {
    const bytes = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24); // deterministic "random" bytes
    for (const text of [new TextDecoder('utf-8').decode(bytes), new TextDecoder('latin1').decode(bytes)]) {
      const manifest = await registry.get('causal');
      const tokens = await tokenizeFor(registry, manifest, text);
      const { result, window } = await analyzeWindow(manifest, text, tokens, 0, 'default');
      expect(window.count).toBeGreaterThanOrEqual(1);
      for (const t of result.tokens) expect(result.text.slice(t.start, t.end)).toBe(t.text);
    }
  });

  it('names an unknown model and lists the available ones', async () => {
    await expect(analyzeText(registry, 'hi', { modelId: 'gpt-9' })).rejects.toThrow(/No model "gpt-9" \(available: causal, encoder, translation\)/);
  });

  it('uses the masked-cell value the contract asks for', () => {
    expect(MASKED_BIAS).toBeLessThanOrEqual(-1e9);
  });
});
