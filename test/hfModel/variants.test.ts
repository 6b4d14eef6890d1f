/**
 * The variants a transformers.js repository ships (fp16 with Casts, int8-quantised MatMuls) and a folder whose
 * weights are external data all load through the same rewrite and give attention close to the fp32 graph's.
 */
import { describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { analyzeText } from '../../src/pipeline/analyze';
import { hfFolder, maxDiff, reference, tempCache } from './hfFixtures';

async function attentionOf(folder: string, variant?: string): Promise<{ ids: number[]; attentions: Float32Array; variant: string | undefined }> {
  const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache(), variants: variant ? { [folder]: variant } : {} });
  const m = await registry.getByFolder(folder);
  const r = await analyzeText(registry, reference('tiny-gpt2').text, { modelId: m.id });
  return { ids: r.ids, attentions: r.attentions, variant: m.variant };
}

describe('tiny-gpt2 variants', () => {
  const folder = hfFolder('tiny-gpt2');

  it('lists model.onnx first and opens it by default', async () => {
    const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache() });
    const m = await registry.getByFolder(folder);
    expect(m.variant).toBe('model.onnx');
    expect(await registry.variants(m.id)).toEqual(['model.onnx', 'model_fp16.onnx', 'model_quantized.onnx']);
  });

  // Measured on the reference text against PyTorch's fp32 attention: fp16 max 8.7e-4; int8 (dynamic quantisation of
  // every MatMul weight, on this tiny random-weight model) max 5.4e-2, mean 3.5e-3. Tolerances leave ~2× room.
  it.each([
    ['model_fp16.onnx', 2e-3, 2e-4],
    ['model_quantized.onnx', 0.1, 1e-2],
  ])('%s gives attention within %s (mean %s) of PyTorch fp32, rows summing to 1', async (variant, tolerance, meanTolerance) => {
    const ref = reference('tiny-gpt2');
    const r = await attentionOf(folder, variant);
    expect(r.variant).toBe(variant);
    expect(r.ids).toEqual(ref.input_ids);
    const diff = maxDiff(ref.attentions, r.attentions);
    const flat = ref.attentions.flat(3);
    const mean = flat.reduce((s, v, i) => s + Math.abs(v - r.attentions[i]), 0) / flat.length;
    console.log(`tiny-gpt2 ${variant}: |onnxruntime − PyTorch fp32| max ${diff.toExponential(2)}, mean ${mean.toExponential(2)}`);
    expect(diff).toBeLessThan(tolerance);
    expect(mean).toBeLessThan(meanTolerance);
    // Not merely close by accident: a variant is a different graph, so some weight differs from fp32.
    expect(diff).toBeGreaterThan(0);
    const n = r.ids.length;
    for (let row = 0; row < r.attentions.length / n; row++) {
      const sum = r.attentions.subarray(row * n, row * n + n).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-2);
    }
  });

  it('an unknown variant is refused, naming what the folder has', async () => {
    const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache(), variants: { [folder]: 'model_q4.onnx' } });
    await expect(registry.getByFolder(folder)).rejects.toThrow(/model_q4\.onnx.*not a model variant.*model\.onnx, model_fp16\.onnx, model_quantized\.onnx/);
  });
});

describe('external data', () => {
  it('tiny-gpt2-external (weights in onnx/model.onnx_data) gives the reference attention', async () => {
    const ref = reference('tiny-gpt2-external');
    const r = await attentionOf(hfFolder('tiny-gpt2-external'));
    expect(r.ids).toEqual(ref.input_ids);
    expect(maxDiff(ref.attentions, r.attentions)).toBeLessThan(1e-4);
  });
});
