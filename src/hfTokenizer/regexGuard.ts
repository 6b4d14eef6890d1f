/**
 * Regular expressions from a tokenizer.json (a Split pre-tokenizer's or a Replace normalizer's pattern) run on the
 * user's text on the extension host, where a JavaScript regular expression cannot be interrupted. A pattern that
 * backtracks catastrophically would hang the editor, so a pattern is accepted only if
 *   1. its source has no repeated group that itself repeats or alternates (`(a+)+`, `(\w|\d)*`: the shapes that
 *      backtrack exponentially), and
 *   2. the compiled expression, run on probe texts of growing length (runs of letters, spaces, digits, CJK,
 *      emoji, punctuation, each followed by a character that may make the match fail), stays within a small
 *      time budget per probe; lengths grow in small steps so an exponential pattern is caught a few doublings
 *      after it becomes measurable, and the last step checks 4 k-character probes for polynomial blow-up.
 * Either failure is an UnsafePatternError naming the file, the field and the pattern, within about a second.
 */
import { UnsafePatternError } from './errors';

/** Finds a repeated group whose body repeats or alternates; returns a description or null. */
export function nestedQuantifier(source: string): string | null {
  interface Group {
    start: number;
    repeats: boolean;
    alternates: boolean;
  }
  const stack: Group[] = [{ start: 0, repeats: false, alternates: false }];
  // Reads a quantifier at i; returns [length, whether it can repeat more than once] or null.
  const quantifierAt = (i: number): [number, boolean] | null => {
    const c = source[i];
    if (c === '*' || c === '+') return [1 + (source[i + 1] === '?' || source[i + 1] === '+' ? 1 : 0), true];
    if (c === '?') return [1 + (source[i + 1] === '?' || source[i + 1] === '+' ? 1 : 0), false];
    if (c === '{') {
      const m = /^\{(\d*)(,?)(\d*)\}/.exec(source.slice(i, i + 24));
      if (!m || (m[1] === '' && m[3] === '')) return null;
      const max = m[2] === '' ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
      return [m[0].length, max > 1];
    }
    return null;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      // \p{…}, \x{…}: skip the braces too.
      if (source[i + 2] === '{' && /[pPx]/.test(source[i + 1] ?? '')) i = Math.max(i + 1, source.indexOf('}', i));
      else i++;
      continue;
    }
    if (c === '[') {
      // Skip a character class, nested classes and escapes included.
      let depth = 1;
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      for (; j < source.length && depth > 0; j++) {
        if (source[j] === '\\') j++;
        else if (source[j] === '[') depth++;
        else if (source[j] === ']') depth--;
      }
      i = j - 1;
      const q = quantifierAt(i + 1);
      if (q) {
        if (q[1]) stack[stack.length - 1].repeats = true;
        i += q[0];
      }
      continue;
    }
    if (c === '(') {
      stack.push({ start: i, repeats: false, alternates: false });
      continue;
    }
    if (c === '|') {
      stack[stack.length - 1].alternates = true;
      continue;
    }
    if (c === ')' && stack.length > 1) {
      const g = stack.pop() as Group;
      const q = quantifierAt(i + 1);
      const inner = source.slice(g.start, i + 1);
      if (q && q[1] && (g.repeats || g.alternates)) {
        return `repeats the group ${inner.length > 60 ? inner.slice(0, 60) + '…' : inner}, which itself ${g.repeats ? 'repeats' : 'alternates'} (nested quantifiers backtrack exponentially)`;
      }
      const parent = stack[stack.length - 1];
      if (g.repeats || (q && q[1])) parent.repeats = true;
      if (q) i += q[0];
      continue;
    }
    const q = quantifierAt(i);
    if (q) {
      if (q[1]) stack[stack.length - 1].repeats = true;
      i += q[0] - 1;
    }
  }
  return null;
}

const PROBE_ATOMS = ['a', ' ', '1', 'a ', 'ab', '\n', '.', 'é', '中', "'", '\t ', 'a1', '😀', '-a', 'A', '\r\n'];
const PROBE_ENDS = ['', '!', '\u0000', 'a', ' ', '1'];
/** Longest time one probe may take (ms); a linear pattern needs well under 1 ms for these lengths. */
const PROBE_BUDGET_MS = 25;
/** Longest time all probes of one pattern may take (ms); a linear pattern needs about 50 ms for all, unloaded. */
const TOTAL_BUDGET_MS = 700;
/** Probe lengths (repetitions of an atom): small steps while short, so an exponential pattern is caught early. */
const LENGTHS = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 45, 64, 90, 128, 181, 256, 362, 512, 1024, 2048, 4096];

function timeMatch(re: RegExp, text: string): number {
  const t0 = performance.now();
  re.lastIndex = 0;
  text.match(re);
  return performance.now() - t0;
}

/**
 * Runs the compiled pattern on the probe texts and throws UnsafePatternError when one is too slow. A probe over
 * the budget is run once more and must be over it again: a pause of the process (garbage collection, another
 * process on the CPU) does not repeat, a pattern's backtracking does.
 */
export function probePattern(file: string, field: string, source: string, regex: RegExp): void {
  const nested = nestedQuantifier(source);
  if (nested) throw new UnsafePatternError(file, field, source, nested);
  const re = new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : regex.flags + 'g');
  const began = performance.now();
  for (const reps of LENGTHS) {
    for (const atom of PROBE_ATOMS) {
      const body = atom.repeat(reps);
      for (const end of PROBE_ENDS) {
        const text = body + end;
        const took = timeMatch(re, text);
        if (took > PROBE_BUDGET_MS && timeMatch(re, text) > PROBE_BUDGET_MS) {
          throw new UnsafePatternError(
            file,
            field,
            source,
            `took ${Math.round(took)} ms on a ${text.length}-character text (${JSON.stringify(atom)} × ${reps}); it backtracks too much to run on a document`,
          );
        }
        if (performance.now() - began > TOTAL_BUDGET_MS) {
          throw new UnsafePatternError(file, field, source, `took over ${TOTAL_BUDGET_MS} ms on short probe texts; it backtracks too much to run on a document`);
        }
      }
    }
  }
}
