/**
 * Progressive runs (src/model/layerSplit.ts, splitRunner.ts): the bundled models split around a layer give the
 * visible layer's tensors first and then exactly the numbers of a whole run, in-process and in the worker; the
 * cut is the residual stream entering the layer (nothing before it runs twice); graphs that cannot be split run
 * whole.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAttentionBias } from '../../src/attention/mask';
import { findCut, perLayerTensors, splitAtLayer } from '../../src/model/layerSplit';
import { releaseSessions, runModel, type LayerOutputs } from '../../src/model/modelRunner';
import { graphNodes, graphSignature, withFloat32Weights, type GraphNode } from '../../src/model/onnxProto';
import { prepareSplit, readySplit } from '../../src/model/splitRunner';
import { InferenceWorkerClient } from '../../src/model/workerClient';
import { builtWorkerClient } from '../helpers/build';
import { bundledRegistry, MODELS_DIR } from '../helpers/bundled';

const registry = bundledRegistry();
const TEXT = 'The visible layer reaches the screen before the whole model has run; the rest follows. '.repeat(6);

let worker: InferenceWorkerClient;
beforeAll(() => {
  worker = builtWorkerClient();
});
afterAll(async () => {
  await worker.dispose();
  await releaseSessions();
});

/** Bit for bit: the same bytes. */
const bytesOf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && bytesOf(a).equals(bytesOf(b));

const node = (op: string, inputs: string[], outputs: string[]): GraphNode => ({ op, name: outputs[0], inputs, outputs, floats: {} });

describe('where a graph is split', () => {
  for (const id of ['encoder', 'causal']) {
    it(`${id}: the per-layer tensors feed the stacked outputs, and the cut before layer l ≥ 1 is the residual stream leaving layer l − 1`, () => {
      const bytes = new Uint8Array(readFileSync(path.join(MODELS_DIR, id, 'model.onnx')));
      const graph = withFloat32Weights(bytes) ?? bytes;
      const nodes = graphNodes(graph);
      const perLayer = perLayerTensors(nodes, 4);
      expect(typeof perLayer).toBe('object');
      if (typeof perLayer === 'string') return;
      expect(perLayer.attentions.map((t) => nodes.find((n) => n.outputs.includes(t))?.op)).toEqual(['Softmax', 'Softmax', 'Softmax', 'Softmax']);
      const inputs = new Set(graphSignature(graph).inputs);
      for (const layer of [1, 2]) {
        const cut = findCut(nodes, inputs, perLayer, layer, 4) as string;
        const producer = nodes.find((n) => n.outputs.includes(cut)) as GraphNode;
        // The residual sum: an Add whose result is read by the next layer's LayerNorm and by its residual Add.
        expect(producer.op).toBe('Add');
        const readers = nodes.filter((n) => n.inputs.includes(cut));
        expect(readers.some((n) => n.op === 'LayerNormalization' || n.op === 'ReduceMean')).toBe(true);
        expect(readers.some((n) => n.op === 'Add')).toBe(true);
      }
      // The last layer is not split: part one would be the whole model.
      expect(splitAtLayer(graph, 4, 3)).toMatch(/last/);
    });
  }

  it('a graph whose outputs are not stacked per layer, or with no single tensor between two layers, is not split', () => {
    const notStacked = [node('MatMul', ['x', 'w'], ['attentions'])];
    expect(perLayerTensors(notStacked, 2)).toMatch(/MatMul of 2 tensors, not a Concat of 2 layers/);
    // Per layer: q = h·Wq, attention = softmax(q), h' = h + attention·Wo; stacked per layer (q stands for q, k, v).
    const layer = (l: number, h: string, qFrom: string): GraphNode[] => [
      node('MatMul', [qFrom, `wq${l}`], [`q${l}`]),
      node('Softmax', [`q${l}`], [`s${l}`]),
      node('MatMul', [`s${l}`, `wo${l}`], [`o${l}`]),
      node('Add', [h, `o${l}`], [`r${l}`]),
    ];
    const perLayer = { attentions: ['s0', 's1', 's2'], queries: ['q0', 'q1', 'q2'], keys: ['q0', 'q1', 'q2'], values: ['q0', 'q1', 'q2'] };
    const inputs = new Set(['input_ids']);
    const embedding = node('Gather', ['emb', 'input_ids'], ['h0']);
    const clean = [embedding, ...layer(0, 'h0', 'h0'), ...layer(1, 'r0', 'r0'), ...layer(2, 'r1', 'r1')];
    expect(findCut(clean, inputs, perLayer, 1, 3)).toBe('r0');
    // Layer 1 also reads layer 0's queries directly (a path around every single tensor): no cut, it runs whole.
    const skip = [embedding, ...layer(0, 'h0', 'h0'), node('Add', ['r0', 'q0'], ['x1']), ...layer(1, 'r0', 'x1'), ...layer(2, 'r1', 'r1')];
    expect(findCut(skip, inputs, perLayer, 1, 3)).toBeNull();
  });
});

