/**
 * Normalisation that remembers where every normalised unit came from. Each step of the file's normaliser is
 * re-done here with sources tracked, using the library's own component for the text it produces, so the result
 * is the library's normalised text exactly, with exact sources wherever the step is local:
 *   - character-local steps (Lowercase, NFC/NFD/NFKC/NFKD, StripAccents, BertNormalizer, Precompiled) are applied
 *     to one character with its combining marks at a time; what one character becomes (`é`→`e`, `ﬁ`→`fi`) comes
 *     from that character; the text is cross-checked with the step applied to the whole text;
 *   - Replace, Prepend and Strip are re-done here on the aligned text (a replacement comes from what it replaced,
 *     a prepended string from the empty range where the text starts).
 * Where the stepwise text differs from the library's (a context-dependent mapping such as a final sigma), the
 * library's text is kept and the difference gets the union of its sources (see reconcile).
 */
import { AlignedBuilder, anchorAt, reconcile, spanOf, type AlignedText } from './alignedText';

export type NormalizeStep =
  | { kind: 'local'; apply: (s: string) => string }
  | { kind: 'replace'; pattern: RegExp; content: string; apply: (s: string) => string; /** A {"String": …} pattern's text. */ literal?: string; /** Matches only spaces. */ spacesOnly?: boolean }
  | { kind: 'prepend'; prepend: string }
  | { kind: 'strip'; left: boolean; right: boolean };

/** What the library's normaliser component looks like from here (only what we call). */
interface LibNormalizer {
  normalize(text: string): string;
  normalizers?: (LibNormalizer | null)[];
  pattern?: RegExp | null;
}

/** Turns the library's normaliser (built from `json`) into steps, in order. */
export function normalizeSteps(lib: unknown, json: unknown): NormalizeStep[] {
  const out: NormalizeStep[] = [];
  const walk = (l: LibNormalizer | null, j: Record<string, unknown>): void => {
    if (l === null) return;
    switch (j.type) {
      case 'Sequence': {
        const children = (j.normalizers as Record<string, unknown>[]) ?? [];
        children.forEach((c, i) => walk(l.normalizers?.[i] ?? null, c));
        return;
      }
      case 'Replace':
        if (l.pattern) {
          const p = j.pattern as { String?: unknown } | undefined;
          const literal = typeof p?.String === 'string' ? p.String : undefined;
          const source = (j.pattern as { Regex?: unknown } | undefined)?.Regex;
          // A pattern that can only match spaces (" {2,}" in T5 and XLM-R files), for the chunking rules.
          const spacesOnly = (literal !== undefined && /^ +$/.test(literal)) || (typeof source === 'string' && /^(?: |\\s)(?:\{\d+,?\d*\}|[+*])?$/.test(source));
          out.push({ kind: 'replace', pattern: l.pattern, content: String(j.content ?? ''), apply: (s) => l.normalize(s), literal, spacesOnly });
        }
        return;
      case 'Prepend':
        out.push({ kind: 'prepend', prepend: String(j.prepend ?? '') });
        return;
      case 'Strip':
        out.push({ kind: 'strip', left: j.strip_left === true, right: j.strip_right === true });
        return;
      default:
        out.push({ kind: 'local', apply: (s) => l.normalize(s) });
    }
  };
  walk(lib as LibNormalizer | null, (json ?? {}) as Record<string, unknown>);
  return out;
}

/** One character with what attaches to it: combining marks, Hangul vowel/final jamo, half-width sound marks. */
const SEGMENT = /[^][\p{M}\u1160-\u11FF\uFF9E\uFF9F]*/gu;
/** How many following characters a mismatching character may be joined with to find what the whole text gives. */
const MAX_JOIN = 4;

