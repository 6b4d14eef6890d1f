/**
 * Pure maths on attention matrices: dequantising, aggregates over heads, rollout, word merging (the mask rule
 * itself is src/common/mask.ts).
 * No DOM here, so every function can be reasoned about (and tested) on its own.
 * All matrices are row-major n×n Float32Array, row = query, column = key.
 */
import { dequantizeWeight, type TokenInfo } from '../src/protocol/messages';

/** A matrix plus what the views need to draw it. */
export interface AttentionMatrix {
  n: number;
  data: Float32Array;
  /** Which cells the mask hides (maskPredicate of src/common/mask.ts; for words, see mergeToWords). Decided by the
   * mask kind, never by a zero value (a visible weight can be 0). */
  masked: (query: number, key: number) => boolean;
  /** Label of each row/column (token text, or word text at word level). */
  labels: string[];
}

export function dequantize(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = dequantizeWeight(bytes[i]);
  return out;
}

export function meanOf(matrices: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(matrices[0].length);
  for (const m of matrices) for (let i = 0; i < out.length; i++) out[i] += m[i];
  for (let i = 0; i < out.length; i++) out[i] /= matrices.length;
  return out;
}

/** Element-wise max over heads: "did any head look here strongly". Rows no longer sum to 1. */
export function maxOf(matrices: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(matrices[0].length);
  for (const m of matrices) for (let i = 0; i < out.length; i++) if (m[i] > out[i]) out[i] = m[i];
  return out;
}

function matMul(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      const bRow = k * n;
      const oRow = i * n;
      for (let j = 0; j < n; j++) out[oRow + j] += aik * b[bRow + j];
    }
  }
  return out;
}

/**
 * Attention rollout (Abnar & Zuidema 2020). For each layer l take the mean over heads Ā_l and account for the
 * residual connection by mixing in the identity: Â_l = 0.5·Ā_l + 0.5·I, then row-normalise Â_l so each row is
 * again a distribution. The rollout up to layer L is the product R_L = Â_L · Â_{L−1} · … · Â_1: row i of R_L says
 * how much each input token flows into position i at layer L. `layerMeans[l]` is Ā_l; layers 0…upTo are used.
 */
export function rollout(layerMeans: readonly Float32Array[], n: number, upTo: number): Float32Array {
  let result: Float32Array | null = null;
  for (let l = 0; l <= upTo; l++) {
    const a = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const v = 0.5 * layerMeans[l][i * n + j] + (i === j ? 0.5 : 0);
        a[i * n + j] = v;
        sum += v;
      }
      if (sum > 0) for (let j = 0; j < n; j++) a[i * n + j] /= sum;
    }
    result = result === null ? a : matMul(a, result, n);
  }
  return result ?? new Float32Array(n * n);
}

const PUNCT_OR_SPACE = /^[\s\p{P}\p{S}]+$/u;

/** True for tokens that are only punctuation, symbols or whitespace (newlines included). */
export function isPunctuationToken(text: string): boolean {
  return PUNCT_OR_SPACE.test(text);
}

/**
 * Groups subword tokens into words: a token starts a new word when it begins with whitespace, when it is
 * punctuation/whitespace only, or when the token before it was punctuation/whitespace or ended in whitespace, or
 * when there is a gap in the offsets. Otherwise it continues the previous word (a subword piece such as "ing").
 * Returns, for every token, the index of its word.
 */
export function wordIndexOfTokens(tokens: readonly TokenInfo[]): number[] {
  const out: number[] = [];
  let word = -1;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    const prev = i > 0 ? tokens[i - 1] : null;
    const startsNew =
      prev === null ||
      // A token the tokenizer added ([CLS], </s>) is a word of its own, and so is what follows it.
      tok.special === true ||
      prev.special === true ||
      /^\s/u.test(tok.text) ||
      isPunctuationToken(tok.text) ||
      isPunctuationToken(prev.text) ||
      /\s$/u.test(prev.text) ||
      tok.start > prev.end;
    // Tokens that split one character (byte-level BPE on CJK/emoji) share its range: same word as the piece before.
    const sameChar = prev !== null && tok.start === prev.start && tok.end === prev.end && !tok.special && !prev.special;
    if (startsNew && !sameChar) word++;
    out.push(Math.max(word, 0));
  }
  return out;
}

/**
 * What the views show one of: a token, or at word level a word (the tokens in `tokens`). `start`/`end` are its
 * UTF-16 range in the analysed text, `text` what it reads.
 */
export interface Unit {
  text: string;
  start: number;
  end: number;
  tokens: number[];
}

export function groupWords(tokens: readonly TokenInfo[], sourceText: string): Unit[] {
  const index = wordIndexOfTokens(tokens);
  const words: Unit[] = [];
  index.forEach((w, i) => {
    if (!words[w]) words[w] = { text: '', start: tokens[i].start, end: tokens[i].end, tokens: [] };
    words[w].tokens.push(i);
    words[w].end = Math.max(words[w].end, tokens[i].end);
  });
  for (const w of words) w.text = sourceText.slice(w.start, w.end) || w.tokens.map((i) => tokens[i].text).join('');
  return words;
}

/**
 * Word-level attention: W[a][b] = mean over the query tokens i of word a of ( Σ over the key tokens j of word b
 * of A[i][j] ). Summing over keys keeps "how much attention went to this word" (rows still sum to 1); averaging
 * over queries treats the word's pieces as one reader. A word cell is masked only if every token cell is masked.
 */
export function mergeToWords(m: AttentionMatrix, words: readonly Unit[]): AttentionMatrix {
  const w = words.length;
  const n = m.n;
  const data = new Float32Array(w * w);
  for (let a = 0; a < w; a++) {
    const qs = words[a].tokens;
    for (let b = 0; b < w; b++) {
      let sum = 0;
      for (const i of qs) for (const j of words[b].tokens) sum += m.data[i * n + j];
      data[a * w + b] = sum / qs.length;
    }
  }
  const masked = (a: number, b: number): boolean =>
    words[a].tokens.every((i) => words[b].tokens.every((j) => m.masked(i, j)));
  return { n: w, data, masked, labels: words.map((x) => x.text) };
}

/** The row the focused token reads from ("attends to") or the column of who reads it ("attended by"). */
export function weightsFor(m: AttentionMatrix, index: number, direction: 'to' | 'from'): Float32Array {
  const out = new Float32Array(m.n);
  for (let j = 0; j < m.n; j++) out[j] = direction === 'to' ? m.data[index * m.n + j] : m.data[j * m.n + index];
  return out;
}

/** Indices of the k largest entries, largest first (ties by position). */
export function topK(values: ArrayLike<number>, k: number, exclude = -1): number[] {
  // One pass keeping the k best in order (k is small: 3 for the screen-reader labels). Sorting all n indices
  // for each of n tokens made labelling a 512-token text ~40 ms of its first paint.
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (i === exclude) continue;
    const v = values[i];
    if (best.length === k) {
      if (!(v > values[best[k - 1]])) continue; // ties keep the earlier position
      best.pop();
    }
    let at = best.length;
    while (at > 0 && v > values[best[at - 1]]) at--;
    best.splice(at, 0, i);
  }
  return best;
}

export function maxValue(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}