describe('progressive runs', () => {
  for (const id of ['encoder', 'causal']) {
    it(`${id}: the visible layer arrives first, then every output bit for bit as a whole run (in-process and in the worker)`, { timeout: 180_000 }, async () => {
      const manifest = await registry.get(id);
      const ids = (await registry.tokenizer(manifest)).encode(TEXT).map((t) => t.id);
      const n = ids.length;
      const bias = buildAttentionBias(n, manifest.kind === 'causal' ? 'causal' : 'full');
      const whole = await runModel(manifest, ids, bias);
      for (const layer of [0, 1, 2]) {
        await prepareSplit(manifest, layer);
        expect(typeof readySplit(manifest, layer)).toBe('object');
        const seen: LayerOutputs[] = [];
        const parts = await runModel(manifest, ids, bias, { firstLayer: layer, onLayer: (l) => void seen.push({ ...l, attentions: l.attentions.slice() }) });
        expect(seen.map((l) => l.layer)).toEqual([layer]);
        expect(parts.firstLayerMs).toBeGreaterThan(0);
        const size = manifest.heads * n * n;
        expect(sameBits(seen[0].attentions, whole.attentions.subarray(layer * size, (layer + 1) * size))).toBe(true);
        for (const k of ['attentions', 'queries', 'keys', 'values'] as const) expect(sameBits(parts[k], whole[k]), k).toBe(true);

        if (layer !== 1) continue; // the worker runs the same code: one layer is enough to see it hand the layer over
        // The worker makes its own parts in the background after its first (whole) run at this layer.
        const inWorker: number[] = [];
        let fromWorker = await worker.run(manifest, ids, bias, { firstLayer: layer, onLayer: (l) => void inWorker.push(l.layer, l.attentions.length) });
        for (let tries = 0; inWorker.length === 0 && tries < 40; tries++) {
          await new Promise((r) => setTimeout(r, 100));
          fromWorker = await worker.run(manifest, ids, bias, { firstLayer: layer, onLayer: (l) => void inWorker.push(l.layer, l.attentions.length) });
        }
        expect(inWorker).toEqual([layer, size]);
        for (const k of ['attentions', 'queries', 'keys', 'values'] as const) expect(sameBits(fromWorker[k], whole[k]), k).toBe(true);
        // The worker's part two waits for the caller's onLayer to settle (the panel: until the webview painted).
        let settledAt = 0;
        const waited = await worker.run(manifest, ids, bias, {
          firstLayer: layer,
          onLayer: async () => {
            await new Promise((r) => setTimeout(r, 300));
            settledAt = performance.now();
          },
        });
        const repliedAt = performance.now();
        expect(settledAt).toBeGreaterThan(0);
        expect(repliedAt).toBeGreaterThanOrEqual(settledAt);
        for (const k of ['attentions', 'queries', 'keys', 'values'] as const) expect(sameBits(waited[k], whole[k]), k).toBe(true);
      }
    });
  }

  it('part one reuses its scratch buffers: shorter and longer texts after each other, and two runs at once, each bit for bit as a whole run', { timeout: 180_000 }, async () => {
    const manifest = await registry.get('encoder');
    const tokenizer = await registry.tokenizer(manifest);
    const layer = 1;
    await prepareSplit(manifest, layer);
    const texts = [TEXT, TEXT.slice(0, 60), `${TEXT} ${TEXT}`.slice(0, 400), 'Another, different sentence.'];
    const inputs = texts.map((t) => {
      const ids = tokenizer.encode(t).map((x) => x.id);
      return { ids, bias: buildAttentionBias(ids.length, 'full') };
    });
    const wholes = await Promise.all(inputs.map(({ ids, bias }) => runModel(manifest, ids, bias)));
    const check = (i: number, parts: Awaited<ReturnType<typeof runModel>>, first: LayerOutputs): void => {
      const size = manifest.heads * inputs[i].ids.length ** 2;
      expect(sameBits(first.attentions, wholes[i].attentions.subarray(layer * size, (layer + 1) * size)), `text ${i}: the layer handed over`).toBe(true);
      for (const k of ['attentions', 'queries', 'keys', 'values'] as const) expect(sameBits(parts[k], wholes[i][k]), `text ${i}: ${k}`).toBe(true);
    };
    // One after the other: each run takes the scratch the one before gave back, whatever its size.
    for (const i of [0, 1, 2, 1, 0, 3]) {
      let first: LayerOutputs | undefined;
      const parts = await runModel(manifest, inputs[i].ids, inputs[i].bias, { firstLayer: layer, onLayer: (l) => void (first = l) });
      expect(first).toBeDefined();
      check(i, parts, first as LayerOutputs);
    }
    // At once (the two sides of compare mode): the handed-over layer stays the caller's while the other run goes on.
    const firsts: LayerOutputs[] = [];
    const both = await Promise.all(
      [2, 3].map((i) =>
        runModel(manifest, inputs[i].ids, inputs[i].bias, {
          firstLayer: layer,
          onLayer: async (l) => {
            firsts[i] = l;
            await new Promise((r) => setTimeout(r, 50));
          },
        }),
      ),
    );
    check(2, both[0], firsts[2]);
    check(3, both[1], firsts[3]);
  });

  it('the last layer, or logits, run whole: no layer is handed over early', async () => {
    const manifest = await registry.get('encoder');
    const ids = (await registry.tokenizer(manifest)).encode(TEXT).map((t) => t.id);
    const bias = buildAttentionBias(ids.length, 'full');
    const seen: number[] = [];
    const last = await runModel(manifest, ids, bias, { firstLayer: manifest.layers - 1, onLayer: (l) => void seen.push(l.layer) });
    await prepareSplit(manifest, 1);
    const withLogits = await runModel(manifest, ids, bias, { firstLayer: 1, logits: true, onLayer: (l) => void seen.push(l.layer) });
    expect(seen).toEqual([]);
    expect(last.firstLayerMs).toBeUndefined();
    expect(withLogits.logits?.length).toBe(ids.length * (manifest.vocabSize ?? 0));
  });
});
