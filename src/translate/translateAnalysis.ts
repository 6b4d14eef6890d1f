/**
 * The panel's entry: translate a text (or align a given target) and hand every step over as the joint
 * AnalysisResult the streamer shows (toJointAnalysis). Each forward pass runs on `inference` (the extension's
 * worker client); a newer selection stops it between passes.
 */
import type { TargetLanguage } from '../common/translation';
import type { ModelManifest } from '../model/modelManifest';
import type { ModelRegistry } from '../model/modelRegistry';
import type { InferenceBackend } from '../model/modelRunner';
import type { AnalysisResult } from '../pipeline/analyze';
import { CancelledError } from '../pipeline/windows';
import { translate } from './greedyTranslate';
import { toJointAnalysis } from './jointAnalysis';

export interface TranslateToAnalysisArgs {
  registry: ModelRegistry;
  manifest: ModelManifest;
  text: string;
  /** Default: from the text's script (targetLanguageFor). */
  to?: TargetLanguage;
  /** A translation to align (teacher forcing); null or absent: the model's own. */
  target?: string | null;
  inference?: InferenceBackend;
  isCancelled?: () => boolean;
  /** Every decoder step before the last (translation.partial true); not called for a teacher-forced target. */
  onStep?: (partial: AnalysisResult) => void;
}

/** The final joint analysis, or undefined when cancelled. Input problems reject with InputError. */
export async function translateToAnalysis(args: TranslateToAnalysisArgs): Promise<AnalysisResult | undefined> {
  const tokenizer = await args.registry.translationTokenizer(args.manifest);
  try {
    const result = await translate(args.manifest, tokenizer, args.text, {
      to: args.to,
      target: args.target,
      inference: args.inference,
      cancel: args.isCancelled,
      onStep: args.onStep ? (partial) => args.onStep?.(toJointAnalysis(partial)) : undefined,
    });
    return toJointAnalysis(result);
  } catch (e) {
    if (e instanceof CancelledError) return undefined;
    throw e;
  }
}
