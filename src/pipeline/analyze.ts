/**
 * The one data path shared by the extension, the CLI and the tests:
 * text → tokens with offsets → attention bias → model → AnalysisResult.
 */
import type { MaskKind, ModelInfo, TokenInfo, TranslationInfo } from '../protocol/messages';
import { buildAttentionBias } from '../attention/mask';
import { headIndex } from '../common/heads';
import { resolveMask } from '../common/mask';
import { ATTENTION_SETS, setOfLayer } from '../common/translation';
import { toModelInfo, type ModelManifest } from '../model/modelManifest';
import { inProcessInference, type InferenceBackend } from '../model/modelRunner';
import type { ModelRegistry } from '../model/modelRegistry';
import { budgetProblem } from '../hfModel/hfRunner';
import type { Token } from '../tokenizer/byteLevelBpe';
import { planWindows, windowSlice } from './windows';
import { notForAnalysisMessage } from '../translate/translationErrors';

export interface AnalysisResult {
  model: ModelInfo;
  manifest: ModelManifest;
  mask: MaskKind;
  whatIf: boolean;
  text: string;
  tokens: TokenInfo[];
  ids: number[];
  n: number;
  /**
   * n×n additive bias, row = query. A translation (`translation` set): the cross-attention set's joint bias (its
   * block visible, everything else MASKED_BIAS); each set's own is in `setBiases`.
   */
  bias: Float32Array;
  /** [layers, heads, n, n] (a translation: the three attentions stacked as 3 × L layers, src/common/translation.ts) */
  attentions: Float32Array;
  /** [layers, heads, n, headDim] */
  queries: Float32Array;
  keys: Float32Array;
  values: Float32Array;
  inferenceMs: number;
  /** A translation (encoder-decoder model) as one joint token list: source, then the decoder's tokens. */
  translation?: TranslationInfo;
  /**
   * A translation only: [3, n, n] joint biases in the order encoder, decoder, cross (ATTENTION_SETS): each set's
   * own bias inside its block (0 visible; the decoder's causal cells MASKED_BIAS), MASKED_BIAS outside it.
   */
  setBiases?: Float32Array;
}

/** A problem with the input text itself (not with the model): shown to the person as is. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface AnalyzeOptions {
  modelId: string;
  mask?: MaskKind | 'default';
}

/**
 * Tokens as the panel and the JSON show them. A special token ([CLS], <s>) stands for no text (start = end): its
 * text is its own name, so the panel can show it (marked) and a reader of the JSON sees which one it is.
 */
export function toTokenInfo(text: string, tokens: readonly (Token & { special?: boolean })[]): TokenInfo[] {
  return tokens.map((t) => (t.special ? { text: t.piece, start: t.start, end: t.end, special: true } : { text: text.slice(t.start, t.end), start: t.start, end: t.end }));
}

/**
 * Tokenizes `text` with the model's tokenizer; refuses empty input. Any length is tokenized whole: a text longer
 * than the model reads is cut into windows by analyzeWindow, and only analyzeTokens refuses an over-long list.
 */
export async function tokenizeFor(registry: ModelRegistry, manifest: ModelManifest, text: string): Promise<Token[]> {
  if (text.length === 0) throw new InputError('The selection is empty: select some text first.');
  const tokenizer = await registry.textTokenizer(manifest);
  return tokenizer.encode(text);
}

/** Runs already-tokenized text through a model. */
export async function analyzeTokens(
  manifest: ModelManifest,
  text: string,
  tokens: readonly Token[],
  requestedMask: MaskKind | 'default' | undefined,
  inference: InferenceBackend = inProcessInference,
): Promise<AnalysisResult> {
  const n = tokens.length;
  // A translation model runs on a source and a target (src/translate/), never on one token list.
  if (manifest.kind === 'encoder-decoder') throw new InputError(notForAnalysisMessage(manifest));
  if (n === 0) throw new InputError('The selection has no tokens to analyse.');
  if (n > manifest.maxPositions) {
    throw new InputError(
      `The selection is ${n} tokens long; model "${manifest.id}" reads at most ${manifest.maxPositions} tokens at a time.`,
    );
  }
  const { mask, whatIf } = resolveMask(manifest.kind, requestedMask);
  if (whatIf && !manifest.capabilities.anyMask) {
    throw new InputError(
      `Model "${manifest.id}" applies only its own ${manifest.kind === 'causal' ? 'causal' : 'full'} mask: its graph builds that mask inside, so no what-if mask can be put in its place.`,
    );
  }
  // Refused before anything is allocated (the worker would allocate layers × heads × n² floats).
  const tooBig = manifest.source === 'hf' ? budgetProblem(manifest, n) : undefined;
  if (tooBig) throw new InputError(tooBig);
  const bias = buildAttentionBias(n, mask);
  const ids = tokens.map((t) => t.id);
  const out = await inference.run(manifest, ids, bias);
  return {
    model: toModelInfo(manifest),
    manifest,
    mask,
    whatIf,
    text,
    tokens: toTokenInfo(text, tokens),
    ids,
    n,
    bias,
    attentions: out.attentions,
    queries: out.queries,
    keys: out.keys,
    values: out.values,
    inferenceMs: out.inferenceMs,
  };
}

export async function analyzeText(registry: ModelRegistry, text: string, options: AnalyzeOptions): Promise<AnalysisResult> {
  const manifest = await registry.get(options.modelId);
  const tokens = await tokenizeFor(registry, manifest, text);
  return analyzeTokens(manifest, text, tokens, options.mask);
}

/** The n×n weights of one head, as a view into the result (no copy). */
export function headWeights(r: AnalysisResult, layer: number, head: number): Float32Array {
  const size = r.n * r.n;
  const offset = headIndex(layer, head, r.model.heads) * size;
  return r.attentions.subarray(offset, offset + size);
}

/** The n×headDim vectors of one head, as a view into q, k or v (no copy). */
export function headVectors(r: AnalysisResult, which: 'queries' | 'keys' | 'values', layer: number, head: number): Float32Array {
  const size = r.n * r.model.headDim;
  const offset = headIndex(layer, head, r.model.heads) * size;
  return r[which].subarray(offset, offset + size);
}

/** The n×n additive bias the heads of `layer` were computed with: the analysis's, or for a translation its set's. */
export function layerBias(r: AnalysisResult, layer: number): Float32Array {
  if (!r.translation || !r.setBiases) return r.bias;
  const size = r.n * r.n;
  const set = ATTENTION_SETS.indexOf(setOfLayer(layer, r.model.setLayers ?? r.model.layers).set);
  return r.setBiases.subarray(set * size, (set + 1) * size);
}

export interface WindowedResult {
  result: AnalysisResult;
  /** Offset of the window's text in the whole text. */
  offset: number;
  window: { index: number; count: number };
}

/** Analyses window `windowIndex` (clamped) of already-tokenized text; short texts are a single window. */
export async function analyzeWindow(
  manifest: ModelManifest,
  text: string,
  tokens: readonly Token[],
  windowIndex: number,
  mask: MaskKind | 'default' | undefined,
  inference: InferenceBackend = inProcessInference,
): Promise<WindowedResult> {
  const windows = planWindows(tokens.length, manifest.maxPositions);
  const w = windows[Math.max(0, Math.min(windowIndex, windows.length - 1))];
  const slice = windowSlice(text, tokens, w);
  const result = await analyzeTokens(manifest, slice.text, slice.tokens, mask, inference);
  return { result, offset: slice.offset, window: { index: w.index, count: windows.length } };
}
