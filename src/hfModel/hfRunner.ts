/**
 * Runs a plain Hugging Face ONNX export and returns its attention in the shape the contract runner returns
 * (ModelOutputs: [layers, heads, n, n] float32; queries/keys/values empty, see capabilities.vectors). The graph is
 * rewritten once (attentionGraph.ts) and cached (graphCache.ts); the inputs are fed from the session's own input
 * names. Used in-process (CLI, tests) and in the inference worker through modelRunner.runModel's dispatch.
 */
import { stat } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import type { ModelManifest } from '../model/modelManifest';
import { expectLogitsShape, loadOrt, ModelLoadError, openSession, runIntoBuffers, SESSION_OPTIONS, type ModelOutputs } from '../model/modelRunner';
import { outputArray } from '../model/outputPool';
import { AttentionGraphError, BIAS_INPUT, exposeAttention, findAttention } from './attentionGraph';
import { readOnnxGraph } from './onnxGraphRead';
import { halfToNumber } from '../model/onnxProto';
import { cachedPromise } from '../common/promiseCache';
import { checkExternalData } from './externalData';
import { cachedGraph } from './graphCache';

/**
 * Most bytes one analysis may hold in attention (and logits when asked). 512 MiB: a 12 × 12 model at 512 tokens
 * needs 144 MiB, so ordinary models fit their usual lengths, while a 32 × 32 model at 2,048 tokens (16 GiB) is
 * refused before anything is allocated instead of taking the editor's memory down with it. The worker transfers
 * the buffer to the host, which keeps it while the panel shows it: this is the host's peak too.
 */
export const HF_MEMORY_BUDGET_BYTES = 512 * 1024 * 1024;

export class MemoryBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryBudgetError';
  }
}

/** Bytes of one run's outputs: attention, plus logits (n × vocab) when asked. */
export function outputBytes(m: Pick<ModelManifest, 'layers' | 'heads' | 'vocabSize'>, n: number, logits: boolean): number {
  return m.layers * m.heads * n * n * 4 + (logits ? n * (m.vocabSize ?? 0) * 4 : 0);
}

/** The most tokens whose attention fits the budget. */
export function tokensWithinBudget(m: Pick<ModelManifest, 'layers' | 'heads'>, budget = HF_MEMORY_BUDGET_BYTES): number {
  return Math.floor(Math.sqrt(budget / (m.layers * m.heads * 4)));
}

/** A sentence saying why `n` tokens are refused, or undefined when they fit. */
export function budgetProblem(m: Pick<ModelManifest, 'id' | 'layers' | 'heads' | 'vocabSize'>, n: number, logits = false, budget = HF_MEMORY_BUDGET_BYTES): string | undefined {
  const bytes = outputBytes(m, n, logits);
  if (bytes <= budget) return undefined;
  const mib = (b: number): string => `${Math.round(b / 2 ** 20)} MiB`;
  return (
    `The attention of ${n} tokens in model "${m.id}" (${m.layers} layers × ${m.heads} heads × ${n}² × 4 bytes${logits ? ', with logits' : ''}) ` +
    `would take ${mib(bytes)}, more than the ${mib(budget)} budget; at most ${tokensWithinBudget(m, budget)} tokens fit. Select less text.`
  );
}

interface HfSession {
  session: Ort.InferenceSession;
  /** attention output names, layer order */
  attention: string[];
}

const sessions = new Map<string, Promise<HfSession>>();

function hfInfo(m: ModelManifest): NonNullable<ModelManifest['hf']> {
  if (!m.hf) throw new Error(`model "${m.id}" is not a Hugging Face folder`);
  return m.hf;
}

