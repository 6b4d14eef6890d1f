/**
 * The property the offsets must have: the document text in each token's range is what the token stands for after
 * normalisation. Tokens whose ranges overlap (pieces of one character, a ligature split in two) are checked as one
 * group. Also: ranges are inside the text, monotone, never split a surrogate pair; special tokens stand for no
 * text; every character the normaliser keeps (other than whitespace) is inside some token.
 */
import { SYMBOL_TO_BYTE } from '../../src/hfTokenizer/byteAlphabet';
import type { HfTokenizer } from '../../src/hfTokenizer/hfTokenizer';
import type { TextToken } from '../../src/hfTokenizer/textTokenizer';

export interface FamilyConventions {
  /** WordPiece continuation prefix ("##") to strip from pieces after the first of a word. */
  continuingPrefix?: string;
  /** BPE end-of-word suffix ("</w>") to strip. */
  endOfWordSuffix?: string;
  /** The unknown piece: a group holding one is only checked for covering something. */
  unk?: string;
}

const enc = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
/** Lone surrogates as U+FFFD: what UTF-8 (and so every piece's bytes) makes of them. */
const wellFormed = (s: string): string => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const BLANK = /[\s▁\u200b\ufeff]/gu;

/** The bytes a piece stands for. */
function pieceBytes(tok: HfTokenizer, piece: string, conv: FamilyConventions): number[] {
  if (tok.byteLevel) {
    const out: number[] = [];
    for (const ch of piece) {
      const b = SYMBOL_TO_BYTE.get(ch);
      if (b === undefined) return [...enc.encode(piece)];
      out.push(b);
    }
    return out;
  }
  const byte = /^<0x([0-9A-F]{2})>$/.exec(piece);
  if (byte) return [parseInt(byte[1], 16)];
  let s = piece;
  if (conv.continuingPrefix && s.startsWith(conv.continuingPrefix) && s.length > conv.continuingPrefix.length) s = s.slice(conv.continuingPrefix.length);
  if (conv.endOfWordSuffix && s.endsWith(conv.endOfWordSuffix)) s = s.slice(0, -conv.endOfWordSuffix.length);
  return [...enc.encode(s)];
}

function isSurrogateSplit(text: string, i: number): boolean {
  if (i <= 0 || i >= text.length) return false;
  const hi = text.charCodeAt(i - 1);
  const lo = text.charCodeAt(i);
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
}

/** Returns a description of the first problem, or null. `exact`: compare with whitespace too (byte-level, no normaliser). */
export function offsetProblem(tok: HfTokenizer, text: string, tokens: readonly TextToken[], conv: FamilyConventions, exact: boolean): string | null {
  let prevStart = 0;
  let prevEnd = 0;
  const plain: TextToken[] = [];
  for (const [i, t] of tokens.entries()) {
    if (!(t.start >= 0 && t.start <= t.end && t.end <= text.length)) return `token ${i} ${JSON.stringify(t)} is outside the text`;
    if (isSurrogateSplit(text, t.start) || isSurrogateSplit(text, t.end)) return `token ${i} ${JSON.stringify(t)} splits a surrogate pair`;
    if (t.special) {
      if (t.start !== t.end) return `special token ${i} ${JSON.stringify(t)} has a non-empty range`;
      if (t.start !== 0 && t.start !== text.length) return `special token ${i} ${JSON.stringify(t)} is not at the start or the end`;
      continue;
    }
    if (t.start < prevStart || t.end < prevEnd) return `token ${i} ${JSON.stringify(t)} goes back (previous ${prevStart}–${prevEnd})`;
    prevStart = t.start;
    prevEnd = t.end;
    plain.push(t);
  }
  // Groups of tokens with overlapping ranges.
  const groups: TextToken[][] = [];
  for (const t of plain) {
    if (t.start === t.end) {
      // A piece that stands for no text (a prepended "▁") may only be blank.
      const s = decoder.decode(Uint8Array.from(pieceBytes(tok, t.piece, conv)));
      if (s.replace(BLANK, '') !== '') return `empty-range token ${JSON.stringify(t)} stands for ${JSON.stringify(s)}`;
      continue;
    }
    const g = groups[groups.length - 1];
    if (g && t.start < Math.max(...g.map((x) => x.end))) g.push(t);
    else groups.push([t]);
  }
  const firstStart = groups.length > 0 ? groups[0][0].start : 0;
  let afterAdded = false;
  for (const g of groups) {
    const start = g[0].start;
    const end = Math.max(...g.map((x) => x.end));
    const slice = wellFormed(text.slice(start, end));
    const wasAfterAdded = afterAdded;
    afterAdded = g.length === 1 && g[0].piece === slice && tok.idOf(slice) === g[0].id && slice.length > 1 && /^[<[]/.test(slice);
    if (conv.unk !== undefined && g.some((t) => t.piece === conv.unk)) continue;
    const pieces = g.map((t) => t.piece);
    const bytes = g.flatMap((t) => pieceBytes(tok, t.piece, conv));
    const stands = decoder.decode(Uint8Array.from(bytes));
    if (exact) {
      // A prefix space the pre-tokenizer adds (ByteLevel add_prefix_space) to the text, or to the text after an
      // added token typed in it, stands for no text.
      const prefixed = (start === firstStart || wasAfterAdded) && stands === ' ' + slice;
      if (stands !== slice && !prefixed) return `tokens ${JSON.stringify(pieces)} stand for ${JSON.stringify(stands)} but cover ${JSON.stringify(slice)} (${start}–${end})`;
    } else {
      const want = wellFormed(tok.normalized(text.slice(start, end))).replace(BLANK, '');
      const got = stands.replace(BLANK, '');
      // An added token typed in the text covers its own content.
      if (got !== want && !(g.length === 1 && tok.idOf(text.slice(start, end)) === g[0].id)) {
        return `tokens ${JSON.stringify(pieces)} stand for ${JSON.stringify(got)} but cover ${JSON.stringify(slice)} (${start}–${end}), normalised ${JSON.stringify(want)}`;
      }
    }
  }
  // Coverage: every character the normaliser keeps, other than whitespace, is in some token's range.
  const covered = new Uint8Array(text.length + 1);
  for (const t of plain) covered.fill(1, t.start, t.end);
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) as number;
    const n = cp > 0xffff ? 2 : 1;
    if (!covered[i]) {
      const kept = (exact ? String.fromCodePoint(cp) : tok.normalized(String.fromCodePoint(cp))).replace(BLANK, '');
      if (kept !== '') return `character ${JSON.stringify(String.fromCodePoint(cp))} at ${i} is in no token's range`;
    }
    i += n;
  }
  return null;
}
