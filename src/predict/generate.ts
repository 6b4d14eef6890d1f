/**
 * Continues a text with the causal model, one token at a time: greedy (temperature 0) or sampled from
 * softmax(logits / T) restricted to the top-k tokens, with a seeded generator so a run can be repeated.
 *
 * No key/value cache: the bundled graphs take the whole sequence and have no past-key/value inputs or outputs,
 * so every step is one full forward pass over the sequence so far (the bench reports this cost beside one
 * forward pass at the same length, which is its floor).
 */
import type { InferenceBackend, ModelOutputs } from '../model/modelRunner';
import { inProcessInference } from '../model/modelRunner';
import { argmax, logitsRow, softmaxWithTemperature, topK } from './distribution';
import { runWithLogits, type PredictionContext } from './predictions';
import { seededRandom } from './seededRandom';
import { TokenTextStream } from './tokenText';

/** Whether generation reuses attention keys/values between steps (it cannot with the bundled graphs). */
export const KV_CACHE = false;

export interface GenerateOptions {
  /** How many tokens to add (N). */
  tokens: number;
  /** 0 = greedy (always the likeliest token); otherwise sample from softmax(logits / T). Default 1. */
  temperature?: number;
  /** Sample only among the k likeliest tokens (0 or absent = the whole vocabulary). */
  topK?: number;
  /** Seed of the generator; the same seed, text and options give the same tokens. Default 0. */
  seed?: number;
  /** Stops the generation between steps: the promise rejects with a GenerationCancelled and no token follows. */
  signal?: AbortSignal;
  inference?: InferenceBackend;
  /** Called after every new token, before the next step starts (the panel shows it at once). */
  onToken?: (token: GeneratedToken, ids: readonly number[]) => void | Promise<void>;
}

export interface GeneratedToken {
  id: number;
  /** The characters this token completes (byte-level BPE: '' while a character is still partial). */
  text: string;
  /** Position in the whole sequence (the prompt's tokens come first). */
  position: number;
  /** The probability the sampler gave this token (after temperature and top-k; 1 when greedy picks it alone). */
  p: number;
}

export type StopReason = 'length' | 'stopToken' | 'maxPositions';

export interface GenerationResult {
  /** Prompt ids followed by the generated ids. */
  ids: number[];
  generated: GeneratedToken[];
  /** The generated text, decoded as a whole (the tokens' texts joined, plus any final partial character). */
  text: string;
  stoppedBy: StopReason;
  /** Milliseconds of inference per generated token (one forward pass each). */
  inferenceMsPerToken: number;
  kvCache: typeof KV_CACHE;
  /** The outputs of the last step's run (the sequence before the last token), with its logits. */
  lastOutputs?: ModelOutputs;
}

export class GenerationCancelled extends Error {
  constructor() {
    super('The generation was cancelled.');
    this.name = 'AbortError';
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GenerationCancelled();
}

/**
 * Picks the next token from one logits row. Added tokens (`<mask>`, `<pad>`) are never produced — they are not
 * text — except the stop token, which ends the generation.
 */
export function chooseToken(
  row: Float32Array,
  banned: ReadonlySet<number>,
  temperature: number,
  k: number,
  random: () => number,
): { id: number; p: number } {
  const allowed = Float64Array.from(row);
  for (const id of banned) if (id < allowed.length) allowed[id] = -Infinity;
  if (temperature === 0) return { id: argmax(allowed), p: 1 };
  const probs = softmaxWithTemperature(allowed, temperature);
  const pool = k > 0 ? topK(probs, k) : Array.from(probs, (p, id) => ({ id, p })).filter((t) => t.p > 0);
  const total = pool.reduce((s, t) => s + t.p, 0);
  let r = random() * total;
  for (const t of pool) {
    r -= t.p;
    if (r < 0) return { id: t.id, p: t.p / total };
  }
  const last = pool[pool.length - 1]; // rounding left r a hair above 0
  return { id: last.id, p: last.p / total };
}

/** Generates up to `options.tokens` tokens after `promptIds` with a causal model. */
export async function generate(ctx: PredictionContext, promptIds: readonly number[], options: GenerateOptions): Promise<GenerationResult> {
  const { manifest } = ctx;
  if (manifest.kind !== 'causal') throw new Error(`Model "${manifest.id}" is an encoder; only a causal model continues a text.`);
  if (promptIds.length === 0) throw new Error('There is no text to continue: select some text first.');
  const temperature = options.temperature ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`temperature must be 0 (greedy) or positive (got ${temperature})`);
  const k = options.topK ?? 0;
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`top-k must be a whole number from 0 (got ${k})`);
  const random = seededRandom(options.seed ?? 0);
  const inference = options.inference ?? inProcessInference;
  const banned = new Set([...ctx.special.added.keys()].filter((id) => id !== ctx.special.stopId));
  // Ids past the tokenizer's (a graph's vocabulary padded to a round size) stand for no text: never produced.
  const named = Math.max(ctx.tokenizer.vocabSize, ...[...ctx.special.added.keys()].map((id) => id + 1));
  const stream = new TokenTextStream(ctx.tokenizer, ctx.special);
  const ids = promptIds.slice();
  const generated: GeneratedToken[] = [];
  let stoppedBy: StopReason = 'length';
  let inferenceMs = 0;
  let lastOutputs: ModelOutputs | undefined;
  let text = '';
  while (generated.length < options.tokens) {
    throwIfAborted(options.signal);
    if (ids.length >= manifest.maxPositions) {
      stoppedBy = 'maxPositions';
      break;
    }
    const out = await runWithLogits(manifest, ids, inference);
    throwIfAborted(options.signal);
    inferenceMs += out.inferenceMs;
    lastOutputs = out;
    const vocab = manifest.vocabSize ?? out.logits.length / ids.length;
    const row = logitsRow(out.logits, ids.length - 1, vocab);
    const choice = chooseToken(row.length > named ? row.subarray(0, named) : row, banned, temperature, k, random);
    if (choice.id === ctx.special.stopId) {
      stoppedBy = 'stopToken';
      break;
    }
    const token: GeneratedToken = { id: choice.id, text: stream.push(choice.id), position: ids.length, p: choice.p };
    text += token.text;
    ids.push(choice.id);
    generated.push(token);
    await options.onToken?.(token, ids);
  }
  text += stream.end();
  return {
    ids,
    generated,
    text,
    stoppedBy,
    inferenceMsPerToken: generated.length ? inferenceMs / generated.length : 0,
    kvCache: KV_CACHE,
    lastOutputs,
  };
}
