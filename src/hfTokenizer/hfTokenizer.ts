/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json + special_tokens_map.json) with exact UTF-16
 * offsets. The ids come from the library `@huggingface/tokenizers`, run step by step here exactly as its own
 * `encode` runs them (added tokens, normaliser, pre-tokenizer, model, unknown-token fusion, post-processor), so
 * the ids are the library's; the offsets come from our own aligner, since the library gives none:
 *   document text → (alignedNormalizer) normalised text with sources → (model space: the byte alphabet or "▁"
 *   for spaces) → each pre-token found in order → (pieceAligner) each piece's range.
 * Special tokens the post-processor adds ([CLS], [SEP], <s>, </s>) stand for no text: `special: true` and an empty
 * range where they are added (the start of the text, or its end). An added token typed in the text (e.g.
 * "<|endoftext|>") is matched as the library matches it and covers that text.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { CancelledError, TooManyTokensError } from '../pipeline/windows';
import { AddedTokenSplitter, stripAroundAdded, type AddedTokenInfo } from './addedTokens';
import { normalizeAligned, normalizeSteps, applyLocal, type NormalizeStep } from './alignedNormalizer';
import { AlignedBuilder, anchorAt, identityAligned, spanOf, type AlignedText } from './alignedText';
import { BYTE_TO_SYMBOL, SYMBOL_TO_BYTE, codePointUtf8 } from './byteAlphabet';
import { chunkCuts, chunkModeOf, type ChunkMode } from './chunking';
import { checkTokenizerJson, type PreTokenizerTraits } from './components';
import { TokenizerFormatError } from './errors';
import { MAX_SIDE_FILE_BYTES, MAX_TOKENIZER_FILE_BYTES } from './limits';
import { alignPieces, type AlignedPiece, type ModelMarkers } from './pieceAligner';
import { probePattern } from './regexGuard';
import { resolveSpecialRoles } from './specialRoles';
import type { EncodeOptions, SpecialTokenIds, TextToken, TextTokenizer } from './textTokenizer';

/** The files of a tokenizer, as text, with the names to use in error messages. */
export interface HfTokenizerFiles {
  tokenizerJson: string;
  tokenizerJsonName?: string;
  tokenizerConfig?: string;
  tokenizerConfigName?: string;
  specialTokensMap?: string;
  specialTokensMapName?: string;
}

/** The parts of the library's objects that are used here (they are public fields of its Tokenizer). */
interface LibModel {
  encode(tokens: string[]): string[];
  tokens_to_ids: Map<string, number>;
  vocab: string[];
  unk_token_id?: number;
  unk_token?: string;
  fuse_unk: boolean;
}
type LibPreTokenizer = (text: string, options?: { section_index?: number }) => string[];
type LibPostProcessor = (tokens: string[], pair: string[] | null, addSpecial: boolean) => { tokens: string[] };

/** Time between yields of encodeAsync (ms). */
const SLICE_MS = 10;
/** Characters per chunk when encodeAsync cuts a long section (only where that is exact, see chunking.ts). */
const CHUNK_CHARS = 4096;
/**
 * With a token limit, a text longer than this many characters per allowed token is first tokenized up to there:
 * real text has well over one token per 8 characters, so a text that needs more is refused without the rest.
 */
const LIMIT_PREFIX_CHARS_PER_TOKEN = 8;
/** Tokens by which a prefix's count may exceed the limit before the whole text is refused from it. */
const LIMIT_MARGIN_TOKENS = 64;

/** A cut at or before `max` after a whitespace character (so no word is cut), or the text's length. */
function prefixCut(text: string, max: number): number {
  if (text.length <= max) return text.length;
  for (let i = max; i > max / 2; i--) if (/\s/.test(text[i - 1]) && !/\s/.test(text[i])) return i;
  const c = text.charCodeAt(max - 1);
  return c >= 0xd800 && c <= 0xdbff ? max - 1 : max; // never between the halves of a surrogate pair
}

