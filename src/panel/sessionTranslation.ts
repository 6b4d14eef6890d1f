/**
 * What a panel slot does when its model is a translation model (kind `encoder-decoder`): the model writes the
 * translation one token at a time, and each step is shown as an analysis of its own (a new generation whose
 * `translation.partial` is true) so the person sees the translation grow; the last step is streamed whole.
 *
 * The session keeps, per slot, which way to translate and whether the person gave their own translation (teacher
 * forcing): a new text translates in the direction its script suggests, with the model's own output.
 */
import type { Slot, TokenInfo } from '../protocol/messages';
import { targetLanguageFor, type TargetLanguage } from '../common/translation';
import type { AnalysisResult } from '../pipeline/analyze';
import type { ModelManifest } from '../model/modelManifest';
import type { ModelRegistry } from '../model/modelRegistry';
import type { InferenceBackend } from '../model/modelRunner';
import { translateToAnalysis } from '../translate/translateAnalysis';

/** How a slot's text is translated: the direction, and a given target (null: the model's own translation). */
export interface TranslationRequest {
  /** The text the request was made for: another text goes back to the defaults. */
  text: string;
  to: TargetLanguage;
  target: string | null;
}

export class TranslationRequests {
  private readonly bySlot = new Map<Slot, TranslationRequest>();

  /** The request for `text` in `slot`: the one the person made for this text, else the defaults. */
  for(slot: Slot, text: string): TranslationRequest {
    const r = this.bySlot.get(slot);
    return r && r.text === text ? r : { text, to: targetLanguageFor(text), target: null };
  }

  set(slot: Slot, request: TranslationRequest): void {
    this.bySlot.set(slot, request);
  }

  clear(slot: Slot): void {
    this.bySlot.delete(slot);
  }
}

export interface TranslationStepSink {
  /** One step of the translation, as an analysis of the joint token list; `final` for the last. */
  show(joint: AnalysisResult, final: boolean): Promise<void>;
}

/**
 * Translates (or aligns the given target of) `text`, showing every step through `sink`; each forward pass runs on
 * `inference` (the extension's worker). Stops between steps as soon as `isCancelled` says so.
 */
export async function runSlotTranslation(args: {
  registry: ModelRegistry;
  manifest: ModelManifest;
  text: string;
  request: TranslationRequest;
  inference: InferenceBackend | undefined;
  isCancelled: () => boolean;
  sink: TranslationStepSink;
}): Promise<AnalysisResult | undefined> {
  const { registry, manifest, text, request, inference, isCancelled, sink } = args;
  let lastShown: Promise<void> = Promise.resolve();
  const result = await translateToAnalysis({
    registry,
    manifest,
    text,
    to: request.to,
    target: request.target,
    inference,
    isCancelled,
    // Steps arrive faster than a webview paints them: each one replaces the last, never waits for it.
    onStep: (partial) => {
      if (!isCancelled()) lastShown = sink.show(partial, false);
    },
  });
  await lastShown;
  if (!result || isCancelled()) return undefined;
  await sink.show(result, true);
  return result;
}

/** The tokens of a joint list that are in the document (the source): what the editor overlay draws on. */
export function documentTokens(r: { tokens: TokenInfo[]; translation?: { sourceCount: number } }): TokenInfo[] {
  return r.translation ? r.tokens.slice(0, r.translation.sourceCount) : r.tokens;
}
