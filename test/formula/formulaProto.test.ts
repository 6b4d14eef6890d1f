/**
 * Reading weights and serving the formula: initializers in every encoding the ONNX format allows for float weights
 * (float32 raw or packed float_data, float16 raw or in int32_data, behind a Cast) come back as the float32 values the
 * model computes with; and the panel's streamer answers requestFormula for the analysis on screen only.
 */
import { describe, expect, it } from 'vitest';
import { formulaFor, formulaTensors } from '../../src/formula/formulaRunner';
import { concatBytes, lengthDelimited, readFloatInitializers, varintBytes } from '../../src/model/onnxProto';
import { AnalysisStreamer } from '../../src/panel/analysisStreamer';
import { analyzeText } from '../../src/pipeline/analyze';
import type { FormulaDataMessage, HostToWebview } from '../../src/protocol/messages';
import { bundledRegistry } from '../helpers/bundled';
import { builtWorkerClient } from '../helpers/build';

const enc = new TextEncoder();
const bytes = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);
const field = (n: number, payload: Uint8Array): Uint8Array => concatBytes(lengthDelimited(n, [payload]));
const varintField = (n: number, v: number): Uint8Array => Uint8Array.from([...varintBytes(n * 8), ...varintBytes(v)]);

function tensor(name: string, dataType: number, dims: number[], data: Uint8Array, dataField: number): Uint8Array {
  return bytes(...dims.map((d) => varintField(1, d)), varintField(2, dataType), field(8, enc.encode(name)), field(dataField, data));
}
const f32 = (xs: number[]): Uint8Array => new Uint8Array(Float32Array.from(xs).buffer);
const u16 = (xs: number[]): Uint8Array => new Uint8Array(Uint16Array.from(xs).buffer);

describe('readFloatInitializers', () => {
  it('reads float32 (raw, float_data) and float16 (raw, int32_data) behind a Cast', () => {
    const half = [0x3e00, 0xc080, 0x4200, 0x0001]; // 1.5, −2.25, 3, the smallest subnormal 2^−24
    const graph = bytes(
      // Cast nodes: the graph's nodes read "h" and "i" as float32; the initializers are "h16" and "i16"
      field(1, bytes(field(1, enc.encode('h16')), field(2, enc.encode('h')), field(4, enc.encode('Cast')))),
      field(1, bytes(field(1, enc.encode('i16')), field(2, enc.encode('i')), field(4, enc.encode('Cast')))),
      field(5, tensor('a', 1, [3], f32([1.5, -2.25, 3]), 9)),
      field(5, tensor('b', 1, [2, 2], f32([0.1, 0.2, 0.3, 0.4]), 4)),
      field(5, tensor('h16', 10, [4], u16(half), 9)),
      field(5, tensor('i16', 10, [4], Uint8Array.from(half.flatMap((h) => varintBytes(h))), 5)),
    );
    const model = bytes(varintField(1, 8), field(7, graph));
    const got = readFloatInitializers(model, ['a', 'b', 'h', 'i', 'missing']);
    expect([...got.keys()].sort()).toEqual(['a', 'b', 'h', 'i']);
    expect(Array.from(got.get('a')!.data)).toEqual([1.5, -2.25, 3]);
    expect(got.get('b')!.dims).toEqual([2, 2]);
    expect(Array.from(got.get('b')!.data)).toEqual(Array.from(Float32Array.from([0.1, 0.2, 0.3, 0.4])));
    for (const name of ['h', 'i']) expect(Array.from(got.get(name)!.data)).toEqual([1.5, -2.25, 3, 2 ** -24]);
  });
});

describe('AnalysisStreamer.requestFormula', () => {
  it('answers for the analysis on screen and drops a stale generation', async () => {
    const r = await analyzeText(bundledRegistry(), 'Two foxes ran.', { modelId: 'causal' });
    const posted: HostToWebview[] = [];
    const s = new AnalysisStreamer((m) => posted.push(m));
    const g = s.begin(0);
    await s.show(0, g, r, { documentOffset: 0, sourceLabel: 'a.txt' });
    await s.requestFormula({ type: 'requestFormula', generation: g, slot: 0, layer: 1, token: 2 });
    const reply = posted.filter((m): m is FormulaDataMessage => m.type === 'formulaData');
    expect(reply).toHaveLength(1);
    expect(reply[0]).toMatchObject({ generation: g, layer: 1, token: 2, formula: { ok: true } });
    await s.requestFormula({ type: 'requestFormula', generation: g - 1, slot: 0, layer: 1, token: 2 });
    // A request that becomes stale while it runs is not answered either.
    const pending = s.requestFormula({ type: 'requestFormula', generation: g, slot: 0, layer: 2, token: 0 });
    s.begin(0);
    await pending;
    expect(posted.filter((m) => m.type === 'formulaData')).toHaveLength(1);
  });
});

describe('the formula run in the inference worker', () => {
  it('gives the same tensors and the same steps as the run on this thread', async () => {
    const worker = builtWorkerClient();
    try {
      const r = await analyzeText(bundledRegistry(), 'Three small boats left early.', { modelId: 'encoder' });
      const there = await worker.runFormula(r.manifest, r.ids, r.bias);
      const here = await formulaTensors(r.manifest, r.ids, r.bias);
      expect(there.ok && here.ok).toBe(true);
      if (there.ok && here.ok) {
        expect(Object.keys(there.tensors).sort()).toEqual(Object.keys(here.tensors).sort());
        for (const name of Object.keys(here.tensors)) expect(Array.from(there.tensors[name])).toEqual(Array.from(here.tensors[name]));
      }
      const viaWorker = await formulaFor(r, 3, 2, worker);
      expect(viaWorker.ok && viaWorker.record.projectionError).toBeLessThanOrEqual(1e-4);
    } finally {
      await worker.dispose();
    }
  });
});