function parseJson(text: string, file: string, maxBytes: number): Record<string, unknown> {
  if (text.length > maxBytes) throw new TokenizerFormatError(file, '(file)', `is ${text.length} characters long; at most ${maxBytes} are accepted`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new TokenizerFormatError(file, '(file)', `not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TokenizerFormatError(file, '(file)', 'expected a JSON object');
  return parsed as Record<string, unknown>;
}

export class HfTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly special: SpecialTokenIds;
  /** Pieces whose offsets had to be approximated since the tokenizer was made (0 when every match was exact). */
  approximations = 0;

  private readonly lib: Tokenizer;
  private readonly model: LibModel;
  private readonly normalize: ((text: string) => string) | null;
  private readonly steps: NormalizeStep[];
  private readonly preTokenize: LibPreTokenizer | null;
  private readonly postProcess: LibPostProcessor | null;
  private readonly traits: PreTokenizerTraits;
  private readonly markers: ModelMarkers;
  private readonly added = new Map<string, AddedTokenInfo>();
  private readonly rawSplitter: AddedTokenSplitter;
  private readonly normSplitter: AddedTokenSplitter;
  private readonly removeSpace: boolean;
  private readonly lowercaseAndRemoveAccent: boolean;
  /** How encodeAsync may cut long sections into chunks (see chunking.ts); undefined: one call per section. */
  private readonly chunkMode: ChunkMode | undefined;
  /** Special tokens the post-processor puts before the text. */
  private readonly leadingSpecials: number;

  private constructor(files: HfTokenizerFiles) {
    const file = files.tokenizerJsonName ?? 'tokenizer.json';
    const checked = checkTokenizerJson(file, parseJson(files.tokenizerJson, file, MAX_TOKENIZER_FILE_BYTES));
    const configName = files.tokenizerConfigName ?? 'tokenizer_config.json';
    const config = files.tokenizerConfig !== undefined ? parseJson(files.tokenizerConfig, configName, MAX_SIDE_FILE_BYTES) : {};
    const mapName = files.specialTokensMapName ?? 'special_tokens_map.json';
    const map = files.specialTokensMap !== undefined ? parseJson(files.specialTokensMap, mapName, MAX_SIDE_FILE_BYTES) : undefined;
    const json = checked.json;
    try {
      this.lib = new Tokenizer(json, config);
    } catch (e) {
      throw new TokenizerFormatError(file, '(file)', `the tokenizer library could not read it: ${(e as Error).message}`);
    }
    // Every regular expression the library compiled from the file is checked before any text is tokenized.
    const compiled = collectCompiledPatterns(this.lib);
    checked.patterns.forEach((p, i) => {
      const re = compiled[i];
      if (re) probePattern(file, p.field, p.source, re);
    });
    this.model = this.lib.model as unknown as LibModel;
    this.normalize = this.lib.normalizer ? (t) => (this.lib.normalizer as unknown as (s: string) => string)(t) : null;
    this.steps = normalizeSteps(this.lib.normalizer, json.normalizer);
    this.preTokenize = this.lib.pre_tokenizer ? (this.lib.pre_tokenizer as unknown as LibPreTokenizer) : null;
    this.postProcess = this.lib.post_processor ? (this.lib.post_processor as unknown as LibPostProcessor) : null;
    this.traits = checked.traits;
    const m = json.model as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
    this.markers = {
      byteLevel: checked.traits.byteLevel,
      continuingPrefix: m.type === 'WordPiece' ? (str(m.continuing_subword_prefix) ?? undefined) : undefined,
      endOfWordSuffix: m.type === 'BPE' ? str(m.end_of_word_suffix) : undefined,
      continuingSuffix: m.type === 'BPE' ? str(m.continuing_subword_suffix) : undefined,
      byteFallback: m.type === 'BPE' && m.byte_fallback === true,
      unk: this.model.unk_token ?? undefined,
    };
    const rawContents: string[] = [];
    const normContents: string[] = [];
    for (const t of json.added_tokens as Record<string, unknown>[]) {
      const special = t.special === true;
      const info: AddedTokenInfo = {
        id: t.id as number,
        content: t.content as string,
        special,
        lstrip: t.lstrip === true,
        rstrip: t.rstrip === true,
        normalized: typeof t.normalized === 'boolean' ? t.normalized : !special,
      };
      this.added.set(info.content, info);
      if (info.normalized && this.normalize) {
        const n = this.normalize(info.content);
        normContents.push(n);
        this.added.set(n, info);
      } else rawContents.push(info.content);
    }
    this.rawSplitter = new AddedTokenSplitter(rawContents);
    this.normSplitter = new AddedTokenSplitter(normContents);
    this.removeSpace = config.remove_space === true;
    this.lowercaseAndRemoveAccent = config.do_lowercase_and_remove_accent === true;
    this.leadingSpecials = leadingSpecialCount(json.post_processor);
    this.chunkMode = chunkModeOf(json.pre_tokenizer, json.model as Record<string, unknown>, this.steps, normContents, this.removeSpace || this.lowercaseAndRemoveAccent);
    this.vocabSize = checked.vocabSize;
    this.special = resolveSpecialRoles([config, map], json, (c) => this.idOf(c), [...this.added.keys()]);
  }

  /** Reads a tokenizer from its files' text; errors name the file and the field. */
  static fromFiles(files: HfTokenizerFiles): HfTokenizer {
    return new HfTokenizer(files);
  }

  pieceOf(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.lib.id_to_token(id) : undefined;
  }

  idOf(piece: string): number | undefined {
    return this.added.get(piece)?.id ?? this.model.tokens_to_ids.get(piece);
  }

  /** The library's id for a token string (the same rule as its encode). */
  private idFor(piece: string): number {
    return this.added.get(piece)?.id ?? this.model.tokens_to_ids.get(piece) ?? (this.model.unk_token_id as number);
  }

  tokenBytes(id: number): Uint8Array {
    const piece = this.pieceOf(id);
    const enc = new TextEncoder();
    if (piece === undefined) return enc.encode(`<${id}>`);
    const added = this.added.get(piece);
    if (added && added.id === id) return enc.encode(piece);
    if (this.traits.byteLevel) {
      const bytes: number[] = [];
      for (const ch of piece) {
        const b = SYMBOL_TO_BYTE.get(ch);
        if (b === undefined) return enc.encode(piece);
        bytes.push(b);
      }
      return Uint8Array.from(bytes);
    }
    const byte = this.markers.byteFallback ? /^<0x([0-9A-Fa-f]{2})>$/.exec(piece) : null;
    if (byte) return Uint8Array.of(parseInt(byte[1], 16));
    let s = piece;
    if (this.markers.continuingPrefix && s.startsWith(this.markers.continuingPrefix)) s = s.slice(this.markers.continuingPrefix.length);
    if (this.markers.endOfWordSuffix && s.endsWith(this.markers.endOfWordSuffix)) s = s.slice(0, -this.markers.endOfWordSuffix.length) + ' ';
    return enc.encode(s.replaceAll(this.traits.metaspace ?? '▁', ' '));
  }

  /** The library's normalisation of a text (with tokenizer_config.json's remove_space / do_lowercase_and_remove_accent). */
  normalized(text: string): string {
    let t = text;
    if (this.removeSpace) t = t.trim().split(/\s+/).join(' ');
    if (this.lowercaseAndRemoveAccent) t = t.toLowerCase().replace(/\p{M}/gu, '');
    return this.normalize ? this.normalize(t) : t;
  }

  /** Whether pieces are written in GPT-2's byte alphabet (a ByteLevel pre-tokenizer). */
  get byteLevel(): boolean {
    return this.traits.byteLevel;
  }

  /** How encodeAsync cuts long sections (see chunking.ts), or undefined when it does not. */
  get chunking(): ChunkMode | undefined {
    return this.chunkMode;
  }

  /** The library's own ids for a text (what our ids must equal; used by the tests). */
  libraryIds(text: string, addSpecialTokens = true): number[] {
    return this.lib.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  encode(text: string, options: Pick<EncodeOptions, 'addSpecialTokens'> = {}): TextToken[] {
    const out: TextToken[] = [];
    const steps = this.run(text, options.addSpecialTokens ?? true, out);
    while (!steps.next().done);
    return out;
  }

  /** `chunkChars`: chunk length for long sections where chunking is exact (see chunking.ts); tests set it small. */
  async encodeAsync(text: string, options: EncodeOptions & { chunkChars?: number } = {}): Promise<TextToken[]> {
    const limit = options.limit ?? Infinity;
    // A text far longer than the limit allows is refused from a prefix: the library normalises and pre-tokenizes
    // a whole section in one call, so this keeps one call to about LIMIT_PREFIX_CHARS_PER_TOKEN × limit characters.
    const prefixEnd = Number.isFinite(limit) ? prefixCut(text, LIMIT_PREFIX_CHARS_PER_TOKEN * limit) : text.length;
    if (prefixEnd < text.length) {
      const head = await this.encodeSliced(text.slice(0, prefixEnd), options, Infinity);
      // Tokens near the cut may merge differently in the whole text; the margin covers that.
      if (head.length > limit + LIMIT_MARGIN_TOKENS) throw new TooManyTokensError(limit, prefixEnd, text.length);
    }
    return this.encodeSliced(text, options, limit);
  }

  private async encodeSliced(text: string, options: EncodeOptions & { chunkChars?: number }, limit: number): Promise<TextToken[]> {
    const out: TextToken[] = [];
    const steps = this.run(text, options.addSpecialTokens ?? true, out, options.chunkChars ?? CHUNK_CHARS);
    let sliceStart = performance.now();
    for (;;) {
      const r = steps.next();
      if (r.done) break;
      if (out.length > limit) throw new TooManyTokensError(limit, out[out.length - 1].end, text.length);
      if (performance.now() - sliceStart >= SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (options.isCancelled?.()) throw new CancelledError();
        sliceStart = performance.now();
      }
    }
    if (out.length > limit) throw new TooManyTokensError(limit, text.length, text.length);
    return out;
  }

  /**
   * The encoding, as a generator that pauses after every pre-token (so encodeAsync can yield between slices).
   * The order of the steps is the library's `encode_text` + post-processor.
   */
  private *run(text: string, addSpecial: boolean, out: TextToken[], chunkChars = Infinity): Generator<void> {
    // The text's tokens go straight into `out` (so a caller can count them between slices); the post-processor's
    // special tokens are put around them at the end.
    const content = out;
    const contentStart = out.length;
    const sections = this.rawSplitter.split(text, 0, text.length);
    stripAroundAdded(text, sections, (c) => this.added.get(c));
    for (let index = 0; index < sections.length; index++) {
      const [s, e, matched] = sections[index];
      if (e <= s) continue;
      const sectionText = text.slice(s, e);
      if (matched || (this.added.has(sectionText) && !this.rawSplitter.empty)) {
        content.push({ id: this.idFor(sectionText), piece: sectionText, start: s, end: e });
        continue;
      }
      // Pieces of the current subsection, fused (unknown pieces) when it ends: at a normalised added token or at
      // the end of the section, whatever chunks it spans.
      const pending: AlignedPiece[] = [];
      const flush = (): void => {
        const fused = this.model.fuse_unk ? this.fuseUnknown(pending) : pending;
        for (const f of fused) content.push({ id: this.idFor(f.piece), piece: f.piece, start: f.start, end: f.end });
        pending.length = 0;
      };
      const cuts = this.chunkMode && sectionText.length > chunkChars ? chunkCuts(sectionText, chunkChars, this.chunkMode) : [0, sectionText.length];
      for (let c = 0; c + 1 < cuts.length; c++) {
        let al = identityAligned(sectionText.slice(cuts[c], cuts[c + 1]), s + cuts[c]);
        if (this.removeSpace) al = collapseSpaces(al);
        if (this.lowercaseAndRemoveAccent) al = applyLocal(al, (t) => t.toLowerCase().replace(/\p{M}/gu, ''));
        if (c > 0 && this.chunkMode === 'prepended') {
          // The whole text gets the prepended marker once: later chunks are normalised without it.
          const prepend = (this.steps[0] as Extract<NormalizeStep, { kind: 'prepend' }>).prepend;
          al = normalizeAligned(al, this.steps.slice(1), (this.normalize as (t: string) => string)(al.text).slice(prepend.length));
        } else if (this.normalize) al = normalizeAligned(al, this.steps, this.normalize(al.text));
        if (al.text.length === 0) continue;
        const subs = this.normSplitter.split(al.text, 0, al.text.length);
        stripAroundAdded(al.text, subs, (t) => this.added.get(t));
        for (const [a, b, subMatched] of subs) {
          if (b <= a) continue;
          const subText = al.text.slice(a, b);
          if (subMatched) {
            flush();
            const [start, end] = spanOf(al, a, b);
            content.push({ id: this.idFor(subText), piece: subText, start, end });
            continue;
          }
          yield* this.encodeSubsection(sliceAligned(al, a, b), index, pending);
        }
        yield;
      }
      flush();
    }
    if (this.postProcess) {
      const strings = content.slice(contentStart).map((t) => t.piece);
      const processed = this.postProcess(strings, null, addSpecial).tokens;
      // Where the text's tokens are in the processed list: after the template's leading special tokens (read
      // from the file, so a text that itself starts with "<s>" is not taken for the added one).
      const lead = addSpecial ? this.leadingSpecials : 0;
      const at = runAt(processed, strings, lead) ? lead : findRun(processed, strings);
      if (at < 0) throw new Error(`tokenizer: the post-processor changed the text's tokens; offsets cannot be kept (${processed.length} tokens)`);
      const before: TextToken[] = [];
      for (let i = 0; i < at; i++) before.push({ id: this.idFor(processed[i]), piece: processed[i], start: 0, end: 0, special: true });
      out.splice(contentStart, 0, ...before);
      for (let i = at + strings.length; i < processed.length; i++) {
        out.push({ id: this.idFor(processed[i]), piece: processed[i], start: text.length, end: text.length, special: true });
      }
    }
  }

  /** Pre-tokenizes one normalised subsection and runs the model on each pre-token, aligning the pieces. */
  private *encodeSubsection(al: AlignedText, sectionIndex: number, pieces: AlignedPiece[]): Generator<void> {
    const preTokens = this.preTokenize ? this.preTokenize(al.text, { section_index: sectionIndex }) : [al.text];
    const space = modelSpace(al, this.traits);
    const marker = this.traits.byteLevel ? BYTE_TO_SYMBOL[0x20] : this.traits.metaspace;
    let cursor = 0;
    for (const p of preTokens) {
      if (p.length === 0) continue;
      const found = locate(space.text, p, cursor, marker);
      let unit: AlignedText;
      if (found) {
        const anchor = anchorAt(space, found.at);
        const b = new AlignedBuilder(anchor);
        if (found.virtual > 0) b.push(p.slice(0, found.virtual), anchor, anchor);
        b.copy(space, found.at, found.at + p.length - found.virtual);
        unit = b.done();
        cursor = found.at + p.length - found.virtual;
      } else {
        // Not found in order (should not happen with the supported components): the pieces share the rest.
        this.approximations++;
        const [s, e] = spanOf(space, cursor, space.text.length);
        const b = new AlignedBuilder(s);
        b.push(p, s, e);
        unit = b.done();
      }
      const modelPieces = this.model.encode([p]);
      if (!alignPieces(unit, modelPieces, this.markers, pieces)) this.approximations++;
      yield;
    }
    // Unknown-token fusion runs over the whole subsection, as in the library (TokenizerModel._call): the caller
    // fuses `pieces` when the subsection ends.
  }

  /** The library's fuse_unk, with the fused pieces' ranges joined. */
  private fuseUnknown(pieces: AlignedPiece[]): AlignedPiece[] {
    const unk = this.model.unk_token_id;
    const isUnk = (s: string): boolean => (this.model.tokens_to_ids.get(s) ?? unk) === unk;
    const out: AlignedPiece[] = [];
    let i = 0;
    while (i < pieces.length) {
      const first = { ...pieces[i] };
      out.push(first);
      if (!isUnk(first.piece)) {
        i++;
        continue;
      }
      while (++i < pieces.length && isUnk(pieces[i].piece)) {
        if (this.model.tokens_to_ids.get(first.piece) !== unk) first.piece += pieces[i].piece;
        first.start = Math.min(first.start, pieces[i].start);
        first.end = Math.max(first.end, pieces[i].end);
      }
    }
    return out;
  }
}