async function createHfSession(m: ModelManifest, withLogits: boolean): Promise<HfSession> {
  const info = hfInfo(m);
  const file = m.modelPath;
  try {
    await stat(file);
  } catch (e) {
    throw new ModelLoadError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  await loadOrt();
  const keep = withLogits ? ['logits'] : [];
  const open = async (forceCast: boolean): Promise<HfSession> => {
    // An encoder gets the attention_bias input (capabilities.anyMask): its only mask is the all-ones
    // attention_mask, so a what-if mask added to the scores is the whole mask.
    const attentionBias = m.capabilities.anyMask;
    const purpose = `${withLogits ? 'logits' : 'attention'}${forceCast ? '+cast' : ''}${attentionBias ? '+bias' : ''}`;
    const graph = await cachedGraph(file, m.folder, info.cacheFolder, purpose, (bytes) => {
      const r = exposeAttention(bytes, file, m.layers, { keepOutputs: keep, forceCast, attentionBias });
      return r.bytes;
    });
    // The rewritten graph declares attentions.0 … attentions.{L-1} (checked against config.json's layer count).
    const attention = findAttention(graph.bytes, readOnnxGraph(graph.bytes), file, m.layers).tensors;
    const externalBase = await checkExternalData(graph.bytes, file, m.folder);
    const options: Ort.InferenceSession.SessionOptions = {
      ...SESSION_OPTIONS,
      // A graph given as bytes has no folder of its own: its external data is found from the model file's folder.
      ...(externalBase ? { extra: { session: { model_external_initializers_file_folder_path: externalBase } } } : {}),
    };
    // Without external data, onnxruntime reads the cached file itself: no second copy of the weights goes
    // through the JavaScript heap (478 MB for a GPT-2-small-sized graph). With it, the bytes are handed over and
    // the data found from the model's folder (a file in the cache would resolve it from the cache).
    const session = await openSession(!externalBase && graph.file ? graph.file : graph.bytes, options);
    try {
      await checkRanks(session, m, attention);
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e;
    }
    return { session, attention };
  };
  try {
    return await open(false);
  } catch (first) {
    // Our own errors (no attention, fused op, external data, file access) already name the file and the problem.
    if (!(first instanceof Error) || first.name !== 'Error') throw first;
    const notLoadable = (e: unknown): ModelLoadError => new ModelLoadError(file, `is not a loadable ONNX model (${(e as Error).message.split('\n')[0]})`);
    if (!/type|Type/.test(first.message)) throw notLoadable(first);
    // An attention tensor's type was guessed float32 but is not: cast every layer's instead.
    try {
      return await open(true);
    } catch (e) {
      throw notLoadable(e);
    }
  }
}

/**
 * A graph rarely says the rank of a Softmax output, so a Softmax that feeds a MatMul but is not attention (rank 3,
 * say) is told apart by one run on two tokens: each attention output must be [1, heads, 2, 2].
 */
async function checkRanks(session: Ort.InferenceSession, m: ModelManifest, attention: string[]): Promise<void> {
  const ort = await loadOrt();
  const out = await session.run(hfFeeds(ort, session, m, [0, 0], new Float32Array(4)), attention);
  for (const [l, name] of attention.entries()) {
    const dims = out[name].dims;
    if (dims.length !== 4 || dims[1] !== m.heads || dims[2] !== 2 || dims[3] !== 2) {
      throw new AttentionGraphError(
        m.modelPath,
        `has no attention to show: the Softmax found for layer ${l} gives a tensor of shape [${dims.join(', ')}] on two tokens, not [1, ${m.heads} heads, 2, 2] (config.json says ${m.heads} heads)`,
      );
    }
  }
}

/** One cached session per model file, variant and purpose (attention only, or with logits). */
export function getHfSession(m: ModelManifest, withLogits: boolean): Promise<HfSession> {
  return cachedPromise(sessions, `${m.modelPath}\n${withLogits ? 'logits' : 'attention'}\n${m.hf?.cacheFolder}`, () => createHfSession(m, withLogits));
}

export async function releaseHfSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map((p) => p.then((s) => s.session.release()).catch(() => undefined)));
}

type Meta = { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] };

/** The feeds for `ids`, by the session's own input names; an input it cannot feed is named in the error. */
export function hfFeeds(ort: typeof Ort, session: Ort.InferenceSession, m: ModelManifest, ids: ArrayLike<number>, bias: Float32Array): Record<string, Ort.Tensor> {
  const n = ids.length;
  const info = hfInfo(m);
  const meta = new Map<string, Meta>((session.inputMetadata as readonly Meta[]).map((x) => [x.name, x]));
  // [1, n] of the type the graph declares: int64 in Optimum exports, int32 or float32 (a mask) in some others.
  const ints = (name: string, fill: (i: number) => number): Ort.Tensor => {
    const type = meta.get(name)?.type;
    if (type === 'int32') return new ort.Tensor('int32', Int32Array.from({ length: n }, (_, i) => fill(i)), [1, n]);
    if (type === 'float32') return new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => fill(i)), [1, n]);
    return new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(fill(i))), [1, n]);
  };
  const feeds: Record<string, Ort.Tensor> = {};
  for (const name of session.inputNames) {
    if (name === 'input_ids') feeds[name] = ints(name, (i) => ids[i]);
    else if (name === 'attention_mask') feeds[name] = ints(name, () => 1);
    else if (name === 'token_type_ids') feeds[name] = ints(name, () => 0);
    else if (name === 'position_ids') feeds[name] = ints(name, (i) => i);
    else if (/^past_key_values\.\d+\.(key|value)$/.test(name)) {
      // Past length 0: the run starts with an empty cache, as transformers.js's first step does.
      const type = meta.get(name)?.type === 'float16' ? 'float16' : 'float32';
      const data = type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      feeds[name] = new ort.Tensor(type, data, [1, info.kvHeads, 0, m.headDim]);
    } else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', Uint8Array.from([0]), [1]);
    else if (name === BIAS_INPUT) feeds[name] = new ort.Tensor('float32', bias, [n, n]);
    else {
      throw new ModelLoadError(
        m.modelPath,
        `has an input "${name}" that Attention Lens cannot feed (it feeds input_ids, attention_mask, token_type_ids, position_ids, past_key_values.N.key/value and use_cache_branch)`,
      );
    }
  }
  return feeds;
}

