/**
 * Long sections in chunks, for the pipelines where cutting the text at a known kind of place provably gives the
 * library's result: the library normalises and pre-tokenizes a whole section in one call, which blocks the host
 * on a long selection, while chunks let encodeAsync yield between them.
 *   - "space": a character-local normaliser and a pre-tokenizer that first splits on whitespace and drops it
 *     (BertPreTokenizer, Whitespace, WhitespaceSplit, first in a Sequence); cut before a single space between
 *     letters or digits (they stay what they are under every local normaliser). What follows works per piece.
 *   - "bytelevel": byte-level BPE with the GPT-2 split (ByteLevel with its regex) or a Split with the Llama-3 /
 *     Qwen2 pattern before ByteLevel without regex, no normaliser or a local one; cut before a single space that
 *     follows a letter or digit and precedes a letter: in the whole text every alternative of these patterns ends
 *     before that space and " letter…" starts a pre-token (` ?\p{L}+`, `[^\r\n\p{L}\p{N}]?\p{L}+`), and a chunk
 *     that starts with a space gets no prefix space (ByteLevel adds one only to text not starting with one).
 *   - "prepended": SentencePiece-style BPE (Llama-2, Mistral): no pre-tokenizer, a normaliser that prepends a
 *     marker ("▁") and replaces spaces with it; cut before a single space between a letter or digit and a letter. The
 *     chunks after the first are normalised without the prepend (the whole text gets one), and no merge of the
 *     file joins a piece ending in something else with one starting with the marker, so no piece of the whole
 *     text spans the cut.
 * Any other pipeline is not chunked (one call per section). Unknown-piece fusion is done over the whole
 * subsection by the caller, so it is the same across chunks.
 */
import type { NormalizeStep } from './alignedNormalizer';

export type ChunkMode = 'space' | 'bytelevel' | 'prepended';

const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const KNOWN_SPLITS = new Set([LLAMA3_SPLIT, QWEN2_SPLIT]);
const SPACE_SPLITTERS = new Set(['BertPreTokenizer', 'Whitespace', 'WhitespaceSplit']);

type Json = Record<string, unknown>;

/** Whether a SentencePiece-style BPE can be cut before a space (see "prepended" above). */
function prependedMode(model: Json, steps: readonly NormalizeStep[], normalizedAddedContents: readonly string[]): boolean {
  const [first, ...rest] = steps;
  if (first?.kind !== 'prepend' || first.prepend.length === 0) return false;
  const marker = first.prepend;
  const replacesSpace = rest.some((s) => s.kind === 'replace' && s.literal === ' ' && s.content === marker);
  const othersLocal = rest.every((s) => s.kind === 'local' || (s.kind === 'replace' && s.literal !== undefined && !/\s/.test(s.literal) && !s.literal.includes(marker)) || (s.kind === 'replace' && s.literal === ' ' && s.content === marker));
  if (!replacesSpace || !othersLocal || model.type !== 'BPE' || model.ignore_merges === true || !Array.isArray(model.merges)) return false;
  if (normalizedAddedContents.some((c) => c.includes(' ') || c.includes(marker))) return false;
  for (const m of model.merges as unknown[]) {
    const [a, b] = typeof m === 'string' ? m.split(' ', 2) : (m as string[]);
    if (typeof a === 'string' && typeof b === 'string' && b.startsWith(marker) && !a.endsWith(marker)) return false;
  }
  return true;
}

export function chunkModeOf(preTokenizer: unknown, model: Json, steps: readonly NormalizeStep[], normalizedAddedContents: readonly string[], configChangesText: boolean): ChunkMode | undefined {
  if (configChangesText) return undefined;
  if (preTokenizer === null || preTokenizer === undefined) return prependedMode(model, steps, normalizedAddedContents) ? 'prepended' : undefined;
  if (typeof preTokenizer !== 'object') return undefined;
  const pre = preTokenizer as Json;
  const list = pre.type === 'Sequence' && Array.isArray(pre.pretokenizers) ? (pre.pretokenizers as Json[]) : [pre];
  if (list.length === 0) return undefined;
  const first = list[0];
  if (SPACE_SPLITTERS.has(String(first.type))) {
    // Whitespace is dropped before anything sees it, so besides character-local steps, Strip (removes only
    // whitespace), Replace of a string without whitespace (cannot match across the cut) and Replace of spaces by
    // whitespace (T5's " {2,}" → " ") are safe too.
    // A chunk starts with its space: a left Strip would drop it, and a Metaspace "▁" would then be added instead
    // of found (same ids, other offsets).
    if (steps.some((s) => s.kind === 'strip' && s.left) && list.some((j) => j.type === 'Metaspace')) return undefined;
    const safe = steps.every(
      (s) =>
        s.kind === 'local' ||
        s.kind === 'strip' ||
        (s.kind === 'replace' && s.literal !== undefined && !/\s/.test(s.literal)) ||
        (s.kind === 'replace' && s.spacesOnly === true && /^\s*$/.test(s.content)),
    );
    return safe && !normalizedAddedContents.some((c) => /\s/.test(c)) ? 'space' : undefined;
  }
  if (!steps.every((s) => s.kind === 'local')) return undefined;
  if (normalizedAddedContents.some((c) => c.includes(' '))) return undefined;
  const isByteLevel = (j: Json, regex: boolean): boolean => j.type === 'ByteLevel' && (j.use_regex !== false) === regex;
  if (list.length === 1 && isByteLevel(first, true)) return 'bytelevel';
  if (list.length === 2 && first.type === 'Split' && isByteLevel(list[1], false)) {
    const pattern = first.pattern as Json | undefined;
    const ok = typeof pattern?.Regex === 'string' && KNOWN_SPLITS.has(pattern.Regex) && first.invert !== true && String(first.behavior ?? '').toLowerCase() === 'isolated';
    return ok ? 'bytelevel' : undefined;
  }
  return undefined;
}

const LETTER = /\p{L}/u;
/** Letters and digits stay what they are under every local normaliser (a format character may become a space). */
const WORD = /[\p{L}\p{N}]/u;

function isCut(text: string, i: number, mode: ChunkMode): boolean {
  // Before a single space between a letter or digit and a letter (or digit, for "space"): not inside a run of
  // whitespace, which a Replace may join, and the space goes with what follows, as in the whole text (GPT-2's
  // " word", Llama-3's "[^…]?\p{L}+", a Metaspace "▁" found in place).
  if (text[i] !== ' ' || i === 0 || i + 1 >= text.length || !WORD.test(text[i - 1])) return false;
  return mode === 'space' ? WORD.test(text[i + 1]) : LETTER.test(text[i + 1]);
}

/** Cut positions [0, …, text.length] about `target` characters apart (a chunk may be longer when no place fits). */
export function chunkCuts(text: string, target: number, mode: ChunkMode): number[] {
  const cuts = [0];
  let pos = 0;
  while (text.length - pos > target) {
    let found = -1;
    const limit = Math.min(text.length - 1, pos + 4 * target);
    for (let i = pos + target; i <= limit; i++) {
      if (isCut(text, i, mode)) {
        found = i;
        break;
      }
    }
    if (found < 0) break;
    cuts.push(found);
    pos = found;
  }
  cuts.push(text.length);
  return cuts;
}
