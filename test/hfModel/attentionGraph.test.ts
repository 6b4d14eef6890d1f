/** Where the attention is found in a graph, and the rewritten graph's outputs. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttentionGraphError, exposeAttention, findAttention, layerFromName } from '../../src/hfModel/attentionGraph';
import { readOnnxGraph } from '../../src/hfModel/onnxGraphRead';
import { hfFeeds } from '../../src/hfModel/hfRunner';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { loadOrt, openSession, SESSION_OPTIONS } from '../../src/model/modelRunner';
import { graphSignature } from '../../src/model/onnxProto';
import { hfFolder, tempCache } from './hfFixtures';

const bytes = (name: string, file = 'model.onnx'): Uint8Array => new Uint8Array(readFileSync(path.join(hfFolder(name), 'onnx', file)));

describe('attention in a graph', () => {
  it('layer numbers come from TorchScript module paths', () => {
    expect(layerFromName('/model/layers.3/self_attn/Softmax')).toBe(3);
    expect(layerFromName('/transformer/h.5/attn/Softmax')).toBe(5);
    expect(layerFromName('/bert/encoder/layer.2/attention/self/Softmax')).toBe(2);
    expect(layerFromName('/model/layers.12/mlp/Softmax_router')).toBe(12);
    expect(layerFromName('/lm_head/Softmax')).toBeUndefined();
    expect(layerFromName('/heads.1/Softmax')).toBeUndefined();
  });

  it.each([
    ['tiny-gpt2', 3],
    ['tiny-bert', 2],
    ['tiny-llama', 2],
  ])('%s: one Softmax per layer, in module-path order', (name, layers) => {
    const model = bytes(name);
    const sites = findAttention(model, readOnnxGraph(model), 'f', layers);
    expect(sites.order).toBe('module path');
    expect(sites.tensors.map((t) => /\.(\d+)\//.exec(t)?.[1])).toEqual(Array.from({ length: layers }, (_, i) => String(i)));
  });

  it('a count that differs from config.json is an error naming both', () => {
    const model = bytes('tiny-gpt2');
    expect(() => findAttention(model, readOnnxGraph(model), 'x/model.onnx', 4)).toThrow(/x\/model\.onnx: has 3 attention Softmax node\(s\) .* config\.json says 4 layers/);
  });

  it('the rewrite declares attentions.N (float32) and keeps only what they and the kept outputs need', () => {
    const model = bytes('tiny-gpt2');
    const attentionOnly = exposeAttention(model, 'f', 3, { keepOutputs: [] });
    expect(graphSignature(attentionOnly.bytes).outputs).toEqual(['attentions.0', 'attentions.1', 'attentions.2']);
    expect(attentionOnly.cast).toBe(0); // float32 Softmax outputs are renamed, not copied
    const withLogits = exposeAttention(model, 'f', 3, { keepOutputs: ['logits'] });
    expect(graphSignature(withLogits.bytes).outputs).toEqual(['logits', 'attentions.0', 'attentions.1', 'attentions.2']);
    // A rewritten graph is found again by its outputs.
    const again = findAttention(attentionOnly.bytes, readOnnxGraph(attentionOnly.bytes), 'f', 3);
    expect(again).toMatchObject({ existing: true, order: 'existing outputs', tensors: ['attentions.0', 'attentions.1', 'attentions.2'] });
  });

  it('an fp16 graph gets a Cast to float32 per layer', () => {
    const r = exposeAttention(bytes('tiny-gpt2', 'model_fp16.onnx'), 'f', 3, { keepOutputs: [] });
    expect(r.cast).toBe(3);
    expect(graphSignature(r.bytes).outputs).toEqual(['attentions.0', 'attentions.1', 'attentions.2']);
  });

  it('a fused attention op is named, with how to export without fusion', () => {
    const model = new Uint8Array(readFileSync(path.join(hfFolder('bad'), 'fused-attention', 'onnx', 'model.onnx')));
    expect(() => findAttention(model, readOnnxGraph(model), 'f', 2)).toThrow(AttentionGraphError);
    expect(() => findAttention(model, readOnnxGraph(model), 'f', 2)).toThrow(/com\.microsoft\.Attention.*without `--optimize`/);
  });
});

describe('attention_bias added before each Softmax', () => {
  it.each(['model.onnx', 'model_fp16.onnx'])('tiny-gpt2 %s: hiding key 0 from every later query renormalises layer 0 over the rest', async (variant) => {
    const r = exposeAttention(bytes('tiny-gpt2', variant), 'f', 3, { keepOutputs: [], attentionBias: true });
    expect(r.biasInput).toBe(true);
    expect(graphSignature(r.bytes).inputs).toContain('attention_bias');
    const folder = hfFolder('tiny-gpt2');
    const m = await new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache() }).getByFolder(folder);
    const ort = await loadOrt();
    const session = await openSession(r.bytes, SESSION_OPTIONS);
    const ids = [5, 9, 13, 200, 7, 42];
    const n = ids.length;
    const run = async (bias: Float32Array): Promise<Float32Array> => {
      const out = await session.run(hfFeeds(ort, session, m, ids, bias), ['attentions.0']);
      return out['attentions.0'].data as Float32Array;
    };
    const plain = await run(new Float32Array(n * n));
    const bias = new Float32Array(n * n);
    for (let q = 1; q < n; q++) bias[q * n] = -1e9;
    const hidden = await run(bias);
    let worst = 0;
    for (let h = 0; h < m.heads; h++) {
      for (let q = 1; q < n; q++) {
        const row = plain.subarray((h * n + q) * n, (h * n + q + 1) * n);
        const rest = row.reduce((a, b) => a + b, 0) - row[0];
        for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs(hidden[(h * n + q) * n + k] - (k === 0 ? 0 : row[k] / rest)));
      }
    }
    await session.release();
    // fp16 scores and probabilities round to ~1e-3 relative.
    expect(worst).toBeLessThan(variant === 'model.onnx' ? 1e-5 : 5e-3);
  });
});
