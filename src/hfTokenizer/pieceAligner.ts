/**
 * Maps the model's tokens for one pre-token back to the document.
 *
 * The pre-token is a string in "model space" (the byte alphabet after ByteLevel, "▁" for spaces after Metaspace)
 * and comes with the source range of every unit (AlignedText). The model's pieces spell the pre-token in order,
 * up to markers: "##" before a WordPiece continuation, a BPE end-of-word or continuation suffix. A byte-fallback
 * piece `<0xE4>` stands for one UTF-8 byte of the next character (all pieces of one character get its range), and
 * an unknown piece stands for the text up to the next piece that is found (one character per unknown piece).
 */
import { spanOf, type AlignedText } from './alignedText';
import { codePointUtf8 } from './byteAlphabet';

export interface ModelMarkers {
  /** ByteLevel: one unit per byte, no byte-fallback pieces. */
  byteLevel: boolean;
  /** WordPiece continuation prefix ("##"), stripped from pieces after the first. */
  continuingPrefix?: string;
  /** BPE suffix on the last piece of a word ("</w>"). */
  endOfWordSuffix?: string;
  /** BPE suffix on every piece but the last. */
  continuingSuffix?: string;
  /** BPE byte fallback is on: `<0xHH>` pieces. */
  byteFallback: boolean;
  /** The unknown piece ("[UNK]", "<unk>"), if any. */
  unk?: string;
}

export interface AlignedPiece {
  piece: string;
  start: number;
  end: number;
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/** Strips the markers from piece k of n; what remains is the text it spells in the pre-token. */
function spelled(piece: string, k: number, n: number, m: ModelMarkers): string {
  let s = piece;
  if (k > 0 && m.continuingPrefix && s.startsWith(m.continuingPrefix)) s = s.slice(m.continuingPrefix.length);
  if (k === n - 1 && m.endOfWordSuffix && s.endsWith(m.endOfWordSuffix)) s = s.slice(0, s.length - m.endOfWordSuffix.length);
  if (k < n - 1 && m.continuingSuffix && s.endsWith(m.continuingSuffix)) s = s.slice(0, s.length - m.continuingSuffix.length);
  return s;
}

/**
 * Aligns `pieces` (the model's output for pre-token `p`) and appends them to `out`. Returns false when the pieces
 * could not be matched exactly (the rest of the pre-token is then shared by the remaining pieces).
 */
export function alignPieces(p: AlignedText, pieces: readonly string[], m: ModelMarkers, out: AlignedPiece[]): boolean {
  const text = p.text;
  const n = pieces.length;
  let cur = 0;
  let byteInChar = 0; // bytes of the character at `cur` already taken by byte-fallback pieces
  let exact = true;
  const push = (piece: string, i: number, j: number): void => {
    const [start, end] = spanOf(p, i, j);
    out.push({ piece, start, end });
  };
  for (let k = 0; k < n; k++) {
    const piece = pieces[k];
    const s = spelled(piece, k, n, m);
    if (byteInChar === 0 && s.length > 0 && text.startsWith(s, cur)) {
      push(piece, cur, cur + s.length);
      cur += s.length;
      continue;
    }
    const byte = m.byteFallback && !m.byteLevel ? BYTE_PIECE.exec(piece) : null;
    if (byte && cur < text.length) {
      const cp = text.codePointAt(cur) as number;
      const units = cp > 0xffff ? 2 : 1;
      push(piece, cur, cur + units);
      if (++byteInChar >= codePointUtf8(cp).length) {
        cur += units;
        byteInChar = 0;
      }
      continue;
    }
    if (m.unk !== undefined && piece === m.unk && byteInChar === 0) {
      // A run of unknown pieces stands for the text up to the next piece that spells something found.
      let j = k;
      while (j < n && pieces[j] === m.unk) j++;
      let stop = text.length;
      if (j < n) {
        const next = spelled(pieces[j], j, n, m);
        const at = next.length > 0 ? text.indexOf(next, cur) : -1;
        if (at >= 0) stop = at;
      }
      for (let u = k; u < j; u++) {
        let to = stop;
        if (u < j - 1 && cur < stop) {
          const cp = text.codePointAt(cur) as number;
          to = Math.min(stop, cur + (cp > 0xffff ? 2 : 1));
        }
        push(pieces[u], cur, to);
        cur = to;
      }
      k = j - 1;
      continue;
    }
    // Not matched: the remaining pieces share what is left of the pre-token.
    exact = false;
    for (let u = k; u < n; u++) push(pieces[u], cur, text.length);
    return exact;
  }
  return exact;
}
