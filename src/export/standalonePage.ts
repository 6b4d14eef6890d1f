/**
 * The standalone page: the same webview bundle with a recorded message stream embedded, so it works from
 * file:// with nothing else (the CLI's --html and the panel's "Export HTML").
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { attentionJson, type AttentionJson, type JsonWindow } from '../common/attentionJson';
import { PROTOCOL_VERSION, encodeHead, type HostToWebview, type Slot } from '../protocol/messages';
import { serializeMessages } from '../protocol/serialize';
import { makeNonce, renderStandaloneHtml } from '../panel/panelHtml';
import { headWeights, type AnalysisResult } from '../pipeline/analyze';
import { vectorsMessage } from '../panel/analysisStreamer';
import { recordFormulas } from '../formula/formulaRunner';
import type { ModelManifest } from '../model/modelManifest';
import { loadTokenizer } from '../model/modelRegistry';
import { predictionContext, predictionsForAll } from '../predict/predictions';
import { NoLogitsError, NoMaskTokenError } from '../predict/specialTokens';
import type { TextTokenizer } from '../hfTokenizer/textTokenizer';
import type { ByteLevelBpeTokenizer } from '../tokenizer/byteLevelBpe';

/** Above this many tokens the exact q/k/v floats are left out of the page (they grow as n², see README). */
export const MAX_TOKENS_WITH_VECTORS = 160;

/** Up to this many tokens the page records every token's top-5 predictions (the encoder needs one run per token). */
export const MAX_TOKENS_WITH_PREDICTIONS = 64;
/** How many predictions per token the page records. */
export const RECORDED_PREDICTIONS = 5;

export interface StandaloneOptions {
  /** Folder holding webview.js and webview.css (the build output). */
  distDir: string;
  sourceLabel?: string;
  strings?: Record<string, string>;
  lang?: string;
  /** For a window of a long text (the CLI's --window): which one, and its offset in the whole text. */
  window?: JsonWindow;
  /** The model's tokenizer (names the recorded predictions); by default read from the model folder. */
  tokenizer?: (manifest: ModelManifest) => Promise<ByteLevelBpeTokenizer | TextTokenizer>;
}

/**
 * The top-5 predictions at every token of a short text, at temperature 1, as `predictions` messages of its analysis
 * (causal: next token, from one run with logits; encoder: fillers, one run with <mask> per token — the CLI's
 * `--predictions 5`). None for longer texts, or an encoder without a mask token.
 */
export async function recordPredictions(
  r: AnalysisResult,
  generation: number,
  slot: Slot,
  tokenizer: (manifest: ModelManifest) => Promise<ByteLevelBpeTokenizer | TextTokenizer> = loadTokenizer,
): Promise<HostToWebview[]> {
  if (r.n > MAX_TOKENS_WITH_PREDICTIONS) return [];
  let named: ByteLevelBpeTokenizer | TextTokenizer;
  try {
    named = await tokenizer(r.manifest);
  } catch (e) {
    // A Hugging Face folder's tokenizer comes from the registry's textTokenizer; a caller that gives only the
    // contract's byte-level tokenizer gets a page without predictions rather than no page.
    if (r.manifest.source === 'hf') return [];
    throw e;
  }
  const ctx = await predictionContext(r.manifest, named);
  try {
    const all = await predictionsForAll(ctx, r.ids, RECORDED_PREDICTIONS, 1);
    const kind = r.manifest.kind === 'causal' ? 'next' : 'fill';
    return all.map((p) => ({
      type: 'predictions',
      generation,
      slot,
      token: p.position,
      temperature: 1,
      kind,
      top: p.top,
      ...(p.actual ? { actual: p.actual } : {}),
      ...(p.unavailable ? { unavailable: p.unavailable } : {}),
    }));
  } catch (e) {
    if (e instanceof NoMaskTokenError || e instanceof NoLogitsError) return [];
    throw e;
  }
}

