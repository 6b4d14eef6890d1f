/**
 * The mask rule, one home for every side: the host builds the model's bias from it (src/attention/mask.ts), the
 * webview and the standalone page hatch the cells it hides and leave them out of the computation view, and the
 * CLI and the page name the what-if with it. Row = query, column = key.
 * `full`: every query sees every key. `causal`: a query sees itself and the keys before it.
 */
import type { MaskKind, ModelKind } from '../protocol/messages';

/**
 * The additive score of a masked cell: −1e9, a large finite number rather than −∞, so that softmax stays free of
 * NaN even for a row whose every key is masked; exp(−1e9 − max) is exactly 0 in float32 and float64 alike, so a
 * masked key's weight is exactly 0. (−1e9 is exact in float32.)
 */
export const MASKED_BIAS = -1e9;

/** Whether `mask` hides key `key` from query `query`. */
export function isMaskedCell(mask: MaskKind, query: number, key: number): boolean {
  return mask === 'causal' && key > query;
}

/** `isMaskedCell` for one mask, as the predicate a matrix carries (views ask it for n² cells). */
export function maskPredicate(mask: MaskKind): (query: number, key: number) => boolean {
  return mask === 'causal' ? (query, key) => isMaskedCell('causal', query, key) : () => false;
}

/** Whether an additive bias value masks its cell: at or below MASKED_BIAS (−∞ and NaN count as masked). */
export function isMaskedBias(bias: number): boolean {
  return !(bias > MASKED_BIAS);
}

/** The mask a model was trained with. */
export function defaultMask(kind: ModelKind): MaskKind {
  return kind === 'causal' ? 'causal' : 'full';
}

/** The mask of the what-if: the one the model was not trained with. */
export function whatIfMask(kind: ModelKind): MaskKind {
  return defaultMask(kind) === 'causal' ? 'full' : 'causal';
}

/** The mask to run a model under (`default` or nothing = its own), and whether that is a what-if. */
export function resolveMask(kind: ModelKind, requested: MaskKind | 'default' | undefined): { mask: MaskKind; whatIf: boolean } {
  const trained = defaultMask(kind);
  const mask = requested === undefined || requested === 'default' ? trained : requested;
  return { mask, whatIf: mask !== trained };
}
