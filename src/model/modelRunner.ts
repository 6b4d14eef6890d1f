/**
 * Runs a model with onnxruntime-node on the calling thread. The native module is imported on first use only, so
 * activating the extension never loads it. One session per model file and purpose (with or without logits),
 * cached; concurrent first uses share one load.
 *
 * Where inference runs is the caller's choice, an `InferenceBackend`: `inProcessInference` (this module; the CLI,
 * the bench and the tests) or the worker client (workerClient.ts; the extension), passed in through the analysis
 * session's dependencies.
 */
import { cachedPromise } from '../common/promiseCache';
import { readFile, stat } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import type { FormulaBackend } from '../formula/formulaRunner';
import type { ModelManifest } from './modelManifest';
import { graphSignature, withFloat32Weights, withoutOutputs } from './onnxProto';
import { turnOffOrtTelemetry } from './ortTelemetry';
import { outputArray } from './outputPool';
import { prepareSplit, readySplit, releaseSplitSessions, runSplit } from './splitRunner';
import { releaseHfSessions, runHfModel } from '../hfModel/hfRunner';
import { notForAnalysisMessage } from '../translate/translationErrors';
import { releaseTranslationSessions, runTranslation } from '../translate/translationRunner';
import type { TranslationBiases, TranslationOutputs, TranslationRunOptions } from '../translate/translationTypes';

export const REQUIRED_INPUTS = ['input_ids', 'attention_bias'] as const;
export const REQUIRED_OUTPUTS = ['attentions', 'queries', 'keys', 'values', 'logits'] as const;
/** What the panel needs; logits are computed only when asked for (they are n × vocab floats). */
export const ATTENTION_OUTPUTS = ['attentions', 'queries', 'keys', 'values'] as const;

export class ModelLoadError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ModelLoadError';
  }
}

export interface ModelOutputs {
  /** [layers, heads, n, n] */
  attentions: Float32Array;
  /** [layers, heads, n, headDim] each */
  queries: Float32Array;
  keys: Float32Array;
  values: Float32Array;
  /** [1, n, vocab], only when requested */
  logits?: Float32Array;
  inferenceMs: number;
  /** When the model ran in two parts (splitRunner.ts): the time until the first layer asked for was ready. */
  firstLayerMs?: number;
}

/** One layer's tensors ([heads, n, ·] each), handed over as soon as they exist (RunOptions.firstLayer). */
export interface LayerOutputs {
  layer: number;
  attentions: Float32Array;
  queries: Float32Array;
  keys: Float32Array;
  values: Float32Array;
  /** inference time until this layer was ready */
  inferenceMs: number;
}

export interface RunOptions {
  logits?: boolean;
  /**
   * Progressive runs: the layer the person looks at. Where the graph can be split there (splitRunner.ts) and its
   * sessions are ready, that layer's tensors go to `onLayer` before the later layers have run; otherwise the
   * model runs whole (and the split is prepared in the background for the next run). `onLayer` may be left out
   * when the caller only wants the parts run (the worker hands the layer over itself). When `onLayer` returns a
   * promise, part two waits for it: the panel lets the webview paint the layer first, because on a 2-core machine
   * onnxruntime's threads running part two leave the renderer no CPU to paint with (measured: the first paint came
   * only after part two ended).
   */
  firstLayer?: number;
  onLayer?: (layer: LayerOutputs) => void | Promise<void>;
}

let ortPromise: Promise<typeof Ort> | undefined;

/** Loads onnxruntime-node once; a missing native binary becomes a clear error. */
export function loadOrt(): Promise<typeof Ort> {
  if (!ortPromise) {
    turnOffOrtTelemetry();
    ortPromise = import('onnxruntime-node').catch((e: unknown) => {
      ortPromise = undefined;
      throw new Error(
        `onnxruntime-node could not be loaded (${(e as Error).message}). Reinstall the extension for this platform.`,
      );
    });
  }
  return ortPromise;
}

const sessions = new Map<string, Promise<Ort.InferenceSession>>();

