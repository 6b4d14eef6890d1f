/**
 * The webview's pure maths (no browser): rollout, word merging, head statistics. Constructed matrices with
 * known answers — the page tests check the same code against the real model.
 */
import { describe, expect, it } from 'vitest';
import { maskPredicate } from '../../src/common/mask';
import { groupWords, maxOf, meanOf, mergeToWords, rollout, topK, wordIndexOfTokens } from '../../webview/attentionMath';
import { computeHeadStats } from '../../webview/headStats';
import { computeRow } from '../../webview/computation';

function tokensOf(pieces: string[]): Array<{ text: string; start: number; end: number }> {
  let at = 0;
  return pieces.map((text) => {
    const t = { text, start: at, end: at + text.length };
    at += text.length;
    return t;
  });
}

describe('aggregates', () => {
  it('mean and max over heads', () => {
    const a = new Float32Array([1, 0, 0.5, 0.5]);
    const b = new Float32Array([0, 1, 1, 0]);
    expect(Array.from(meanOf([a, b]))).toEqual([0.5, 0.5, 0.75, 0.25]);
    expect(Array.from(maxOf([a, b]))).toEqual([1, 1, 1, 0.5]);
  });

  it('rollout: 0.5·A + 0.5·I, row-normalised, multiplied across layers', () => {
    // Layer means that always look at the previous token (token 0 looks at itself).
    const prev = new Float32Array([1, 0, 0, 1, 0, 0, 0, 1, 0]);
    const one = rollout([prev], 3, 0);
    expect(Array.from(one)).toEqual([1, 0, 0, 0.5, 0.5, 0, 0, 0.5, 0.5]);
    const two = rollout([prev, prev], 3, 1);
    // Â·Â for row 2: 0.5·(row 2) + 0.5·(row 1) = [0.25, 0.5, 0.25]
    expect(Array.from(two.subarray(6, 9))).toEqual([0.25, 0.5, 0.25]);
    for (let i = 0; i < 3; i++) expect(two[i * 3] + two[i * 3 + 1] + two[i * 3 + 2]).toBeCloseTo(1, 6);
  });
});

describe('word level', () => {
  it('groups subword pieces into words; spaces, punctuation and newlines start new words', () => {
    const toks = tokensOf(['The', ' comp', 'uter', ' says', ':', ' hel', 'lo', '\n', 'ok']);
    expect(wordIndexOfTokens(toks)).toEqual([0, 1, 1, 2, 3, 4, 4, 5, 6]);
    const words = groupWords(toks, toks.map((t) => t.text).join(''));
    expect(words.map((w) => w.text)).toEqual(['The', ' computer', ' says', ':', ' hello', '\n', 'ok']);
  });

  it('sums over a word’s keys and averages over its queries; rows still sum to 1', () => {
    const toks = tokensOf(['a', 'b', ' c']);
    const words = groupWords(toks, 'ab c');
    const data = new Float32Array([0.2, 0.3, 0.5, 0.6, 0.2, 0.2, 0.1, 0.1, 0.8]);
    const w = mergeToWords({ n: 3, data, masked: maskPredicate('full'), labels: ['a', 'b', ' c'] }, words);
    expect(w.n).toBe(2);
    const got = Array.from(w.data);
    [0.65, 0.35, 0.2, 0.8].forEach((x, i) => expect(got[i]).toBeCloseTo(x, 6));
  });

  it('a word cell is masked only if every token cell is', () => {
    const toks = tokensOf(['a', 'b', ' c']);
    const w = mergeToWords({ n: 3, data: new Float32Array(9), masked: maskPredicate('causal'), labels: ['a', 'b', ' c'] }, groupWords(toks, 'ab c'));
    expect(w.masked(0, 0)).toBe(false);
    expect(w.masked(0, 1)).toBe(true);
    expect(w.masked(1, 0)).toBe(false);
  });
});

describe('head statistics', () => {
  it('labels a previous-token head and measures its distance and entropy', () => {
    const n = 6;
    const data = new Float32Array(n * n);
    data[0] = 1;
    for (let i = 1; i < n; i++) data[i * n + i - 1] = 1;
    const s = computeHeadStats(0, 0, data, n, maskPredicate('causal'), ['A', ' b', ' c', ' d', ' e', ' f']);
    expect(s.label).toBe('previous');
    expect(s.prev).toBeCloseTo(1, 6);
    expect(s.entropy).toBe(0);
    expect(s.meanDistance).toBeCloseTo(5 / 6, 6);
  });

  it('labels a uniform head broad', () => {
    const n = 5;
    const s = computeHeadStats(0, 0, new Float32Array(n * n).fill(1 / n), n, maskPredicate('full'), ['a', 'b', 'c', 'd', 'e']);
    expect(s.label).toBe('broad');
    expect(s.entropy).toBeCloseTo(Math.log2(5), 5);
  });
});

describe('computation', () => {
  it('softmax(q·k/√d + bias) with −∞ for masked keys, output = Σ w·v', () => {
    const n = 2;
    const d = 2;
    const v = {
      queries: new Float32Array([1, 0, 0, 1]),
      keys: new Float32Array([1, 0, 0, 2]),
      values: new Float32Array([1, 2, 3, 4]),
      attention: new Float32Array([1, 0, 0, 0]),
      bias: new Float32Array([0, -Infinity, 0, 0]),
    };
    const r0 = computeRow(v, n, d, 0);
    expect(r0.masked).toEqual([false, true]);
    expect(Array.from(r0.softmax)).toEqual([1, 0]);
    expect(Array.from(r0.output)).toEqual([1, 2]);
    const r1 = computeRow(v, n, d, 1);
    const e = Math.exp(2 / Math.SQRT2);
    expect(r1.softmax[1]).toBeCloseTo(e / (1 + e), 12);
    expect(r1.maxDiff).toBeCloseTo(e / (1 + e), 6);
  });
});

describe('topK', () => {
  it('equals sorting every index by value (ties by position), for k = 0..5, with and without an excluded index', () => {
    let seed = 11;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 40);
      // Few distinct values, so ties are common.
      const values = Array.from({ length: n }, () => Math.floor(rand() * 6) / 5);
      const exclude = trial % 3 === 0 ? Math.floor(rand() * n) : -1;
      for (let k = 0; k <= 5; k++) {
        const reference = [...values.keys()].filter((i) => i !== exclude).sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
        expect(topK(values, k, exclude), `n=${n} k=${k}`).toEqual(reference);
      }
    }
  });
});
