/**
 * Runs a model in two parts around the visible layer (layerSplit.ts says how the parts are found): part one, then
 * the visible layer's tensors are handed to the caller at once (the panel streams its heads), then part two from
 * the residual stream part one left. Part one writes into scratch buffers kept warm between runs, part two straight
 * into the full [layers, heads, n, ·] buffers (see runSplit), so the result is the same ModelOutputs a whole run
 * gives, bit for bit (test/model/layerSplit.test.ts).
 *
 * The two sessions per model and layer are made on first need, in the background after a whole run (making them
 * takes as long as a few runs), so no analysis waits for them; until they exist, and for graphs that cannot be
 * split, the model runs whole.
 */
import { readFile } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import type { ModelManifest } from './modelManifest';
import { loadOrt, ModelLoadError, openSession, SESSION_OPTIONS, type LayerOutputs, type ModelOutputs } from './modelRunner';
import { splitAtLayer, STACKED_OUTPUTS, type LayerSplit, type StackedOutput } from './layerSplit';
import { withFloat32Weights } from './onnxProto';
import { outputArray } from './outputPool';

interface SplitSessions {
  split: Omit<LayerSplit, 'first' | 'second'> & { firstOutputs: string[]; secondOutputs: string[] };
  first: Ort.InferenceSession;
  second: Ort.InferenceSession;
}

/** Per model file and layer: the sessions, or the reason the graph runs whole. */
const made = new Map<string, SplitSessions | string>();
const making = new Map<string, Promise<void>>();

const keyOf = (manifest: ModelManifest, layer: number): string => `${manifest.modelPath}\n${layer}`;

/** The two sessions if they are ready, else undefined (a reason string means: never, this graph runs whole). */
export function readySplit(manifest: ModelManifest, layer: number): SplitSessions | string | undefined {
  return made.get(keyOf(manifest, layer));
}

/** Makes the two sessions for `layer` unless they exist or are being made. Never throws: a failure is a reason. */
export function prepareSplit(manifest: ModelManifest, layer: number): Promise<void> {
  const key = keyOf(manifest, layer);
  if (made.has(key)) return Promise.resolve();
  let p = making.get(key);
  if (!p) {
    p = (async () => {
      try {
        const bytes = new Uint8Array(await readFile(manifest.modelPath));
        const graph = withFloat32Weights(bytes) ?? bytes;
        const split = splitAtLayer(graph, manifest.layers, layer);
        if (typeof split === 'string') {
          made.set(key, split);
          return;
        }
        const first = await openSession(split.first.model, SESSION_OPTIONS);
        const second = await openSession(split.second.model, SESSION_OPTIONS).catch(async (e: unknown) => {
          await first.release().catch(() => undefined);
          throw e;
        });
        const { perLayer, cut } = split;
        made.set(key, { split: { layer, perLayer, cut, firstOutputs: split.first.outputs, secondOutputs: split.second.outputs }, first, second });
      } catch (e) {
        made.set(key, `the parts could not be made (${(e as Error).message.split('\n')[0]})`);
      } finally {
        making.delete(key);
      }
    })();
    making.set(key, p);
  }
  return p;
}

export async function releaseSplitSessions(): Promise<void> {
  await Promise.all([...making.values()]);
  const all = [...made.values()];
  made.clear();
  releaseScratch();
  await Promise.all(all.map((s) => (typeof s === 'string' ? undefined : Promise.all([s.first.release(), s.second.release()]).catch(() => undefined))));
}

/** One buffer per stacked output ([layer count, heads, n, ·]): part one's scratch, or the full result. */
type OutputSet = Record<StackedOutput, Float32Array>;

/**
 * Idle scratch sets, reused by the next run that fits. A run takes one for part one only, so runs going on at once
 * (the two sides of compare mode) each have their own. Why: in the extension host, fresh memory is slow — allocating
 * the 38 MB of full output buffers before part one took 42–69 ms there against 2–7 ms in a bare Node process, and
 * part one's first writes into them were slow too (bench/README.md, "Issue 14 probe"). Part one therefore writes into
 * memory that earlier runs have already touched, and the full buffers are allocated after the visible layer is out.
 */
const idleScratch: OutputSet[] = [];
const MAX_IDLE_SCRATCH = 2;

/** A set of `sizes`, from fresh memory (scratch) or from `take` (the full result: outputPool.ts's outputArray). */
function outputSet(sizes: Record<StackedOutput, number>, take: (length: number) => Float32Array = (length) => new Float32Array(length)): OutputSet {
  return { attentions: take(sizes.attentions), queries: take(sizes.queries), keys: take(sizes.keys), values: take(sizes.values) };
}

function takeScratch(sizes: Record<StackedOutput, number>): OutputSet {
  const i = idleScratch.findIndex((s) => STACKED_OUTPUTS.every((k) => s[k].length >= sizes[k]));
  return i >= 0 ? idleScratch.splice(i, 1)[0] : outputSet(sizes);
}

