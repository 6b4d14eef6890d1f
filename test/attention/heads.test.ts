import { describe, expect, it } from 'vitest';
import { headAt, headIndex } from '../../src/common/heads';

describe('head numbering (src/common/heads.ts)', () => {
  it('is layer-major, and headAt inverts headIndex', () => {
    const heads = 8;
    expect(headIndex(0, 0, heads)).toBe(0);
    expect(headIndex(0, 7, heads)).toBe(7);
    expect(headIndex(1, 0, heads)).toBe(8);
    expect(headIndex(3, 5, heads)).toBe(29);
    for (let i = 0; i < 4 * heads; i++) {
      const { layer, head } = headAt(i, heads);
      expect(headIndex(layer, head, heads)).toBe(i);
      expect(head).toBeLessThan(heads);
    }
  });
});
