/**
 * Plain Hugging Face exports run through the real pipeline (registry → tokenizer → runner → onnxruntime-node) give
 * the attention PyTorch computed for the same text (reference.json in each fixture).
 */
import { describe, expect, it } from 'vitest';
import { toModelInfo } from '../../src/model/modelManifest';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { analyzeText } from '../../src/pipeline/analyze';
import { hfFolder, maxDiff, reference, tempCache } from './hfFixtures';

const FIXTURES = [
  { name: 'tiny-gpt2', kind: 'causal', order: 'module path' },
  { name: 'tiny-bert', kind: 'encoder', order: 'module path' },
  { name: 'tiny-llama', kind: 'causal', order: 'module path' },
] as const;

describe.each(FIXTURES)('$name', ({ name, kind }) => {
  it('gives the attention PyTorch gives, rows summing to 1, causal rows zero after the diagonal', async () => {
    const registry = new ModelRegistry([], { extraFolders: [hfFolder(name)], cacheFolder: tempCache() });
    const manifest = await registry.getByFolder(hfFolder(name));
    expect(manifest.source).toBe('hf');
    expect(manifest.kind).toBe(kind);
    expect(manifest.capabilities).toEqual({ vectors: false, anyMask: kind === 'encoder' });
    expect(toModelInfo(manifest).capabilities).toEqual({ vectors: false, anyMask: kind === 'encoder' });
    const ref = reference(name);
    const r = await analyzeText(registry, ref.text, { modelId: manifest.id });
    // The tokenizer gives the ids PyTorch was run on (special tokens included), so the comparison is like for like.
    expect(r.ids).toEqual(ref.input_ids);
    const diff = maxDiff(ref.attentions, r.attentions);
    console.log(`${name}: max |onnxruntime − PyTorch| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    const n = r.n;
    for (let row = 0; row < r.attentions.length / n; row++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += r.attentions[row * n + k];
      expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      if (kind === 'causal') {
        const q = row % n;
        for (let k = q + 1; k < n; k++) expect(r.attentions[row * n + k]).toBe(0);
      }
    }
    expect(r.queries.length).toBe(0);
  });
});

describe('what-if mask on an encoder export (attention_bias added before each Softmax)', () => {
  it('tiny-bert under a causal mask: layer 0 is its full-mask attention renormalised over the keys up to each query', async () => {
    const registry = new ModelRegistry([], { extraFolders: [hfFolder('tiny-bert')], cacheFolder: tempCache() });
    const m = await registry.getByFolder(hfFolder('tiny-bert'));
    expect(m.capabilities.anyMask).toBe(true);
    const ref = reference('tiny-bert');
    const full = await analyzeText(registry, ref.text, { modelId: m.id });
    // With the zero bias of its own mask the attention is still PyTorch's.
    expect(maxDiff(ref.attentions, full.attentions)).toBeLessThan(1e-4);
    const causal = await analyzeText(registry, ref.text, { modelId: m.id, mask: 'causal' });
    expect([causal.mask, causal.whatIf]).toEqual(['causal', true]);
    const n = causal.n;
    // Layer 0's scores depend only on the embeddings, so masking keys after q only renormalises row q.
    let worst = 0;
    for (let h = 0; h < m.heads; h++) {
      for (let q = 0; q < n; q++) {
        const row = full.attentions.subarray((h * n + q) * n, (h * n + q + 1) * n);
        const kept = row.subarray(0, q + 1).reduce((a, b) => a + b, 0);
        for (let k = 0; k < n; k++) {
          const got = causal.attentions[(h * n + q) * n + k];
          const want = k <= q ? row[k] / kept : 0;
          worst = Math.max(worst, Math.abs(got - want));
        }
      }
    }
    expect(worst).toBeLessThan(1e-5);
    // Later layers differ from the full-mask run (the what-if changed what they read) and stay causal.
    const last = (m.layers - 1) * m.heads * n * n;
    expect(maxDiff([[[Array.from(full.attentions.subarray(last, last + n * n))]]], causal.attentions.subarray(last, last + n * n))).toBeGreaterThan(1e-3);
    for (let q = 0; q < n; q++) for (let k = q + 1; k < n; k++) expect(causal.attentions[last + q * n + k]).toBe(0);
  });
});
