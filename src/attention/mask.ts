/**
 * Builds the additive attention bias fed to every model (row = query, column = key), from the mask rule in
 * src/common/mask.ts. The host owns the mask, so any model can be run under any mask (the reviewers' what-if).
 */
import { isMaskedCell, MASKED_BIAS } from '../common/mask';
import type { MaskKind } from '../protocol/messages';

/** n×n, row-major: 0 where the key is visible, MASKED_BIAS where the mask hides it. */
export function buildAttentionBias(n: number, mask: MaskKind): Float32Array {
  const bias = new Float32Array(n * n);
  for (let q = 0; q < n; q++) {
    for (let k = 0; k < n; k++) if (isMaskedCell(mask, q, k)) bias[q * n + k] = MASKED_BIAS;
  }
  return bias;
}