/**
 * What a session is created from: the graph with any float16-stored weights back in float32 (withFloat32Weights:
 * the same values, and the heap of the float32 graph — see there), and, unless logits are wanted, without the
 * `logits` output and the LM head behind it (see withoutOutputs — onnxruntime runs every node whatever is
 * fetched). `declaredOutputs` are the model's own outputs, for checking the contract. A file that cannot be read
 * as ONNX is handed to onnxruntime as it is, so its own error names the problem.
 */
export async function sessionSource(file: string, withLogits: boolean): Promise<{ source: string | Uint8Array; declaredOutputs?: string[] }> {
  try {
    const bytes = new Uint8Array(await readFile(file));
    const float32 = withFloat32Weights(bytes);
    const graph = float32 ?? bytes;
    const { outputs } = graphSignature(graph);
    const pruned = !withLogits && outputs.includes('logits') ? withoutOutputs(graph, ['logits']) : null;
    if (pruned) return { source: pruned, declaredOutputs: outputs };
    return { source: float32 ?? file };
  } catch {
    return { source: file };
  }
}

/** The runner's session options (the benchmark uses the same). */
export const SESSION_OPTIONS = {
  intraOpNumThreads: 2,
  graphOptimizationLevel: 'all',
  // The arena keeps every peak allocation for the life of the session; outputs differ in size with every
  // selection, so it only grows (measured by the soak test). Plain allocations are returned.
  enableCpuMemArena: false,
  enableMemPattern: false,
} as const;

/** An onnxruntime session from a model file or model bytes (what sessionSource returns). */
export async function openSession(source: string | Uint8Array, options: Ort.InferenceSession.SessionOptions): Promise<Ort.InferenceSession> {
  const ort = await loadOrt();
  // Two calls: the overloads for a path and for bytes do not merge into one for the union.
  return typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options);
}

async function createSession(manifest: ModelManifest, withLogits: boolean): Promise<Ort.InferenceSession> {
  const file = manifest.modelPath;
  try {
    await stat(file);
  } catch {
    throw new ModelLoadError(file, `the model file is missing (named by "files.model" in ${manifest.folder}/model.json)`);
  }
  await loadOrt(); // its own clear error when the native module is missing, before the model is blamed
  const { source, declaredOutputs } = await sessionSource(file, withLogits);
  let session: Ort.InferenceSession;
  try {
    session = await openSession(source, SESSION_OPTIONS);
  } catch (e) {
    throw new ModelLoadError(file, `is not a loadable ONNX model (${(e as Error).message.split('\n')[0]})`);
  }
  const outputs = declaredOutputs ?? session.outputNames;
  const missingIn = REQUIRED_INPUTS.filter((n) => !session.inputNames.includes(n));
  const extraIn = session.inputNames.filter((n) => !(REQUIRED_INPUTS as readonly string[]).includes(n));
  const missingOut = REQUIRED_OUTPUTS.filter((n) => !outputs.includes(n));
  const problems: string[] = [];
  if (missingIn.length) problems.push(`missing input(s) ${missingIn.join(', ')}`);
  if (extraIn.length) problems.push(`unexpected input(s) ${extraIn.join(', ')} (the contract feeds only input_ids and attention_bias)`);
  if (missingOut.length) problems.push(`missing output(s) ${missingOut.join(', ')}`);
  if (problems.length) {
    await session.release().catch(() => undefined);
    throw new ModelLoadError(file, `${problems.join('; ')}. See models/README.md for the contract.`);
  }
  return session;
}

/** One cached session per model file and purpose: attention only (the panel), or with logits (on request). */
export function getSession(manifest: ModelManifest, withLogits = false): Promise<Ort.InferenceSession> {
  return cachedPromise(sessions, `${manifest.modelPath}\n${withLogits ? 'logits' : 'attention'}`, () => createSession(manifest, withLogits));
}

export async function releaseSessions(): Promise<void> {
  await releaseHfSessions();
  await releaseSplitSessions();
  await releaseTranslationSessions();
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map((p) => p.then((s) => s.release()).catch(() => undefined)));
}

