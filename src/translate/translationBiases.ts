/**
 * The biases a translation runs under: the trained masks (encoder and cross-attention see every source token; the
 * decoder's self-attention is causal), built from the one mask rule (src/common/mask.ts, MASKED_BIAS).
 */
import { buildAttentionBias } from '../attention/mask';
import type { TranslationBiases } from './translationTypes';

/** For S source tokens and T decoder inputs. */
export function trainedTranslationBiases(S: number, T: number): TranslationBiases {
  return { encoder: buildAttentionBias(S, 'full'), decoder: buildAttentionBias(T, 'causal'), cross: new Float32Array(T * S) };
}
