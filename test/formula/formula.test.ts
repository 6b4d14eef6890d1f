/**
 * The computation view's formula steps, checked on the real bundled models with onnxruntime-node: for every layer,
 * every head and every query token of a text written here (not one of the repo's samples), each step's numbers
 * equal the model's own tensors within 1e-4 — X → Q, K, V (LayerNorm, then W_Q, W_K, W_V with their biases), the
 * rotary rotation (against `queries`/`keys`, which are after it), q·k/√d_k + mask → softmax (against `attentions`),
 * Σ weight·v of every head → concat · W_O + b_O (against the attention block's output) → the residual sum.
 * The largest error of each step over all heads is printed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FORMULA_TOLERANCE, distanceScores, dot, formulaErrors, rotate } from '../../src/common/formula';
import { headIndex } from '../../src/common/heads';
import { formulaModelFrom } from '../../src/formula/formulaModel';
import { formulaFor, formulaRecord, formulaRun, releaseFormulaSessions, type FormulaRun } from '../../src/formula/formulaRunner';
import { analyzeText } from '../../src/pipeline/analyze';
import { readFloatInitializers, withExtraOutputs, graphSignature } from '../../src/model/onnxProto';
import { computeRow } from '../../webview/computation';
import { bundledRegistry, MODELS_DIR } from '../helpers/bundled';

const registry = bundledRegistry();
// Written for this test: punctuation, a repeated word and a number, so heads have something to look at.
const TEXT = 'Seven gulls circled the harbour; the oldest gull landed twice, then 14 more followed it home.';

afterAll(() => releaseFormulaSessions());

describe('formula steps against the model', () => {
  const worst: Record<string, Record<string, number>> = {};
  for (const id of ['encoder', 'causal']) {
    it(`${id}: every step of every head and token matches the model within 1e-4`, async () => {
      const r = await analyzeText(registry, TEXT, { modelId: id });
      const run = (await formulaRun(r)) as FormulaRun;
      expect('tensors' in run).toBe(true);
      const max = { layerNorm: 0, qkv: 0, rotary: 0, softmax: 0, projection: 0, residual: 0 };
      const d = r.model.headDim;
      for (let layer = 0; layer < r.model.layers; layer++) {
        for (let i = 0; i < r.n; i++) {
          const rec = formulaRecord(r, run, layer, i);
          const e = formulaErrors(rec);
          for (const k of ['layerNorm', 'qkv', 'rotary', 'projection', 'residual'] as const) max[k] = Math.max(max[k], e[k]);
          for (let h = 0; h < r.model.heads; h++) {
            const at = headIndex(layer, h, r.model.heads);
            const slice = (a: Float32Array, size: number) => a.subarray(at * size, (at + 1) * size);
            const c = computeRow(
              { queries: slice(r.queries, r.n * d), keys: slice(r.keys, r.n * d), values: slice(r.values, r.n * d), attention: slice(r.attentions, r.n * r.n), bias: r.bias },
              r.n,
              d,
              i,
            );
            max.softmax = Math.max(max.softmax, c.maxDiff);
            // The head's output in step 4 is step 3's Σ weight·v.
            const hr = rec.heads[h];
            for (let k = 0; k < d; k++) expect(Math.abs(hr.output[k] - c.output[k])).toBeLessThan(1e-5);
            // The plot at the pair's own distance is the rotated pair's score.
            const delta = i - hr.key;
            if (delta >= 0 && delta < hr.distancePlot.length) expect(Math.abs(hr.distancePlot[delta] - dot(hr.qRot, hr.kRot))).toBeLessThan(1e-4);
          }
        }
      }
      worst[id] = max;
      console.log(`largest check error per step over all heads, ${id} (${r.n} tokens): ${Object.entries(max).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
      for (const v of Object.values(max)) expect(v).toBeLessThanOrEqual(FORMULA_TOLERANCE);
    }, 120_000);
  }

  it('formulaFor answers one layer and token, and says why for a bad one', async () => {
    const r = await analyzeText(registry, TEXT, { modelId: 'causal' });
    const p = await formulaFor(r, 2, 3);
    expect(p.ok).toBe(true);
    if (p.ok) {
      expect(p.record.heads).toHaveLength(r.model.heads);
      expect(p.record.heads[0].distancePlot).toHaveLength(65);
    }
    expect((await formulaFor(r, 9, 0)).ok).toBe(false);
  });
});

describe('reading the graph', () => {
  it('finds every layer of both bundled models (float16 weights behind a Cast, or float32)', () => {
    for (const id of ['encoder', 'causal']) {
      const bytes = new Uint8Array(readFileSync(path.join(MODELS_DIR, id, 'model.onnx')));
      const m = formulaModelFrom(bytes, { layers: 4, dModel: 256, positional: 'rotary' });
      expect(m.ok).toBe(true);
      const w = readFloatInitializers(bytes, ['model.blocks.0.attn.qkv.weight']).get('model.blocks.0.attn.qkv.weight');
      expect(w?.dims).toEqual([768, 256]);
      expect(w!.data.some((x) => x !== 0)).toBe(true);
    }
  });

  it('says why when a model lacks the weights or is not rotary', () => {
    const bytes = new Uint8Array(readFileSync(path.join(MODELS_DIR, 'causal', 'model.onnx')));
    expect(formulaModelFrom(bytes, { layers: 4, dModel: 256, positional: 'sinusoidal' })).toMatchObject({ ok: false, reason: 'notRotary' });
    // A layer the model does not have: its weights are missing, and the reason names the initializer.
    const missing = formulaModelFrom(bytes, { layers: 5, dModel: 256, positional: 'rotary' });
    expect(missing).toMatchObject({ ok: false, reason: 'noWeights' });
    expect(!missing.ok && missing.detail).toContain('model.blocks.4.ln1.weight');
  });

  it('adds outputs without touching the existing ones', () => {
    const bytes = new Uint8Array(readFileSync(path.join(MODELS_DIR, 'encoder', 'model.onnx')));
    const out = withExtraOutputs(bytes, ['/blocks.0/ln1/LayerNormalization_output_0'], ['logits']);
    expect(graphSignature(out).outputs).toEqual(['attentions', 'queries', 'keys', 'values', '/blocks.0/ln1/LayerNormalization_output_0']);
  });

  it('rotation: R(0) is the identity, norms are kept, and the score depends on the distance only', () => {
    const q = Array.from({ length: 32 }, (_, c) => Math.sin(c + 1));
    const k = Array.from({ length: 32 }, (_, c) => Math.cos(3 * c));
    expect(rotate(q, 0)).toEqual(q);
    expect(Math.abs(dot(rotate(q, 17), rotate(q, 17)) - dot(q, q))).toBeLessThan(1e-5);
    expect(Math.abs(dot(rotate(q, 30), rotate(k, 20)) - dot(rotate(q, 110), rotate(k, 100)))).toBeLessThan(1e-3);
    expect(Math.abs(distanceScores(q, k)[10] - dot(rotate(q, 30), rotate(k, 20)))).toBeLessThan(1e-3);
  });
});
