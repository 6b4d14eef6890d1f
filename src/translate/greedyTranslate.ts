/**
 * Translation in the host: greedy decoding, one forward pass of the whole graph per generated token (the graph has
 * no key/value cache), each pass on the given inference backend (the extension: its worker) so the host's thread
 * stays free. Or, with a given target, one teacher-forced pass that shows how the model aligns that translation.
 *
 * Stops at the end token, or when the decoder's input reaches min(max_positions, 3 × source tokens + 10) tokens —
 * the rule of the PyTorch reference decoder (models/training/translation/decode.py), so both give the same tokens.
 * Cancellation is checked between passes: a newer selection stops the loop within one pass.
 */
import { targetLanguageFor, type TargetLanguage } from '../common/translation';
import type { ModelManifest } from '../model/modelManifest';
import { inProcessInference, type InferenceBackend } from '../model/modelRunner';
import { InputError } from '../pipeline/analyze';
import { CancelledError } from '../pipeline/windows';
import { trainedTranslationBiases } from './translationBiases';
import type { TranslationResult, TranslationStop } from './translationResult';
import { runTranslation } from './translationRunner';
import type { TranslationTokenizer } from './translationTokenizer';
import type { TranslationBiases, TranslationOutputs, TranslationRunOptions } from './translationTypes';

export interface TranslateOptions {
  /** The language to write; default: from the text's script (targetLanguageFor). */
  to?: TargetLanguage;
  /** A translation to align instead of the model's own (teacher forcing); null or absent: the model writes one. */
  target?: string | null;
  /** Where each forward pass runs; default in process. A backend without runTranslation runs it in process. */
  inference?: InferenceBackend;
  /** After every generated token (not after the end token): that decoder step, as a partial result. */
  onStep?: (partial: TranslationResult) => void;
  /** Checked between passes; when it says so, translate rejects with CancelledError (src/pipeline/windows.ts). */
  cancel?: (() => boolean) | AbortSignal;
  /** At most this many target tokens (besides the tag); the length rule above still applies. */
  maxTokens?: number;
}

/** The length rule of the reference decoder: how many decoder inputs (tag included) a source of S tokens allows. */
export function decoderLimit(maxPositions: number, sourceLength: number): number {
  return Math.min(maxPositions, 3 * sourceLength + 10);
}

export async function translate(manifest: ModelManifest, tokenizer: TranslationTokenizer, text: string, options: TranslateOptions = {}): Promise<TranslationResult> {
  const t0 = performance.now();
  if (manifest.kind !== 'encoder-decoder') throw new InputError(`Model "${manifest.id}" is not a translation model: choose the translation model to translate.`);
  if (text.trim().length === 0) throw new InputError('The selection is empty: select some text to translate first.');
  const max = manifest.maxPositions;
  const source = tokenizer.encodeSource(text);
  const S = source.ids.length;
  if (S > max) {
    throw new InputError(
      `The selection is ${S - 1} tokens long; the translation model "${manifest.id}" reads at most ${max - 1} tokens (${max} with its end token). Select a shorter text.`,
    );
  }
  const to = options.to ?? targetLanguageFor(text);
  const start = tokenizer.startId(to);
  const cancelled = cancelCheck(options.cancel);
  const backend = options.inference ?? inProcessInference;
  let inferenceMs = 0;
  let passes = 0;
  /** The biases of the last pass (every result is made right after its pass, and carries them). */
  let biases!: TranslationBiases;
  const pass = async (decoderIds: number[], logits: TranslationRunOptions['logits']): Promise<TranslationOutputs> => {
    if (cancelled()) throw new CancelledError();
    biases = trainedTranslationBiases(S, decoderIds.length);
    const out = backend.runTranslation
      ? await backend.runTranslation(manifest, source.ids, decoderIds, biases, { logits })
      : await runTranslation(manifest, source.ids, decoderIds, biases, { logits });
    inferenceMs += out.inferenceMs;
    passes++;
    if (cancelled()) throw new CancelledError();
    return out;
  };
  let firstTokenMs: number | undefined;
  const result = (decoderIds: number[], out: TranslationOutputs, fields: Pick<TranslationResult, 'forced' | 'partial' | 'stop'>, next?: number): TranslationResult => {
    const target = tokenizer.decodeTarget(decoderIds);
    return {
      manifest,
      to,
      text,
      source,
      target: { ...target, ids: decoderIds.slice() },
      ...(next !== undefined ? { next: { id: next, text: tokenizer.isSpecial(next) ? tokenizer.nameOf(next) : tokenizer.decodeTarget([next]).text, special: tokenizer.isSpecial(next) } } : {}),
      ...fields,
      outputs: out,
      biases,
      timing: { inferenceMs, passes, totalMs: performance.now() - t0, ...(firstTokenMs !== undefined ? { firstTokenMs } : {}) },
    };
  };

  if (options.target !== undefined && options.target !== null) {
    const ids = [start, ...tokenizer.encodeTarget(options.target)];
    if (ids.length > max) {
      throw new InputError(
        `The given translation is ${ids.length - 1} tokens long; the translation model "${manifest.id}" writes at most ${max - 1} tokens (${max} with its language tag).`,
      );
    }
    return result(ids, await pass(ids, 'none'), { forced: true, partial: false, stop: 'forced' });
  }

  let limit = decoderLimit(max, S);
  if (options.maxTokens !== undefined) limit = Math.min(limit, 1 + Math.max(0, Math.floor(options.maxTokens)));
  const eos = tokenizer.ids.eos;
  const decoderIds = [start];
  for (;;) {
    const out = await pass(decoderIds, 'last');
    const next = argmax(out.logits as Float32Array);
    const stop: TranslationStop | undefined = next === eos ? 'eos' : decoderIds.length >= limit ? 'length' : undefined;
    if (stop) return result(decoderIds, out, { forced: false, partial: false, stop }, next);
    firstTokenMs ??= performance.now() - t0;
    options.onStep?.(result(decoderIds, out, { forced: false, partial: true }, next));
    decoderIds.push(next);
  }
}

/** The first index of the largest value (as torch.argmax), so ties break as the reference decoder's. */
function argmax(row: Float32Array): number {
  let best = 0;
  for (let v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
  return best;
}

function cancelCheck(cancel: TranslateOptions['cancel']): () => boolean {
  if (!cancel) return () => false;
  if (typeof cancel === 'function') return cancel;
  return () => cancel.aborted;
}
