/**
 * What the model says at a position, from its logits. The panel's session runs without logits (they are n × vocab
 * floats and the LM head was a third of the work), so these functions ask the inference backend for a run *with*
 * logits only when predictions are wanted.
 *
 * - causal model: position i's logits are the distribution of the token after i (next-token prediction);
 * - encoder (masked LM): the fillers for position i are read from a run with token i replaced by the mask token,
 *   which is what the encoder was trained on.
 */
import { buildAttentionBias } from '../attention/mask';
import { resolveMask } from '../common/mask';
import type { ModelManifest } from '../model/modelManifest';
import { inProcessInference, type InferenceBackend, type ModelOutputs } from '../model/modelRunner';
import { readFile } from 'node:fs/promises';
import { readOnnxGraph } from '../hfModel/onnxGraphRead';
import { BundledTextTokenizer } from '../hfTokenizer/bundledTextTokenizer';
import type { TextTokenizer } from '../hfTokenizer/textTokenizer';
import { ByteLevelBpeTokenizer } from '../tokenizer/byteLevelBpe';
import { logitsRow, softmaxWithTemperature, topK, type TokenProbability } from './distribution';
import { NoLogitsError, NoMaskTokenError, SpecialPositionError, specialTokensOf, withRoles, type SpecialTokens } from './specialTokens';
import { tokenText } from './tokenText';

/** A candidate with its text, as the CLI and the panel show it. */
export interface Prediction {
  id: number;
  text: string;
  p: number;
}

export interface PositionPredictions {
  position: number;
  /** The K likeliest tokens, likeliest first. */
  top: Prediction[];
  /**
   * How likely the model found the token that is really there: for a causal model the token after `position`
   * (absent at the last position); for the encoder the masked token itself.
   */
  actual?: Prediction;
  temperature: number;
  /** Why there are no candidates at this position (an encoder's special token: nothing to fill). */
  unavailable?: string;
}

/** The vocabulary size of the logits (the manifest's, or the logits' own length over n). */
function vocabOf(manifest: ModelManifest, logits: Float32Array, n: number): number {
  return manifest.vocabSize ?? logits.length / n;
}

/** Runs the model with logits on `ids` under its own mask (the predictions are the trained model's). */
export async function runWithLogits(
  manifest: ModelManifest,
  ids: readonly number[],
  inference: InferenceBackend = inProcessInference,
): Promise<ModelOutputs & { logits: Float32Array }> {
  const { mask } = resolveMask(manifest.kind, 'default');
  let out: ModelOutputs;
  try {
    out = await inference.run(manifest, ids, buildAttentionBias(ids.length, mask), { logits: true });
  } catch (e) {
    // A Hugging Face export may end at last_hidden_state: the run fails asking for "logits". Only then is the
    // graph read to tell that case from any other failure.
    if (manifest.source === 'hf' && !(await graphHasLogits(manifest))) throw new NoLogitsError(manifest);
    throw e;
  }
  if (!out.logits) throw new NoLogitsError(manifest);
  return out as ModelOutputs & { logits: Float32Array };
}

/** Whether the model file declares a `logits` output (true when the file cannot be read: the first error stands). */
async function graphHasLogits(manifest: ModelManifest): Promise<boolean> {
  try {
    return readOnnxGraph(await readFile(manifest.modelPath)).outputs.includes('logits');
  } catch {
    return true;
  }
}

/** Top-K of one logits row at a temperature, with texts, and the probability of `actualId` if given. */
export function predictFromRow(
  row: Float32Array,
  position: number,
  k: number,
  temperature: number,
  describe: (id: number) => string,
  actualId?: number,
): PositionPredictions {
  const probs = softmaxWithTemperature(row, temperature);
  const withText = (t: TokenProbability): Prediction => ({ id: t.id, text: describe(t.id), p: t.p });
  const result: PositionPredictions = { position, top: topK(probs, k).map(withText), temperature };
  if (actualId !== undefined) result.actual = withText({ id: actualId, p: probs[actualId] });
  return result;
}

/** What a model needs to name its predictions. */
export interface PredictionContext {
  manifest: ModelManifest;
  tokenizer: TextTokenizer;
  special: SpecialTokens;
}

/**
 * The context of a model's predictions, from either tokenizer. The bundled byte-level BPE (given as is, or wrapped)
 * names its special tokens only in tokenizer.json's added_tokens; a Hugging Face tokenizer also says their roles.
 */
export async function predictionContext(manifest: ModelManifest, tokenizer: ByteLevelBpeTokenizer | TextTokenizer): Promise<PredictionContext> {
  const fromFile = await specialTokensOf(manifest);
  if (tokenizer instanceof ByteLevelBpeTokenizer) return { manifest, tokenizer: new BundledTextTokenizer(tokenizer, fromFile), special: fromFile };
  if (tokenizer instanceof BundledTextTokenizer || manifest.source !== 'hf') return { manifest, tokenizer, special: fromFile };
  return { manifest, tokenizer, special: withRoles(fromFile, tokenizer.special) };
}

