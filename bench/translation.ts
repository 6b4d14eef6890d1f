/**
 * Translation (issue 11): at a 40-word English sentence, the time to the first translated token and per generated
 * token (greedy, in process, one forward pass of the whole graph per token: the contract graph has no key/value
 * cache), beside one forward pass at the final source × target size — the floor each step is bounded by.
 * Measured interleaved (a pass, then a translation, repeated) so both see the same machine load.
 */
import type { ModelManifest } from '../src/model/modelManifest';
import type { ModelRegistry } from '../src/model/modelRegistry';
import { translate } from '../src/translate/greedyTranslate';
import { trainedTranslationBiases } from '../src/translate/translationBiases';
import { runTranslation } from '../src/translate/translationRunner';
import { log, round, summarize, type Summary } from './common';

/** 40 words of the kind of text the model was trained on (software documentation), written for the bench. */
export const SENTENCE_40_WORDS =
  'When you open a file that was changed on the disk by another program, the editor asks whether to reload it, ' +
  'keep your changes, or compare both versions side by side before you save the document again in its folder.';

export interface TranslationSection {
  model: string;
  words: number;
  sourceTokens: number;
  targetTokens: number;
  stop: string;
  firstTokenMs: Summary;
  msPerGeneratedToken: Summary;
  /** One forward pass at the final sizes (source × the whole decoder input). */
  forwardPassMs: Summary;
  /** median first token / median forward pass (the first step is one pass over a one-token decoder input). */
  firstTokenToPass: number;
  /** median ms per token / median forward pass at the final size: ≤ 1 when every step costs at most one full pass. */
  perTokenToPass: number;
}

export async function benchTranslation(registry: ModelRegistry, manifest: ModelManifest, reps = 5): Promise<TranslationSection> {
  const tokenizer = await registry.translationTokenizer(manifest);
  const words = SENTENCE_40_WORDS.split(/\s+/).length;
  const once = () => translate(manifest, tokenizer, SENTENCE_40_WORDS, { to: 'zh' });
  const warm = await once(); // loads the session
  const S = warm.source.ids.length;
  const decoderIds = warm.target.ids;
  const biases = trainedTranslationBiases(S, decoderIds.length);
  const firsts: number[] = [];
  const perToken: number[] = [];
  const passes: number[] = [];
  let last = warm;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await runTranslation(manifest, warm.source.ids, decoderIds, biases);
    passes.push(performance.now() - t0);
    last = await once();
    firsts.push(last.timing.firstTokenMs ?? Number.NaN);
    const generated = Math.max(1, last.target.ids.length - 1 + (last.stop === 'eos' ? 1 : 0));
    perToken.push(last.timing.totalMs / generated);
    log(`translation rep ${r + 1}/${reps}: first token ${round(firsts[r], 1)} ms, ${round(perToken[r], 1)} ms/token, pass ${round(passes[r], 1)} ms`);
  }
  const first = summarize(firsts);
  const per = summarize(perToken);
  const pass = summarize(passes);
  return {
    model: manifest.id,
    words,
    sourceTokens: S,
    targetTokens: last.target.ids.length,
    stop: last.stop ?? 'unknown',
    firstTokenMs: first,
    msPerGeneratedToken: per,
    forwardPassMs: pass,
    firstTokenToPass: round(first.median / pass.median, 2),
    perTokenToPass: round(per.median / pass.median, 2),
  };
}
