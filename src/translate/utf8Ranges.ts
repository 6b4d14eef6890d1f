/**
 * UTF-8 bytes → text, with the UTF-16 range of the character each byte ended up in. A translation's target is
 * written as byte-level tokens, and a token may hold only some bytes of a character (a Han character is three
 * bytes): such a token shares that character's range. Bytes that are no valid UTF-8 (a model can write any byte
 * sequence) become U+FFFD exactly as TextDecoder replaces them (the WHATWG decoder: one U+FFFD per maximal
 * invalid subpart), so the text equals `new TextDecoder().decode(bytes)`.
 */

export interface DecodedBytes {
  text: string;
  /** For byte i: the UTF-16 range [charStart[i], charEnd[i]) of the character it belongs to in `text`. */
  charStart: Int32Array;
  charEnd: Int32Array;
}

const REPLACEMENT = 0xfffd;

export function decodeUtf8WithRanges(bytes: ArrayLike<number>): DecodedBytes {
  const n = bytes.length;
  const charStart = new Int32Array(n);
  const charEnd = new Int32Array(n);
  const parts: string[] = [];
  let length = 0;
  /** Appends code point `cp` as the character of bytes [from, to). */
  const emit = (cp: number, from: number, to: number): void => {
    const s = String.fromCodePoint(cp);
    for (let i = from; i < to; i++) {
      charStart[i] = length;
      charEnd[i] = length + s.length;
    }
    parts.push(s);
    length += s.length;
  };
  let needed = 0;
  let seen = 0;
  let cp = 0;
  let lower = 0x80;
  let upper = 0xbf;
  let seqStart = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (needed === 0) {
      seqStart = i;
      if (b <= 0x7f) emit(b, i, i + 1);
      else if (b >= 0xc2 && b <= 0xdf) {
        needed = 1;
        cp = b & 0x1f;
      } else if (b >= 0xe0 && b <= 0xef) {
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f; // no surrogates
        needed = 2;
        cp = b & 0x0f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f; // nothing past U+10FFFF
        needed = 3;
        cp = b & 0x07;
      } else emit(REPLACEMENT, i, i + 1);
      continue;
    }
    if (b < lower || b > upper) {
      // The sequence so far is one invalid subpart; this byte starts afresh.
      emit(REPLACEMENT, seqStart, i);
      needed = seen = cp = 0;
      lower = 0x80;
      upper = 0xbf;
      i--;
      continue;
    }
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
    if (++seen === needed) {
      emit(cp, seqStart, i + 1);
      needed = seen = cp = 0;
    }
  }
  if (needed > 0) emit(REPLACEMENT, seqStart, n); // a character cut off at the end
  return { text: parts.join(''), charStart, charEnd };
}