/** The compiled regular expressions of Split pre-tokenizers and Replace normalizers, in the order components.ts finds them. */
function collectCompiledPatterns(lib: Tokenizer): (RegExp | null)[] {
  const out: (RegExp | null)[] = [];
  interface Node {
    config?: { type?: string };
    normalizers?: (Node | null)[];
    tokenizers?: (Node | null)[];
    pattern?: RegExp | null;
  }
  const visitNorm = (n: Node | null): void => {
    if (!n) return;
    if (n.normalizers) n.normalizers.forEach(visitNorm);
    else if (n.config?.type === 'Replace') out.push(n.pattern ?? null);
  };
  const visitPre = (n: Node | null): void => {
    if (!n) return;
    if (n.tokenizers) n.tokenizers.forEach(visitPre);
    else if (n.config?.type === 'Split') out.push(n.pattern ?? null);
  };
  visitNorm(lib.normalizer as unknown as Node | null);
  visitPre(lib.pre_tokenizer as unknown as Node | null);
  return out;
}

/** Units [a, b) of an aligned text. */
function sliceAligned(al: AlignedText, a: number, b: number): AlignedText {
  if (a === 0 && b === al.text.length) return al;
  return { text: al.text.slice(a, b), start: al.start.slice(a, b), end: al.end.slice(a, b), origin: anchorAt(al, a) };
}

