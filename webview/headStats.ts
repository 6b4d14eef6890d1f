/**
 * Head statistics, computed live in the webview from the weights of the current text (not precomputed offline):
 * entropy, mean distance, and where the weight goes (previous token, self, first token, punctuation/newline).
 * A head gets a pattern label when one of these dominates.
 */
import { isPunctuationToken } from './attentionMath';

export interface HeadStats {
  layer: number;
  head: number;
  /** Mean over queries of the row entropy, in bits. */
  entropy: number;
  /** Entropy divided by log2(number of visible keys), averaged: 1 = uniform over what it can see. */
  normalizedEntropy: number;
  /** Mean over queries of Σ_j w_ij·|i − j| (in tokens). */
  meanDistance: number;
  prev: number;
  self: number;
  first: number;
  punct: number;
  label: PatternLabel;
}

export type PatternLabel = 'previous' | 'self' | 'first' | 'punct' | 'broad' | 'local' | 'none';

export const STAT_KEYS = ['entropy', 'meanDistance', 'prev', 'self', 'first', 'punct'] as const;
export type StatKey = (typeof STAT_KEYS)[number];

/** A share above this makes the pattern the head's label. */
const DOMINANT_SHARE = 0.5;

/**
 * `block`: only these queries (rows) and keys (columns) count, with distances, "previous", "self" and "first"
 * measured in positions within them (a translation's set: src/common/translation.ts setBlock). Default: all n.
 */
export function computeHeadStats(
  layer: number,
  head: number,
  w: Float32Array,
  n: number,
  masked: (q: number, k: number) => boolean,
  tokenTexts: readonly string[],
  block?: { queries: { start: number; end: number }; keys: { start: number; end: number } },
): HeadStats {
  const rows = block?.queries ?? { start: 0, end: n };
  const cols = block?.keys ?? { start: 0, end: n };
  const punctKey = tokenTexts.map((t) => isPunctuationToken(t));
  let entropy = 0;
  let normEntropy = 0;
  let normCount = 0;
  let distance = 0;
  let prev = 0;
  let self = 0;
  let first = 0;
  let punct = 0;
  const at = (qi: number, kj: number): number => {
    const k = cols.start + kj;
    return k < cols.end ? w[(rows.start + qi) * n + k] : 0;
  };
  for (let i = rows.start; i < rows.end; i++) {
    const ri = i - rows.start;
    let h = 0;
    let visible = 0;
    let d = 0;
    let p = 0;
    for (let j = cols.start; j < cols.end; j++) {
      if (masked(i, j)) continue;
      visible++;
      const x = w[i * n + j];
      if (x > 0) h -= x * Math.log2(x);
      d += x * Math.abs(ri - (j - cols.start));
      if (punctKey[j]) p += x;
    }
    entropy += h;
    if (visible > 1) {
      normEntropy += h / Math.log2(visible);
      normCount++;
    }
    distance += d;
    punct += p;
    self += at(ri, ri);
    if (ri >= 1) {
      prev += at(ri, ri - 1);
      first += at(ri, 0);
    }
  }
  const count = rows.end - rows.start;
  const rowCount = Math.max(count, 1);
  const laterRows = Math.max(count - 1, 1);
  const s = {
    layer,
    head,
    entropy: entropy / rowCount,
    normalizedEntropy: normCount ? normEntropy / normCount : 0,
    meanDistance: distance / rowCount,
    prev: prev / laterRows,
    self: self / rowCount,
    first: first / laterRows,
    punct: punct / rowCount,
  };
  return { ...s, label: labelFor(s) };
}

function labelFor(s: Omit<HeadStats, 'label'>): PatternLabel {
  const shares: Array<[PatternLabel, number]> = [
    ['previous', s.prev],
    ['self', s.self],
    ['first', s.first],
    ['punct', s.punct],
  ];
  shares.sort((a, b) => b[1] - a[1]);
  if (shares[0][1] >= DOMINANT_SHARE) return shares[0][0];
  if (s.normalizedEntropy >= 0.85) return 'broad';
  if (s.meanDistance <= 2) return 'local';
  return 'none';
}