/** Float32 values of a float32 or float16 tensor. */
function asFloat32(t: Ort.Tensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.type === 'float16') {
    const src = t.data as ArrayLike<number>;
    // onnxruntime gives float16 as raw bits (Uint16Array) or, where the platform has it, a Float16Array of values.
    if (src instanceof Uint16Array) {
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = halfToNumber(src[i]);
      return out;
    }
    return Float32Array.from(src);
  }
  throw new Error(`output of type ${t.type} is not a float tensor`);
}


/**
 * Runs the export on `ids`. The model applies its own mask (all-ones attention_mask; a decoder its causal mask);
 * an encoder's graph also takes `bias` (n×n, added to every layer's scores: the what-if mask, see
 * capabilities.anyMask), a decoder's does not (what-if masks are refused before this).
 */
export async function runHfModel(m: ModelManifest, ids: ArrayLike<number>, bias: Float32Array, options: { logits?: boolean } = {}): Promise<ModelOutputs> {
  const n = ids.length;
  const problem = budgetProblem(m, n, options.logits === true);
  if (problem) throw new MemoryBudgetError(problem);
  const { session, attention } = await getHfSession(m, options.logits === true);
  const ort = await loadOrt();
  if (m.capabilities.anyMask && !session.inputNames.includes(BIAS_INPUT) && bias.some((b) => b !== 0)) {
    // An encoder's graph gets the bias input only where the scores' type could be told. (A decoder's bias is its
    // own causal mask, which its graph applies itself: nothing to feed.)
    throw new ModelLoadError(m.modelPath, 'cannot take a what-if mask: no attention_bias input could be added in front of its Softmax nodes');
  }
  const feeds = hfFeeds(ort, session, m, ids, bias);
  const { layers, heads } = m;
  const size = heads * n * n;
  // One buffer for all layers (from the output pool where it can: src/model/outputPool.ts); each layer's output is
  // written by onnxruntime straight into its slice.
  const attentions = outputArray(layers * size);
  const into: Record<string, Ort.Tensor | null> = {};
  attention.forEach((name, l) => (into[name] = new ort.Tensor('float32', attentions.subarray(l * size, (l + 1) * size), [1, heads, n, n])));
  if (options.logits) into.logits = null;
  // Outputs of another shape than [1, heads, n, n] make the bound run fail: it is run unbound to name the shape.
  const { out, filled, inferenceMs } = await runIntoBuffers(session, feeds, into, [...attention, ...(options.logits ? ['logits'] : [])], m.modelPath, n);
  if (!filled) {
    attention.forEach((name, l) => {
      const dims = out[name].dims;
      if (dims.length !== 4 || dims[0] !== 1 || dims[1] !== heads || dims[2] !== n || dims[3] !== n) {
        throw new ModelLoadError(m.modelPath, `attention of layer ${l} ("${name}") has shape [${dims.join(', ')}], expected [1, ${heads}, ${n}, ${n}] from config.json`);
      }
      attentions.set(asFloat32(out[name]), l * size);
    });
  }
  // No q/k/v from a plain export (capabilities.vectors false). Each empty array has a buffer of its own, so the
  // worker can still transfer every output without a copy.
  const result: ModelOutputs = { attentions, queries: new Float32Array(0), keys: new Float32Array(0), values: new Float32Array(0), inferenceMs };
  if (options.logits) {
    expectLogitsShape(m.modelPath, out.logits.dims, n, m.vocabSize);
    result.logits = asFloat32(out.logits);
  }
  return result;
}
