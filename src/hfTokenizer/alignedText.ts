/**
 * A text derived from the document's text (by normalisation, by the pre-tokenizer's byte alphabet) that remembers,
 * for every UTF-16 unit, the range of the document it came from. A unit inserted from nothing (a prepended "▁")
 * has an empty range at the place it was inserted.
 */
export interface AlignedText {
  text: string;
  /** Per UTF-16 unit of `text`: start of its source range in the document. */
  start: number[];
  /** Per UTF-16 unit of `text`: end (exclusive) of its source range in the document. */
  end: number[];
  /** Where the text sits in the document when it is empty (so what is inserted into it has a place). */
  origin: number;
}

/** The document text itself: every unit comes from itself (offsets shifted by `offset`). */
export function identityAligned(text: string, offset = 0): AlignedText {
  const start = new Array<number>(text.length);
  const end = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) {
    start[i] = offset + i;
    end[i] = offset + i + 1;
  }
  // A surrogate pair is one character: both units stand for both.
  for (let i = 0; i + 1 < text.length; i++) {
    const c = text.charCodeAt(i);
    const d = text.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
      end[i] = offset + i + 2;
      start[i + 1] = offset + i;
      i++;
    }
  }
  return { text, start, end, origin: offset };
}

/** Builds an aligned text unit by unit. */
export class AlignedBuilder {
  text = '';
  readonly start: number[] = [];
  readonly end: number[] = [];

  /** `origin`: the document position of the text being built when it ends up empty. */
  constructor(private readonly origin: number) {}

  /** Appends `s`, every unit coming from [from, to). */
  push(s: string, from: number, to: number): void {
    this.text += s;
    for (let i = 0; i < s.length; i++) {
      this.start.push(from);
      this.end.push(to);
    }
  }

  /** Appends units [i, j) of `a` with their own sources. */
  copy(a: AlignedText, i: number, j: number): void {
    this.text += a.text.slice(i, j);
    for (let k = i; k < j; k++) {
      this.start.push(a.start[k]);
      this.end.push(a.end[k]);
    }
  }

  done(): AlignedText {
    return { text: this.text, start: this.start, end: this.end, origin: this.origin };
  }
}

/** The document range covered by units [i, j) of `a`; an empty span sits where unit i (or the end) sits. */
export function spanOf(a: AlignedText, i: number, j: number): [number, number] {
  let s = Infinity;
  let e = -Infinity;
  for (let k = i; k < j; k++) {
    if (a.start[k] === a.end[k]) continue; // inserted units stand for no text
    if (a.start[k] < s) s = a.start[k];
    if (a.end[k] > e) e = a.end[k];
  }
  if (s !== Infinity) return [s, e];
  const at = anchorAt(a, i);
  return [at, at];
}

/** The document position just before unit i (or after the last unit when i is the length). */
export function anchorAt(a: AlignedText, i: number): number {
  if (i < a.text.length) return a.start[i];
  return a.text.length > 0 ? a.end[a.text.length - 1] : a.origin;
}

let reconciled = 0;

/** How many times a stepwise normalisation differed from the library's and was reconciled (for tests and logs). */
export function reconciledCount(): number {
  return reconciled;
}

/**
 * Gives `target` (what the library produced) the sources of `mine` (what our own stepwise version produced) when
 * the two differ: the common prefix and suffix keep their exact sources, the differing middle gets the union of
 * the middle's sources. Offsets stay monotone and cover the text; only the middle is coarser.
 */
export function reconcile(mine: AlignedText, target: string): AlignedText {
  if (mine.text === target) return mine;
  reconciled++;
  const a = mine.text;
  let p = 0;
  const max = Math.min(a.length, target.length);
  while (p < max && a.charCodeAt(p) === target.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && a.charCodeAt(a.length - 1 - s) === target.charCodeAt(target.length - 1 - s)) s++;
  const b = new AlignedBuilder(mine.origin);
  b.copy(mine, 0, p);
  const [ms, me] = spanOf(mine, p, a.length - s);
  b.push(target.slice(p, target.length - s), ms, me);
  b.copy(mine, a.length - s, a.length);
  return b.done();
}
