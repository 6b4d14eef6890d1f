/**
 * A translation as the host computed it: the source and target tokens with their ranges, the three attentions with
 * their own shapes (src/translate/translationTypes.ts), and what decoding did. `toJointAnalysis` turns it into the
 * AnalysisResult the panel streams; `translationJson` into the CLI's JSON.
 */
import type { TargetLanguage } from '../common/translation';
import type { ModelManifest } from '../model/modelManifest';
import type { TokenInfo } from '../protocol/messages';
import type { TranslationBiases, TranslationOutputs } from './translationTypes';

export type TranslationStop = 'eos' | 'length' | 'forced';

export interface TranslationResult {
  manifest: ModelManifest;
  /** The language written. */
  to: TargetLanguage;
  /** The source text; source token ranges are in it. */
  text: string;
  /** S tokens: the text's, then the end token (special, start = end = text length). */
  source: { tokens: TokenInfo[]; ids: number[] };
  /**
   * T tokens: the decoder's inputs — the language tag (special, start = end = 0), then the target tokens — with
   * ranges in `text`, the target text they spell. Decoder row i is the step whose input is token i and which wrote
   * token i + 1 (the last row wrote `next`).
   */
  target: { text: string; tokens: TokenInfo[]; ids: number[] };
  /**
   * What the last decoder row wrote: a partial step's newest token (not yet a decoder input, so not in
   * `target.tokens`: its own row comes with the next step), or after the end the end token / the token a length
   * stop left out. Absent when teacher-forced.
   */
  next?: { id: number; text: string; special: boolean };
  /** The target was given (teacher forcing), not written by the model. */
  forced: boolean;
  /** A step of a translation still being written (onStep); the final result is false. */
  partial: boolean;
  /** Why decoding stopped (final results only). */
  stop?: TranslationStop;
  /** The last forward pass over exactly these tokens: [L, H, ·, ·] per set, as the graph returns them. */
  outputs: TranslationOutputs;
  biases: TranslationBiases;
  timing: {
    /** Inference time of every forward pass so far. */
    inferenceMs: number;
    /** Forward passes so far. */
    passes: number;
    /** From the call to this result. */
    totalMs: number;
    /** From the call to the first generated token (absent when forced). */
    firstTokenMs?: number;
  };
}