/** tokenizer_config.json `remove_space`: trim, and runs of whitespace become one space. */
function collapseSpaces(al: AlignedText): AlignedText {
  const t = al.text;
  const from = t.length - t.trimStart().length;
  const to = t.trimEnd().length;
  const b = new AlignedBuilder(anchorAt(al, Math.min(from, t.length)));
  let at = from;
  for (const m of t.slice(0, to).matchAll(/\s+/g)) {
    if (m.index < from) continue;
    b.copy(al, at, m.index);
    const [s, e] = spanOf(al, m.index, m.index + m[0].length);
    b.push(' ', s, e);
    at = m.index + m[0].length;
  }
  b.copy(al, at, Math.max(at, to));
  return b.done();
}

/**
 * The normalised text as the model sees it before splitting: GPT-2's byte alphabet (one unit per UTF-8 byte,
 * every byte from its character) after ByteLevel, or spaces replaced by the Metaspace string.
 */
function modelSpace(al: AlignedText, traits: PreTokenizerTraits): AlignedText {
  if (traits.byteLevel) {
    const b = new AlignedBuilder(al.origin);
    const t = al.text;
    for (let i = 0; i < t.length; ) {
      const cp = t.codePointAt(i) as number;
      const units = cp > 0xffff ? 2 : 1;
      const [s, e] = spanOf(al, i, i + units);
      for (const byte of codePointUtf8(cp)) b.push(BYTE_TO_SYMBOL[byte], s, e);
      i += units;
    }
    return b.done();
  }
  if (traits.metaspace !== undefined && al.text.includes(' ')) {
    const b = new AlignedBuilder(al.origin);
    const t = al.text;
    let at = 0;
    for (let i = t.indexOf(' '); i >= 0; i = t.indexOf(' ', i + 1)) {
      b.copy(al, at, i);
      b.push(traits.metaspace, al.start[i], al.end[i]);
      at = i + 1;
    }
    b.copy(al, at, t.length);
    return b.done();
  }
  return al;
}