function giveBackScratch(scratch: OutputSet): void {
  idleScratch.push(scratch);
  // The largest sets stay: a smaller selection fits in them, and a larger one would make a new set anyway.
  idleScratch.sort((a, b) => b.attentions.length - a.attentions.length);
  idleScratch.length = Math.min(idleScratch.length, MAX_IDLE_SCRATCH);
}

/** Drops the idle scratch sets (with the sessions, when the models path changes or the extension stops). */
function releaseScratch(): void {
  idleScratch.length = 0;
}

/**
 * Runs `sessions` (ready, from readySplit) on ids/bias. Part one writes layers 0…visible into a scratch set; the
 * visible layer is copied out for `onLayer` (the caller owns that copy: the worker moves it to the host as it is);
 * then the full [layers, heads, n, ·] buffers are taken (outputPool.ts), part one's layers copied in, and part two
 * fills the later layers in place. The result is bit for bit a whole run's (test/model/layerSplit.test.ts).
 */
export async function runSplit(
  manifest: ModelManifest,
  sessions: SplitSessions,
  ids: ArrayLike<number>,
  bias: Float32Array,
  onLayer: (layer: LayerOutputs) => void | Promise<void>,
): Promise<ModelOutputs> {
  const ort = await loadOrt();
  const n = ids.length;
  const { layers, heads, headDim } = manifest;
  const { layer, perLayer, cut, firstOutputs, secondOutputs } = sessions.split;
  const idData = new BigInt64Array(n);
  for (let i = 0; i < n; i++) idData[i] = BigInt(ids[i]);
  const feeds: Record<string, Ort.Tensor> = {
    input_ids: new ort.Tensor('int64', idData, [1, n]),
    attention_bias: new ort.Tensor('float32', bias, [n, n]),
  };
  const per = (k: StackedOutput): number => heads * n * (k === 'attentions' ? n : headDim);
  /** The values of `count` layers of each output. */
  const sizesOf = (count: number): Record<StackedOutput, number> => ({ attentions: count * per('attentions'), queries: count * per('queries'), keys: count * per('keys'), values: count * per('values') });
  const layerOf = (set: OutputSet, k: StackedOutput, l: number): Float32Array => set[k].subarray(l * per(k), (l + 1) * per(k));
  // Each part writes its layers straight into `set` (views at the layer's offset): no copies. A graph whose
  // per-layer tensors have another shape makes that fail; it is then fetched and copied, checked by size.
  const run = async (session: Ort.InferenceSession, input: Record<string, Ort.Tensor>, names: string[], from: number, to: number, set: OutputSet): Promise<Ort.InferenceSession.OnnxValueMapType> => {
    const into: Record<string, Ort.Tensor | null> = {};
    for (let l = from; l <= to; l++) {
      for (const k of STACKED_OUTPUTS) into[perLayer[k][l]] = new ort.Tensor('float32', layerOf(set, k, l), [1, heads, n, k === 'attentions' ? n : headDim]);
    }
    for (const name of names) if (!(name in into)) into[name] = null;
    try {
      return await session.run(input, into);
    } catch {
      let out: Ort.InferenceSession.OnnxValueMapType;
      try {
        out = await session.run(input, names);
      } catch (e) {
        throw new ModelLoadError(manifest.modelPath, `inference failed at ${n} tokens (${(e as Error).message.split('\n')[0]})`);
      }
      for (let l = from; l <= to; l++) {
        for (const k of STACKED_OUTPUTS) {
          const data = out[perLayer[k][l]].data as Float32Array;
          if (data.length !== per(k)) {
            throw new ModelLoadError(manifest.modelPath, `layer ${l} of "${k}" has ${data.length} values, expected ${per(k)} (${heads} heads × ${n} × ${k === 'attentions' ? n : headDim}) from model.json`);
          }
          layerOf(set, k, l).set(data);
        }
      }
      return out;
    }
  };
  const partOne = sizesOf(layer + 1);
  const scratch = takeScratch(partOne);
  const t0 = performance.now();
  let first: Ort.InferenceSession.OnnxValueMapType;
  let firstMs: number;
  let full: OutputSet;
  try {
    first = await run(sessions.first, feeds, firstOutputs, 0, layer, scratch);
    firstMs = performance.now() - t0;
    const visible = (k: StackedOutput): Float32Array => {
      const copy = outputArray(per(k));
      copy.set(layerOf(scratch, k, layer));
      return copy;
    };
    await onLayer({ layer, attentions: visible('attentions'), queries: visible('queries'), keys: visible('keys'), values: visible('values'), inferenceMs: firstMs });
    full = outputSet(sizesOf(layers), outputArray);
    for (const k of STACKED_OUTPUTS) full[k].set(scratch[k].subarray(0, partOne[k]));
  } finally {
    giveBackScratch(scratch); // free for another run before part two starts
  }
  await run(sessions.second, { ...feeds, [cut]: first[cut] }, secondOutputs, layer + 1, layers - 1, full);
  return { ...full, inferenceMs: performance.now() - t0, firstLayerMs: firstMs };
}
