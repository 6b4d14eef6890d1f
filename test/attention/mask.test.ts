import { describe, expect, it } from 'vitest';
import { buildAttentionBias, MASKED_BIAS, resolveMask } from '../../src/attention/mask';

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