/**
 * Where pre-token `p` is in the model-space text, at or after `from`. A pre-tokenizer may have put a marker in
 * front that is not in the text (ByteLevel's add_prefix_space, Metaspace's prepended "▁"): then `virtual` is the
 * marker's length and the rest of `p` is what is found.
 */
function locate(space: string, p: string, from: number, marker: string | undefined): { at: number; virtual: number } | null {
  if (marker && p.startsWith(marker)) {
    const rest = p.slice(marker.length);
    const bare = rest.length > 0 ? space.indexOf(rest, from) : from;
    if (bare >= 0) {
      // The nearer match wins, the real one on a tie. `rest` occurs first at `bare`, so a real `p` at k means
      // k + marker.length >= bare: only k in [bare - marker.length, bare] can win, which keeps this linear.
      for (let k = Math.max(from, bare - marker.length); k <= bare; k++) if (space.startsWith(p, k)) return { at: k, virtual: 0 };
      return { at: bare, virtual: marker.length };
    }
  }
  const real = space.indexOf(p, from);
  return real >= 0 ? { at: real, virtual: 0 } : null;
}

/** How many special tokens a post-processor puts before the text (for one sequence). */
function leadingSpecialCount(post: unknown): number {
  if (typeof post !== 'object' || post === null) return 0;
  const p = post as { type?: unknown; processors?: unknown; single?: unknown };
  if (p.type === 'BertProcessing' || p.type === 'RobertaProcessing') return 1;
  if (p.type === 'Sequence' && Array.isArray(p.processors)) return p.processors.reduce((n: number, c: unknown) => n + leadingSpecialCount(c), 0);
  if (p.type === 'TemplateProcessing' && Array.isArray(p.single)) {
    let n = 0;
    for (const item of p.single as Record<string, unknown>[]) {
      if ('Sequence' in item) break;
      if ('SpecialToken' in item) n++;
    }
    return n;
  }
  return 0;
}

/** Whether `run` occurs in `all` at `at`. */
function runAt(all: readonly string[], run: readonly string[], at: number): boolean {
  if (at + run.length > all.length) return false;
  for (let j = 0; j < run.length; j++) if (all[at + j] !== run[j]) return false;
  return true;
}

/** Index where `run` occurs contiguously in `all` (the text's tokens inside the post-processed list), or -1. */
function findRun(all: readonly string[], run: readonly string[]): number {
  outer: for (let i = 0; i + run.length <= all.length; i++) {
    for (let j = 0; j < run.length; j++) if (all[i + j] !== run[j]) continue outer;
    return i;
  }
  return -1;
}