export function expectShape(file: string, name: string, dims: readonly number[], expected: number[]): void {
  if (dims.length !== expected.length || dims.some((d, i) => d !== expected[i])) {
    throw new ModelLoadError(file, `output "${name}" has shape [${dims.join(', ')}], expected [${expected.join(', ')}] from model.json`);
  }
}

/**
 * Where inference runs: this thread (`inProcessInference`) or a worker thread (`InferenceWorkerClient`, which also
 * runs the computation view's formula session: FormulaBackend).
 */
export interface InferenceBackend extends FormulaBackend {
  run(manifest: ModelManifest, ids: ArrayLike<number>, bias: Float32Array, options?: RunOptions): Promise<ModelOutputs>;
  /**
   * One forward pass of a translation model (kind `encoder-decoder`; src/translate/translationRunner.ts). Optional
   * so that wrappers of a backend keep compiling; a backend without it has translations run on the calling thread
   * (src/translate/translate.ts), which the extension's worker client never needs.
   */
  runTranslation?(
    manifest: ModelManifest,
    sourceIds: ArrayLike<number>,
    decoderIds: ArrayLike<number>,
    biases: TranslationBiases,
    options?: TranslationRunOptions,
  ): Promise<TranslationOutputs>;
  /**
   * Takes back output arrays of this backend's runs that nothing uses any more, for later runs to write into
   * (the worker backend: outputPool.ts). Optional: a backend without it leaves them to the GC.
   */
  recycle?(arrays: readonly Float32Array[]): void;
  /** Releases what the backend holds (sessions, a worker thread). */
  dispose(): Promise<void>;
  /** Gets ready for a first run (starts a worker, loads onnxruntime) without running anything. */
  warm?(): void;
}

/**
 * Runs the model on `ids` under `bias` (n×n) on the calling thread and checks every output's shape against
 * model.json. `session.run` holds the thread for the whole inference, hence the worker backend in the extension;
 * the worker itself runs this function.
 */
export async function runModel(
  manifest: ModelManifest,
  ids: ArrayLike<number>,
  bias: Float32Array,
  options: RunOptions = {},
): Promise<ModelOutputs> {
  const n = ids.length;
  // A translation model's graph takes a source and a target (runTranslation): refused here by name, for every
  // caller that would run one token list (predictions, continuations, a page's recording).
  if (manifest.kind === 'encoder-decoder') throw new Error(notForAnalysisMessage(manifest));
  if (bias.length !== n * n) throw new Error(`attention bias has ${bias.length} entries, expected ${n * n}`);
  const layer = options.firstLayer;
  // The last layer gains nothing from a split (part one would be the whole model): it runs whole.
  // A Hugging Face export is not split (layerSplit.ts reads the contract's stacked outputs): it always runs whole,
  // and no background split is attempted (that would re-read a possibly large file for every layer shown).
  const progressive =
    manifest.source !== 'hf' && layer !== undefined && !options.logits && Number.isInteger(layer) && layer >= 0 && layer < manifest.layers - 1;
  if (progressive) {
    const split = readySplit(manifest, layer);
    if (split && typeof split !== 'string') return runSplit(manifest, split, ids, bias, options.onLayer ?? (() => undefined));
  }
  const whole = await runWhole(manifest, ids, bias, options);
  // Made after this run has been answered (the caller's continuation runs first), for the next analysis.
  if (progressive && readySplit(manifest, layer) === undefined) setImmediate(() => void prepareSplit(manifest, layer));
  return whole;
}