/** Causal model: the top-K next tokens after every position, from logits already computed for `ids`. */
export function nextTokenPredictionsFromLogits(
  ctx: PredictionContext,
  ids: readonly number[],
  logits: Float32Array,
  k: number,
  temperature = 1,
): PositionPredictions[] {
  const vocab = vocabOf(ctx.manifest, logits, ids.length);
  const describe = (id: number): string => tokenText(ctx.tokenizer, ctx.special, id);
  return ids.map((_, i) => predictFromRow(logitsRow(logits, i, vocab), i, k, temperature, describe, ids[i + 1]));
}

/** The mask token's id, or a clear error when the tokenizer has none. */
export function maskIdOf(ctx: PredictionContext): number {
  if (ctx.special.maskId === undefined) throw new NoMaskTokenError(ctx.manifest);
  return ctx.special.maskId;
}

/** `ids` with position `position` replaced by the mask token. */
export function withMaskAt(ids: readonly number[], position: number, maskId: number): number[] {
  if (!Number.isInteger(position) || position < 0 || position >= ids.length) {
    throw new RangeError(`position ${position} is outside the ${ids.length} tokens`);
  }
  const masked = ids.slice();
  masked[position] = maskId;
  return masked;
}

/** Why position `position` gets no fillers (a token the tokenizer added there), or undefined when it can be asked. */
export function specialPosition(ctx: PredictionContext, ids: readonly number[], position: number): SpecialPositionError | undefined {
  const id = ids[position];
  if (!ctx.special.structural?.has(id)) return undefined;
  return new SpecialPositionError(position, ctx.special.added.get(id) ?? ctx.tokenizer.pieceOf(id) ?? `token ${id}`);
}

/**
 * Encoder: the top-K fillers for `position` — the model run with that token replaced by the mask token — and
 * the probability of the token that was there. Returns the masked run's outputs too (its attention shows what
 * masking changed).
 */
export async function maskFillPredictions(
  ctx: PredictionContext,
  ids: readonly number[],
  position: number,
  k: number,
  temperature = 1,
  inference: InferenceBackend = inProcessInference,
): Promise<{ predictions: PositionPredictions; outputs: ModelOutputs & { logits: Float32Array }; maskedIds: number[] }> {
  const refused = specialPosition(ctx, ids, position);
  if (refused) throw refused;
  const maskedIds = withMaskAt(ids, position, maskIdOf(ctx));
  const outputs = await runWithLogits(ctx.manifest, maskedIds, inference);
  const vocab = vocabOf(ctx.manifest, outputs.logits, ids.length);
  const describe = (id: number): string => tokenText(ctx.tokenizer, ctx.special, id);
  const predictions = predictFromRow(logitsRow(outputs.logits, position, vocab), position, k, temperature, describe, ids[position]);
  return { predictions, outputs, maskedIds };
}

/**
 * Predictions at every position, as the CLI's `--predictions K` gives them: causal, one run with logits; encoder,
 * one masked run per position (n runs: each position is asked on its own, as the model was trained).
 */
export async function predictionsForAll(
  ctx: PredictionContext,
  ids: readonly number[],
  k: number,
  temperature = 1,
  inference: InferenceBackend = inProcessInference,
): Promise<PositionPredictions[]> {
  if (ctx.manifest.kind === 'causal') {
    const { logits } = await runWithLogits(ctx.manifest, ids, inference);
    return nextTokenPredictionsFromLogits(ctx, ids, logits, k, temperature);
  }
  maskIdOf(ctx); // the clear error before any run
  const all: PositionPredictions[] = [];
  for (let i = 0; i < ids.length; i++) {
    const refused = specialPosition(ctx, ids, i);
    if (refused) all.push({ position: i, top: [], temperature, unavailable: refused.message });
    else all.push((await maskFillPredictions(ctx, ids, i, k, temperature, inference)).predictions);
  }
  return all;
}

/** One head's attention row (from) and column (to) of `position`, before and after masking it. */
export interface AttentionChangeAt {
  from: { before: number[]; after: number[] };
  to: { before: number[]; after: number[] };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/**
 * What masking `position` did to head (`layer`, `head`): its row (the position's attention to every token) and its
 * column (every token's attention to it) in `before` and `after` ([layers, heads, n, n] each, the same mask),
 * rounded to 1e-6 so the message stays small.
 */
export function attentionChangeAt(
  before: Float32Array,
  after: Float32Array,
  n: number,
  heads: number,
  layer: number,
  head: number,
  position: number,
): AttentionChangeAt {
  const base = (layer * heads + head) * n * n;
  const row = (a: Float32Array): number[] => Array.from(a.subarray(base + position * n, base + (position + 1) * n), round6);
  const column = (a: Float32Array): number[] => Array.from({ length: n }, (_, q) => round6(a[base + q * n + position]));
  return { from: { before: row(before), after: row(after) }, to: { before: column(before), after: column(after) } };
}
