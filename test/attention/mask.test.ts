import { describe, expect, it } from 'vitest';
import { buildAttentionBias } from '../../src/attention/mask';
import { defaultMask, isMaskedBias, isMaskedCell, MASKED_BIAS, maskPredicate, resolveMask, whatIfMask } from '../../src/common/mask';
import type { MaskKind } from '../../src/protocol/messages';

describe('attention bias', () => {
  it('is all zeros for the full mask', () => {
    expect(Array.from(buildAttentionBias(3, 'full'))).toEqual(new Array(9).fill(0));
  });
  it('masks exactly the keys after the query for the causal mask', () => {
    const b = buildAttentionBias(4, 'causal');
    for (let q = 0; q < 4; q++) for (let k = 0; k < 4; k++) expect(b[q * 4 + k]).toBe(k > q ? MASKED_BIAS : 0);
    expect(MASKED_BIAS).toBeLessThanOrEqual(-1e9);
  });
  it('labels a mask other than the trained one as a what-if', () => {
    expect(resolveMask('causal', 'default')).toEqual({ mask: 'causal', whatIf: false });
    expect(resolveMask('encoder', 'default')).toEqual({ mask: 'full', whatIf: false });
    expect(resolveMask('encoder', 'causal')).toEqual({ mask: 'causal', whatIf: true });
    expect(resolveMask('causal', 'full')).toEqual({ mask: 'full', whatIf: true });
  });
});

describe('the mask rule (src/common/mask.ts) agrees with itself everywhere it is used', () => {
  it('the bias the model gets, the predicate the views draw with and the bias check of the computation view', () => {
    const n = 6;
    for (const mask of ['full', 'causal'] as MaskKind[]) {
      const bias = buildAttentionBias(n, mask);
      const masked = maskPredicate(mask);
      for (let q = 0; q < n; q++) {
        for (let k = 0; k < n; k++) {
          const rule = isMaskedCell(mask, q, k);
          expect(masked(q, k)).toBe(rule);
          expect(isMaskedBias(bias[q * n + k])).toBe(rule);
        }
      }
    }
  });
  it('−1e9 survives float32, and −∞ or anything below counts as masked', () => {
    expect(Math.fround(MASKED_BIAS)).toBe(MASKED_BIAS);
    expect([MASKED_BIAS, -Infinity, -2e9, 0, -1e8].map(isMaskedBias)).toEqual([true, true, true, false, false]);
  });
  it('the what-if mask is the one the model was not trained with', () => {
    expect([defaultMask('encoder'), whatIfMask('encoder')]).toEqual(['full', 'causal']);
    expect([defaultMask('causal'), whatIfMask('causal')]).toEqual(['causal', 'full']);
    for (const kind of ['encoder', 'causal'] as const) expect(resolveMask(kind, whatIfMask(kind)).whatIf).toBe(true);
  });
});
