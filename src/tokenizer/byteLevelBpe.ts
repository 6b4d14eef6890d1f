/**
 * Byte-level BPE tokenizer that reads a Hugging Face `tokenizer.json` and maps every token to an exact UTF-16
 * range of the input text.
 *
 * Why our own code: the offsets must be UTF-16 code units (what VS Code positions use), and a token that holds
 * only some bytes of a character (byte-level BPE on CJK or emoji) must map to that whole character's range.
 *
 * Steps, as the file format defines them: split the text with the GPT-2 pattern, turn each piece into UTF-8 bytes,
 * spell the bytes in the GPT-2 byte alphabet, then apply the ranked merges (lowest rank first) inside each piece.
 * Added/special tokens in the file are never matched in user text: the text is analysed as plain text.
 */

/** Longest pre-token given to BPE in one piece (UTF-16 units); see encodePieceBounded. */
export const MAX_PIECE_UNITS = 4096;

/** The GPT-2 split pattern, which the ByteLevel pre-tokenizer (use_regex: true) applies. */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface Token {
  id: number;
  /** The token's own symbol string in the vocabulary (byte alphabet). */
  piece: string;
  /** UTF-16 range in the input text, end exclusive. Tokens that split a character share its range. */
  start: number;
  end: number;
}

export class TokenizerFormatError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: ${field}: ${detail}`);
    this.name = 'TokenizerFormatError';
  }
}

/** GPT-2's reversible map from bytes to printable characters. */
function buildByteAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Array<string>(256);
  const isPrintable = new Set(printable);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(isPrintable.has(b) ? b : 256 + next++);
  }
  return table;
}

const BYTE_TO_SYMBOL = buildByteAlphabet();
const SYMBOL_TO_BYTE = new Map(BYTE_TO_SYMBOL.map((s, b) => [s, b]));

/** Decodes a vocabulary piece back to its bytes. */
export function pieceToBytes(piece: string): Uint8Array {
  const out: number[] = [];
  for (const ch of piece) {
    const b = SYMBOL_TO_BYTE.get(ch);
    if (b === undefined) throw new Error(`Symbol ${JSON.stringify(ch)} is not in the byte alphabet`);
    out.push(b);
  }
  return Uint8Array.from(out);
}

/** UTF-8 bytes of the code point at `text[i]`, treating a lone surrogate as U+FFFD (as TextEncoder does). */
function codePointBytes(cp: number, out: number[]): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

interface TokenizerJson {
  model?: { type?: unknown; vocab?: unknown; merges?: unknown };
  pre_tokenizer?: unknown;
  added_tokens?: unknown;
}

function findByteLevel(pre: unknown): boolean {
  if (typeof pre !== 'object' || pre === null) return false;
  const p = pre as { type?: unknown; pretokenizers?: unknown };
  if (p.type === 'ByteLevel') return true;
  if (p.type === 'Sequence' && Array.isArray(p.pretokenizers)) return p.pretokenizers.some(findByteLevel);
  return false;
}

export class ByteLevelBpeTokenizer {
  readonly vocabSize: number;
  private readonly vocab: Map<string, number>;
  private readonly idToPiece: string[];
  /** "left right" → rank */
  private readonly mergeRanks: Map<string, number>;
  private readonly cache = new Map<string, string[]>();
  private static readonly CACHE_LIMIT = 50_000;

  private constructor(vocab: Map<string, number>, merges: Map<string, number>, vocabSize: number) {
    this.vocab = vocab;
    this.mergeRanks = merges;
    this.vocabSize = vocabSize;
    this.idToPiece = [];
    for (const [piece, id] of vocab) this.idToPiece[id] = piece;
  }

  /** Parses and validates `tokenizer.json` text. `file` names the file in error messages. */
  static fromJson(text: string, file = 'tokenizer.json'): ByteLevelBpeTokenizer {
    let json: TokenizerJson;
    try {
      json = JSON.parse(text) as TokenizerJson;
    } catch (e) {
      throw new TokenizerFormatError(file, '(file)', `not valid JSON (${(e as Error).message})`);
    }
    if (typeof json !== 'object' || json === null) throw new TokenizerFormatError(file, '(file)', 'expected a JSON object');
    const model = json.model;
    if (typeof model !== 'object' || model === null) throw new TokenizerFormatError(file, 'model', 'missing');
    if (model.type !== 'BPE') throw new TokenizerFormatError(file, 'model.type', `expected "BPE", got ${JSON.stringify(model.type)}`);
    if (!findByteLevel(json.pre_tokenizer)) {
      throw new TokenizerFormatError(file, 'pre_tokenizer', 'expected a ByteLevel pre-tokenizer (byte-level BPE)');
    }
    if (typeof model.vocab !== 'object' || model.vocab === null || Array.isArray(model.vocab)) {
      throw new TokenizerFormatError(file, 'model.vocab', 'expected an object mapping tokens to ids');
    }
    const vocab = new Map<string, number>();
    let maxId = -1;
    for (const [piece, id] of Object.entries(model.vocab as Record<string, unknown>)) {
      if (!Number.isInteger(id) || (id as number) < 0) {
        throw new TokenizerFormatError(file, `model.vocab[${JSON.stringify(piece)}]`, `expected a non-negative integer id, got ${JSON.stringify(id)}`);
      }
      vocab.set(piece, id as number);
      maxId = Math.max(maxId, id as number);
    }
    for (let b = 0; b < 256; b++) {
      if (!vocab.has(BYTE_TO_SYMBOL[b])) {
        throw new TokenizerFormatError(file, 'model.vocab', `byte 0x${b.toString(16).padStart(2, '0')} has no token; byte-level BPE needs all 256`);
      }
    }
    if (!Array.isArray(model.merges)) throw new TokenizerFormatError(file, 'model.merges', 'expected an array');
    const merges = new Map<string, number>();
    model.merges.forEach((m: unknown, rank: number) => {
      let pair: string;
      if (typeof m === 'string') pair = m;
      else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') pair = `${m[0]} ${m[1]}`;
      else throw new TokenizerFormatError(file, `model.merges[${rank}]`, 'expected "left right" or [left, right]');
      if (!merges.has(pair)) merges.set(pair, rank);
    });
    let size = maxId + 1;
    if (Array.isArray(json.added_tokens)) {
      for (const t of json.added_tokens as Array<{ id?: unknown }>) {
        if (Number.isInteger(t?.id)) size = Math.max(size, (t.id as number) + 1);
      }
    }
    return new ByteLevelBpeTokenizer(vocab, merges, size);
  }

  pieceOf(id: number): string | undefined {
    return this.idToPiece[id];
  }

  /**
   * Applies the ranked merges to one pre-token's symbols: repeatedly merge the adjacent pair with the lowest
   * rank, the leftmost first on ties. A heap over candidate pairs keeps this O(n log n), so a long run of CJK
   * text (a single pre-token) does not stall the host.
   */
  private bpe(symbols: string): string[] {
    const cached = this.cache.get(symbols);
    if (cached) return cached;
    const parts = Array.from(symbols);
    const n = parts.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new PairHeap();
    const consider = (i: number): void => {
      const j = next[i];
      if (i < 0 || j < 0) return;
      const rank = this.mergeRanks.get(parts[i] + ' ' + parts[j]);
      if (rank !== undefined) heap.push(rank, i, parts[i], parts[j]);
    };
    for (let i = 0; i < n - 1; i++) consider(i);
    for (let top = heap.pop(); top; top = heap.pop()) {
      const i = top.left;
      const j = next[i];
      // Skip entries made stale by an earlier merge.
      if (j < 0 || parts[i] !== top.leftText || parts[j] !== top.rightText) continue;
      parts[i] = parts[i] + parts[j];
      parts[j] = '';
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) consider(prev[i]);
      consider(i);
    }
    const result: string[] = [];
    for (let i = 0; i >= 0 && i < n; i = next[i]) result.push(parts[i]);
    if (this.cache.size >= ByteLevelBpeTokenizer.CACHE_LIMIT) this.cache.clear();
    this.cache.set(symbols, result);
    return result;
  }

  /** Tokenizes `text`; offsets are UTF-16 code units into `text`. */
  encode(text: string): Token[] {
    const out: Token[] = [];
    this.encodeRange(text, 0, text.length, out);
    return out;
  }

  /**
   * Tokenizes the pre-tokens that start in [from, to) and returns where it stopped (always a pre-token
   * boundary), so long texts can be processed in slices without blocking. Pre-tokens never cross `to`
   * because the split pattern is applied to the whole text with `lastIndex`.
   */
  encodeRange(text: string, from: number, to: number, out: Token[]): number {
    const re = new RegExp(GPT2_SPLIT.source, 'gu');
    re.lastIndex = from;
    let m: RegExpExecArray | null;
    let stop = from;
    while (re.lastIndex < to && (m = re.exec(text)) !== null) {
      this.encodePieceBounded(m[0], m.index, out);
      stop = m.index + m[0].length;
      if (m[0].length === 0) re.lastIndex++;
    }
    return Math.max(stop, Math.min(to, text.length));
  }

  /**
   * A single pre-token can be huge (a megabyte of CJK text without punctuation is one `\p{L}+` match). Pieces
   * longer than MAX_PIECE_UNITS are cut at code-point boundaries so one call never blocks for long; this
   * differs from the reference tokenizer only for such pathological runs.
   */
  private encodePieceBounded(piece: string, offset: number, out: Token[]): void {
    if (piece.length <= MAX_PIECE_UNITS) return this.encodePiece(piece, offset, out);
    for (let i = 0; i < piece.length; ) {
      let end = Math.min(i + MAX_PIECE_UNITS, piece.length);
      const c = piece.charCodeAt(end - 1);
      if (end < piece.length && c >= 0xd800 && c <= 0xdbff) end--; // keep surrogate pairs together
      this.encodePiece(piece.slice(i, end), offset + i, out);
      i = end;
    }
  }

  private encodePiece(piece: string, offset: number, out: Token[]): void {
    // For every UTF-8 byte of the piece, the UTF-16 range of the character it belongs to.
    const bytes: number[] = [];
    const charStart: number[] = [];
    const charEnd: number[] = [];
    for (let i = 0; i < piece.length; ) {
      let cp = piece.charCodeAt(i);
      let len = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < piece.length) {
        const lo = piece.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          len = 2;
        } else cp = 0xfffd;
      } else if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate: encoded as U+FFFD, like TextEncoder
      const before = bytes.length;
      codePointBytes(cp, bytes);
      for (let k = before; k < bytes.length; k++) {
        charStart.push(offset + i);
        charEnd.push(offset + i + len);
      }
      i += len;
    }
    let symbols = '';
    for (const b of bytes) symbols += BYTE_TO_SYMBOL[b];
    let byteIndex = 0;
    for (const part of this.bpe(symbols)) {
      const id = this.vocab.get(part);
      // Every single byte is in the vocabulary, so a merge result missing from it means a broken file;
      // fall back to its bytes so the text is still fully covered.
      const pieces = id === undefined ? Array.from(part) : [part];
      for (const p of pieces) {
        const n = Array.from(p).length;
        out.push({
          id: this.vocab.get(p) as number,
          piece: p,
          start: charStart[byteIndex],
          end: charEnd[byteIndex + n - 1],
        });
        byteIndex += n;
      }
    }
  }
}

interface PairEntry {
  rank: number;
  left: number;
  leftText: string;
  rightText: string;
}

/** Binary min-heap ordered by (rank, left position). */
class PairHeap {
  private readonly items: PairEntry[] = [];

  push(rank: number, left: number, leftText: string, rightText: string): void {
    const items = this.items;
    items.push({ rank, left, leftText, rightText });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!PairHeap.less(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): PairEntry | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop() as PairEntry;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && PairHeap.less(items[l], items[smallest])) smallest = l;
        if (r < items.length && PairHeap.less(items[r], items[smallest])) smallest = r;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest], items[i]];
        i = smallest;
      }
    }
    return top;
  }

  private static less(a: PairEntry, b: PairEntry): boolean {
    return a.rank < b.rank || (a.rank === b.rank && a.left < b.left);
  }
}