/**
 * The host→webview messages that show `results` (slot 0, and slot 1 in compare mode), in this order: `init`, then
 * per analysis analysisStart, headData for every head, analysisComplete, and headVectors for every head when the
 * text has at most MAX_TOKENS_WITH_VECTORS tokens. `window` places a window of a long text (both slots share it).
 */
export function recordMessages(
  results: readonly AnalysisResult[],
  sourceLabel: string,
  strings: Record<string, string> = {},
  window: JsonWindow = { index: 0, count: 1, offset: 0 },
): HostToWebview[] {
  const messages: HostToWebview[] = [
    {
      type: 'init',
      protocolVersion: PROTOCOL_VERSION,
      models: results.map((r) => r.model),
      host: 'standalone',
      strings,
    },
  ];
  results.forEach((r, i) => {
    const slot = i as Slot;
    const generation = i + 1;
    messages.push({
      type: 'analysisStart',
      generation,
      slot,
      model: r.model,
      mask: r.mask,
      whatIf: r.whatIf,
      text: r.text,
      documentOffset: window.offset,
      sourceLabel,
      tokens: r.tokens,
      window: { index: window.index, count: window.count },
      inferenceMs: r.inferenceMs,
      ...(r.translation ? { translation: r.translation } : {}),
    });
    for (let layer = 0; layer < r.model.layers; layer++) {
      for (let head = 0; head < r.model.heads; head++) {
        const { layout, data } = encodeHead(headWeights(r, layer, head), r.n, r.mask);
        messages.push({ type: 'headData', generation, slot, layer, head, layout, data: data.buffer as ArrayBuffer });
      }
    }
    messages.push({ type: 'analysisComplete', generation, slot });
    if (r.n <= MAX_TOKENS_WITH_VECTORS && r.manifest.capabilities.vectors) {
      for (let layer = 0; layer < r.model.layers; layer++) {
        for (let head = 0; head < r.model.heads; head++) messages.push(vectorsMessage(r, generation, slot, layer, head));
      }
    }
  });
  return messages;
}

export async function buildStandaloneHtml(results: readonly AnalysisResult[], options: StandaloneOptions): Promise<string> {
  if (results.length === 0) throw new Error('Nothing to export: no analysis.');
  const [scriptText, styleText] = await Promise.all([
    readFile(path.join(options.distDir, 'webview.js'), 'utf8'),
    readFile(path.join(options.distDir, 'webview.css'), 'utf8'),
  ]);
  const label = options.sourceLabel ?? 'text';
  const messages = recordMessages(results, label, options.strings, options.window);
  // The computation view's formula steps, for short texts (each slot's generation is its index + 1, as recorded).
  // A translation has neither (its graph reads a source and a target; the formula session and predictions read one list).
  const single = (r: AnalysisResult): boolean => !r.translation;
  for (const [i, r] of results.entries()) if (single(r) && r.manifest.capabilities.vectors) messages.push(...(await recordFormulas(r, i + 1, i as Slot)));
  // Every token's top-5 predictions, for short texts (the page's local host answers requestPredictions from them).
  for (const [i, r] of results.entries()) if (single(r)) messages.push(...(await recordPredictions(r, i + 1, i as Slot, options.tokenizer)));
  return renderStandaloneHtml({
    nonce: makeNonce(),
    scriptText,
    styleText,
    messagesJson: serializeMessages(messages),
    lang: options.lang ?? 'en',
    title: `Attention Lens — ${label}`,
  });
}

/** The JSON export of one analysis (src/common/attentionJson.ts); `window` for a window of a long text. */
export function analysisToJson(r: AnalysisResult, window?: JsonWindow): AttentionJson {
  return attentionJson({
    model: r.model,
    mask: r.mask,
    whatIf: r.whatIf,
    tokens: r.tokens,
    weights: (layer, head) => headWeights(r, layer, head),
    window,
  });
}
