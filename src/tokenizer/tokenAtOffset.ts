import type { TokenInfo } from '../protocol/messages';

/** Index of the token containing `offset` (or ending exactly at it), -1 if outside; binary search. */
export function tokenAtOffset(tokens: readonly TokenInfo[], offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = tokens[mid];
    if (offset < t.start) hi = mid - 1;
    else if (offset >= t.end) lo = mid + 1;
    else return mid;
  }
  // The cursor right after the last character of a token still means that token.
  if (hi >= 0 && hi < tokens.length && tokens[hi].end === offset) return hi;
  return -1;
}