async function runWhole(manifest: ModelManifest, ids: ArrayLike<number>, bias: Float32Array, options: RunOptions): Promise<ModelOutputs> {
  const n = ids.length;
  // A plain Hugging Face export has its own runner (src/hfModel); in the worker too, which calls this function.
  if (manifest.source === 'hf') return runHfModel(manifest, ids, bias, options);
  const session = await getSession(manifest, options.logits === true);
  const ort = await loadOrt();
  const idData = new BigInt64Array(n);
  for (let i = 0; i < n; i++) idData[i] = BigInt(ids[i]);
  const feeds = {
    input_ids: new ort.Tensor('int64', idData, [1, n]),
    attention_bias: new ort.Tensor('float32', bias, [n, n]),
  };
  const { layers, heads, headDim } = manifest;
  const file = manifest.modelPath;
  // The attention outputs go straight into buffers allocated here, at the shapes model.json promises: onnxruntime
  // then neither allocates its own output buffers nor copies them into new JavaScript ones. That is one large
  // allocation fewer per output and run (38 MB in all at 512 tokens); the allocator keeps such freed blocks
  // resident, which is what made the soak's RSS grow. The buffers are fresh per run, so the worker can still
  // transfer them; they come from the output pool (outputPool.ts: buffers the host gave back) where it has some.
  // A model whose outputs have other shapes makes the run fail; it is run again without them, so the shape check
  // below names the output and both shapes.
  const preallocated = {
    attentions: outputArray(layers * heads * n * n),
    queries: outputArray(layers * heads * n * headDim),
    keys: outputArray(layers * heads * n * headDim),
    values: outputArray(layers * heads * n * headDim),
  };
  const into: Record<string, Ort.Tensor | null> = {
    attentions: new ort.Tensor('float32', preallocated.attentions, [layers, heads, n, n]),
    queries: new ort.Tensor('float32', preallocated.queries, [layers, heads, n, headDim]),
    keys: new ort.Tensor('float32', preallocated.keys, [layers, heads, n, headDim]),
    values: new ort.Tensor('float32', preallocated.values, [layers, heads, n, headDim]),
  };
  if (options.logits) into.logits = null; // allocated by onnxruntime: the vocabulary size may be unknown
  const fetches: string[] = [...ATTENTION_OUTPUTS];
  if (options.logits) fetches.push('logits');
  const { out, filled, inferenceMs } = await runIntoBuffers(session, feeds, into, fetches, file, n);
  expectShape(file, 'attentions', out.attentions.dims, [layers, heads, n, n]);
  for (const name of ['queries', 'keys', 'values'] as const) expectShape(file, name, out[name].dims, [layers, heads, n, headDim]);
  const result: ModelOutputs = filled
    ? { ...preallocated, inferenceMs }
    : {
        attentions: out.attentions.data as Float32Array,
        queries: out.queries.data as Float32Array,
        keys: out.keys.data as Float32Array,
        values: out.values.data as Float32Array,
        inferenceMs,
      };
  if (options.logits) {
    expectLogitsShape(file, out.logits.dims, n, manifest.vocabSize);
    result.logits = out.logits.data as Float32Array;
  }
  return result;
}

/**
 * Runs `session` with its outputs written into the caller's buffers (`into`). A run that fails that way (an output
 * of another shape than the buffer's) is run again unbound with `fetches`, so the caller's shape check can name the
 * output and both shapes; `filled` says whether the buffers hold the result.
 */
export async function runIntoBuffers(
  session: Ort.InferenceSession,
  feeds: Ort.InferenceSession.FeedsType,
  into: Record<string, Ort.Tensor | null>,
  fetches: string[],
  file: string,
  n: number,
): Promise<{ out: Ort.InferenceSession.OnnxValueMapType; filled: boolean; inferenceMs: number }> {
  const t0 = performance.now();
  try {
    const out = await session.run(feeds, into);
    return { out, filled: true, inferenceMs: performance.now() - t0 };
  } catch {
    try {
      const out = await session.run(feeds, fetches);
      return { out, filled: false, inferenceMs: performance.now() - t0 };
    } catch (e) {
      throw new ModelLoadError(file, `inference failed at ${n} tokens (${(e as Error).message.split('\n')[0]})`);
    }
  }
}

/** `logits` must be [1, n, vocab] (vocab from model.json or config.json, when given). */
export function expectLogitsShape(file: string, dims: readonly number[], n: number, vocabSize: number | undefined): void {
  if (dims.length !== 3 || dims[0] !== 1 || dims[1] !== n || (vocabSize !== undefined && dims[2] !== vocabSize)) {
    throw new ModelLoadError(file, `output "logits" has shape [${dims.join(', ')}], expected [1, ${n}, ${vocabSize ?? 'vocab'}]`);
  }
}

export const inProcessInference: InferenceBackend = { run: runModel, runTranslation, dispose: releaseSessions };