/** Applies a character-local function with sources tracked (see the module comment). */
export function applyLocal(a: AlignedText, fn: (s: string) => string): AlignedText {
  const whole = fn(a.text);
  if (whole === a.text) return a;
  const segs: [number, number][] = [];
  for (const m of a.text.matchAll(SEGMENT)) if (m[0].length > 0) segs.push([m.index, m.index + m[0].length]);
  const b = new AlignedBuilder(a.origin);
  let pos = 0; // position in `whole`
  for (let i = 0; i < segs.length; ) {
    const [s0, e0] = segs[i];
    const seg = a.text.slice(s0, e0);
    const out = fn(seg);
    if (whole.startsWith(out, pos)) {
      if (out === seg) b.copy(a, s0, e0);
      else {
        const [from, to] = spanOf(a, s0, e0);
        b.push(out, from, to);
      }
      pos += out.length;
      i++;
      continue;
    }
    // The whole text's result differs here: try this character together with the next few (composition
    // across characters), then accept a same-length substitution (context-dependent case mapping).
    let joined = false;
    for (let k = 1; k <= MAX_JOIN && i + k < segs.length; k++) {
      const e = segs[i + k][1];
      const o = fn(a.text.slice(s0, e));
      if (whole.startsWith(o, pos)) {
        const [from, to] = spanOf(a, s0, e);
        b.push(o, from, to);
        pos += o.length;
        i += k + 1;
        joined = true;
        break;
      }
    }
    if (joined) continue;
    const [from, to] = spanOf(a, s0, e0);
    b.push(whole.slice(pos, pos + out.length), from, to);
    pos += out.length;
    i++;
  }
  return reconcile(b.done(), whole);
}

function applyReplace(a: AlignedText, step: Extract<NormalizeStep, { kind: 'replace' }>): AlignedText {
  const whole = step.apply(a.text);
  if (whole === a.text) return a;
  const b = new AlignedBuilder(a.origin);
  const re = new RegExp(step.pattern.source, step.pattern.flags.includes('g') ? step.pattern.flags : step.pattern.flags + 'g');
  let at = 0;
  for (const m of a.text.matchAll(re)) {
    b.copy(a, at, m.index);
    const end = m.index + m[0].length;
    if (end > m.index) {
      const [from, to] = spanOf(a, m.index, end);
      b.push(step.content, from, to);
    } else {
      const p = anchorAt(a, m.index);
      b.push(step.content, p, p);
    }
    at = end;
  }
  b.copy(a, at, a.text.length);
  // `$&`-style references in the content are expanded by the library; the reconciliation keeps its text.
  return reconcile(b.done(), whole);
}

function applyStrip(a: AlignedText, left: boolean, right: boolean): AlignedText {
  const t = a.text;
  const from = left ? t.length - t.trimStart().length : 0;
  const to = right ? t.trimEnd().length : t.length;
  if (from === 0 && to === t.length) return a;
  // Stripped to nothing, the text sits where the stripped whitespace ended.
  const b = new AlignedBuilder(anchorAt(a, Math.min(from, t.length)));
  b.copy(a, from, Math.max(from, to));
  return b.done();
}

function applyPrepend(a: AlignedText, prepend: string): AlignedText {
  const p = anchorAt(a, 0);
  const b = new AlignedBuilder(p);
  b.push(prepend, p, p);
  b.copy(a, 0, a.text.length);
  return b.done();
}

/** Runs the steps on `a`; `libWhole` is the library's normaliser on the same text, which the result must equal. */
export function normalizeAligned(a: AlignedText, steps: readonly NormalizeStep[], libWhole?: string): AlignedText {
  let cur = a;
  // Consecutive local steps run as one function, so the text is segmented once for them.
  for (let i = 0; i < steps.length; ) {
    const step = steps[i];
    if (step.kind === 'local') {
      const fns: ((s: string) => string)[] = [];
      while (i < steps.length && steps[i].kind === 'local') fns.push((steps[i++] as Extract<NormalizeStep, { kind: 'local' }>).apply);
      cur = applyLocal(cur, fns.length === 1 ? fns[0] : (s) => fns.reduce((t, f) => f(t), s));
      continue;
    }
    if (step.kind === 'replace') cur = applyReplace(cur, step);
    else if (step.kind === 'strip') cur = applyStrip(cur, step.left, step.right);
    else cur = applyPrepend(cur, step.prepend);
    i++;
  }
  return libWhole === undefined ? cur : reconcile(cur, libWhole);
}
