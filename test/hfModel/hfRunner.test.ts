/**
 * Plain Hugging Face exports run through the real pipeline (registry → tokenizer → runner → onnxruntime-node) give
 * the attention PyTorch computed for the same text (reference.json in each fixture).
 */
import { describe, expect, it } from 'vitest';
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
    expect(manifest.capabilities).toEqual({ vectors: false, anyMask: false });
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
