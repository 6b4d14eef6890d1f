/**
 * The runner's attention-only graph (src/model/onnxProto.ts withoutOutputs): the bundled models without the
 * `logits` output lose the LM head and nothing else — the same attentions, queries, keys and values as the full
 * model, from fewer nodes — and a file that is not ONNX is left to onnxruntime to report.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAttentionBias } from '../../src/attention/mask';
import { graphNodes, graphSignature, halfToNumber, rawFields, readFloatInitializers, withFloat32Weights, withoutOutputs } from '../../src/model/onnxProto';
import { loadOrt, runModel, SESSION_OPTIONS, sessionSource } from '../../src/model/modelRunner';
import { bundledRegistry, MODELS_DIR } from '../helpers/bundled';

const registry = bundledRegistry();

/** Op types of the graph's nodes (NodeProto field 4), read with the same wire reader. */
function opTypes(model: Uint8Array): string[] {
  const graph = rawFields(model, 0, model.length).find((f) => f.field === 7)!;
  return rawFields(model, graph.start!, graph.end!)
    .filter((f) => f.field === 1 && f.wire === 2)
    .map((f) => {
      const op = rawFields(model, f.start!, f.end!).find((x) => x.field === 4 && x.wire === 2)!;
      return new TextDecoder().decode(model.subarray(op.start, op.end));
    });
}

describe('attention-only graph', () => {
  for (const id of ['encoder', 'causal']) {
    it(`${id}: without logits it computes the same attentions, queries, keys and values with fewer nodes`, async () => {
      const bytes = new Uint8Array(readFileSync(path.join(MODELS_DIR, id, 'model.onnx')));
      expect(graphSignature(bytes)).toEqual({ inputs: ['input_ids', 'attention_bias'], outputs: expect.arrayContaining(['attentions', 'queries', 'keys', 'values', 'logits']) });
      const pruned = withoutOutputs(bytes, ['logits']);
      expect(pruned).not.toBeNull();
      const p = pruned as Uint8Array;
      expect(graphSignature(p).outputs.sort()).toEqual(['attentions', 'keys', 'queries', 'values']);
      expect(opTypes(p).length).toBeLessThan(opTypes(bytes).length);

      const ort = await loadOrt();
      const session = await ort.InferenceSession.create(p, SESSION_OPTIONS);
      try {
        expect([...session.outputNames].sort()).toEqual(['attentions', 'keys', 'queries', 'values']);
        const manifest = await registry.get(id);
        const ids = (await registry.tokenizer(manifest)).encode('Pruning the head must not change what the heads see.').map((t) => t.id);
        const n = ids.length;
        const bias = buildAttentionBias(n, id === 'causal' ? 'causal' : 'full');
        const full = await runModel(manifest, ids, bias, { logits: true }); // the whole model file
        const out = await session.run({
          input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]),
          attention_bias: new ort.Tensor('float32', bias, [n, n]),
        });
        for (const k of ['attentions', 'queries', 'keys', 'values'] as const) {
          const a = out[k].data as Float32Array;
          const b = full[k];
          expect(a.length).toBe(b.length);
          let worst = 0;
          for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
          expect(worst, k).toBeLessThanOrEqual(1e-6);
        }
      } finally {
        await session.release();
      }
    });
  }

  it('the runner uses the pruned graph for the panel and the whole graph when logits are asked for', async () => {
    const file = path.join(MODELS_DIR, 'causal', 'model.onnx');
    const attention = await sessionSource(file, false);
    expect(attention.source).toBeInstanceOf(Uint8Array);
    expect(attention.declaredOutputs).toContain('logits'); // the contract is still checked against the file
    // The bundled models store their weights as float16: with logits, the whole graph with float32 weights.
    const withLogits = (await sessionSource(file, true)).source;
    expect(withLogits).toBeInstanceOf(Uint8Array);
    expect(graphSignature(withLogits as Uint8Array).outputs).toContain('logits');
  });

  it('leaves a file that is not ONNX to onnxruntime, whose error names it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'al-proto-'));
    const truncated = path.join(dir, 'truncated.onnx');
    writeFileSync(truncated, readFileSync(path.join(MODELS_DIR, 'causal', 'model.onnx')).subarray(0, 5000));
    expect((await sessionSource(truncated, false)).source).toBe(truncated);
    expect(() => withoutOutputs(new Uint8Array(readFileSync(truncated)), ['logits'])).toThrow(/malformed protobuf/);
  });
});

/** Bit-for-bit equality of two float arrays (a deep toEqual over millions of floats takes seconds). */
function sameBits(a: Float32Array | undefined, b: Float32Array): boolean {
  return !!a && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('float16-stored weights (models/training/fp16_weights.py)', () => {
  it('decodes float16 bit patterns exactly (the look-up table)', () => {
    const cases: Array<[number, number]> = [
      [0x0000, 0], [0x8000, -0], [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504],
      [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x0400, 2 ** -14], [0x7c00, Infinity], [0xfc00, -Infinity],
    ];
    for (const [h, v] of cases) expect(Object.is(halfToNumber(h), v), h.toString(16)).toBe(true);
    expect(halfToNumber(0x7e00)).toBeNaN();
    // Neighbouring patterns of one sign and exponent are one ulp apart: 2^(e−15−10).
    for (let e = 1; e < 31; e++) expect(halfToNumber((e << 10) | 1) - halfToNumber(e << 10)).toBe(2 ** (e - 25));
  });

  const castTotal = (m: Uint8Array) => opTypes(m).filter((o) => o === 'Cast').length;
  for (const id of ['encoder', 'causal']) {
    it(`${id}: come back as the float32 initializers their Casts made, and the model computes the same bits`, async () => {
      const bytes = new Uint8Array(readFileSync(path.join(MODELS_DIR, id, 'model.onnx')));
      const f32 = withFloat32Weights(bytes);
      expect(f32).not.toBeNull();
      const g = f32 as Uint8Array;
      expect(withFloat32Weights(g), 'nothing left to convert').toBeNull();
      // The weights' names (the Casts' outputs) now name float32 initializers with the same values.
      const weights = graphNodes(bytes).filter((n) => n.op === 'Cast').map((n) => n.outputs[0]);
      const before = readFloatInitializers(bytes, weights);
      const after = readFloatInitializers(g, weights);
      expect(before.size).toBeGreaterThan(40);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      for (const [name, t] of before) expect(sameBits(after.get(name)?.data, t.data), name).toBe(true);
      expect(castTotal(g)).toBe(castTotal(bytes) - before.size);

      const ort = await loadOrt();
      const manifest = await registry.get(id);
      const ids = (await registry.tokenizer(manifest)).encode('Half the bytes, the same numbers.').map((t) => t.id);
      const n = ids.length;
      const feeds = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]),
        attention_bias: new ort.Tensor('float32', buildAttentionBias(n, id === 'causal' ? 'causal' : 'full'), [n, n]),
      };
      const [a, b] = await Promise.all([ort.InferenceSession.create(bytes, SESSION_OPTIONS), ort.InferenceSession.create(g, SESSION_OPTIONS)]);
      try {
        const [outA, outB] = [await a.run(feeds), await b.run(feeds)];
        for (const k of ['attentions', 'queries', 'keys', 'values', 'logits']) expect(sameBits(outB[k].data as Float32Array, outA[k].data as Float32Array), k).toBe(true);
      } finally {
        await a.release();
        await b.release();
      }
    });
  }
});
