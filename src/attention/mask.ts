/**
 * Builds the additive attention bias fed to every model (row = query, column = key).
 * The host owns the mask, so any model can be run under any mask (the reviewers' what-if).
 */
import type { MaskKind, ModelKind } from '../protocol/messages';

/** The value used for masked cells. Finite, so softmax stays free of NaN even for a fully masked row. */
export const MASKED_BIAS = -1e9;

export function buildAttentionBias(n: number, mask: MaskKind): Float32Array {
  const bias = new Float32Array(n * n);
  if (mask === 'causal') {
    for (let q = 0; q < n; q++) bias.fill(MASKED_BIAS, q * n + q + 1, (q + 1) * n);
  }
  return bias;
}

export function isMasked(mask: MaskKind, query: number, key: number): boolean {
  return mask === 'causal' && key > query;
}

/** The mask a model was trained with. */
export function defaultMask(kind: ModelKind): MaskKind {
  return kind === 'causal' ? 'causal' : 'full';
}

export function resolveMask(kind: ModelKind, requested: MaskKind | 'default' | undefined): { mask: MaskKind; whatIf: boolean } {
  const trained = defaultMask(kind);
  const mask = requested === undefined || requested === 'default' ? trained : requested;
  return { mask, whatIf: mask !== trained };
}
