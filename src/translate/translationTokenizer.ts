/**
 * The tokens of a translation: the source is the text's byte-level BPE tokens (the bundled tokenizer, exact UTF-16
 * ranges) followed by the end token; the decoder's inputs are the language tag (`<2zh>` / `<2en>`) followed by the
 * target's tokens. Going back from generated ids to text gives every target token its exact UTF-16 range in that
 * text (a byte piece of a character shares the character's range); added tokens (the tag, or one the model writes
 * mid-way) stand for no text: start = end, `special`, their name as text.
 */
import { readFile } from 'node:fs/promises';
import type { TargetLanguage } from '../common/translation';
import { ModelConfigError, TRANSLATION_ROLES, type ModelManifest, type TranslationRole } from '../model/modelManifest';
import type { TokenInfo } from '../protocol/messages';
import { pieceToBytes, type ByteLevelBpeTokenizer } from '../tokenizer/byteLevelBpe';
import { decodeUtf8WithRanges } from './utf8Ranges';

export interface EncodedSource {
  /** The text's tokens, then the end token (special, start = end = text length). */
  tokens: TokenInfo[];
  ids: number[];
}

export interface DecodedTarget {
  text: string;
  /** One per id, in order; ranges in `text`. */
  tokens: TokenInfo[];
}

export class TranslationTokenizer {
  /** id → name of the added tokens (never produced from text). */
  private readonly added: Map<number, string>;

  constructor(
    private readonly bpe: ByteLevelBpeTokenizer,
    readonly ids: Readonly<Record<TranslationRole, number>>,
    added: ReadonlyMap<number, string>,
  ) {
    this.added = new Map(added);
  }

  /** The decoder's first input: the tag naming the language to write. */
  startId(to: TargetLanguage): number {
    return to === 'zh' ? this.ids.to_zh : this.ids.to_en;
  }

  /** The source side: the text's tokens (UTF-16 ranges in `text`) and the end token. */
  encodeSource(text: string): EncodedSource {
    const tokens: TokenInfo[] = [];
    const ids: number[] = [];
    for (const t of this.bpe.encode(text)) {
      tokens.push({ text: text.slice(t.start, t.end), start: t.start, end: t.end });
      ids.push(t.id);
    }
    tokens.push({ text: this.nameOf(this.ids.eos), start: text.length, end: text.length, special: true });
    ids.push(this.ids.eos);
    return { tokens, ids };
  }

  /** A given translation's ids (teacher forcing), without tag or end token. */
  encodeTarget(text: string): number[] {
    return this.bpe.encode(text).map((t) => t.id);
  }

  /** Whether `id` is an added token (no bytes of text). */
  isSpecial(id: number): boolean {
    return this.added.has(id) || this.bpe.pieceOf(id) === undefined;
  }

  /** An added token's name (`<2zh>`), or `<id>` for an id the tokenizer does not know. */
  nameOf(id: number): string {
    return this.added.get(id) ?? `<${id}>`;
  }

  /**
   * The text the ids spell and each id's range in it: the bytes of every ordinary token, joined and decoded once
   * (so a character split over tokens comes out whole), each token spanning the characters its bytes fall in. An
   * added token stands for no text: its range is empty at the place it stands.
   */
  decodeTarget(ids: readonly number[]): DecodedTarget {
    const bytes: number[] = [];
    const spans: { from: number; to: number }[] = [];
    for (const id of ids) {
      const from = bytes.length;
      if (!this.isSpecial(id)) for (const b of pieceToBytes(this.bpe.pieceOf(id) as string)) bytes.push(b);
      spans.push({ from, to: bytes.length });
    }
    const { text, charStart, charEnd } = decodeUtf8WithRanges(bytes);
    const tokens = ids.map((id, i): TokenInfo => {
      const { from, to } = spans[i];
      if (from === to) {
        // Where it stands in the text: before the next byte, or at the end.
        const at = from < bytes.length ? charStart[from] : text.length;
        return { text: this.nameOf(id), start: at, end: at, special: true };
      }
      const start = charStart[from];
      const end = charEnd[to - 1];
      return { text: text.slice(start, end), start, end };
    });
    return { text, tokens };
  }
}

/**
 * The translation tokenizer of a model: its byte-level BPE plus the added tokens model.json names by role, each
 * checked against tokenizer.json (same name at the same id), so a mismatched pair of files is named, not guessed.
 */
export async function loadTranslationTokenizer(manifest: ModelManifest, bpe: ByteLevelBpeTokenizer): Promise<TranslationTokenizer> {
  const spec = manifest.translation;
  if (!spec) throw new Error(`Model "${manifest.id}" is not a translation model (kind "${manifest.kind}").`);
  const added = await readAddedTokens(manifest.tokenizerPath);
  for (const role of TRANSLATION_ROLES) {
    const name = spec.specialTokens[role];
    const id = spec.specialTokenIds[role];
    if (added.get(id) !== name) {
      const actual = [...added].find(([, content]) => content === name)?.[0];
      throw new ModelConfigError(
        manifest.tokenizerPath,
        'added_tokens',
        `must hold "${name}" at id ${id} (special_tokens.${role} / special_token_ids.${role} in model.json); ${actual === undefined ? 'it has no such token' : `it is id ${actual}`}`,
      );
    }
  }
  return new TranslationTokenizer(bpe, spec.specialTokenIds, added);
}

async function readAddedTokens(file: string): Promise<Map<number, string>> {
  let json: { added_tokens?: unknown };
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as { added_tokens?: unknown };
  } catch (e) {
    throw new ModelConfigError(file, '(file)', `cannot be read as JSON (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const added = new Map<number, string>();
  if (Array.isArray(json.added_tokens)) {
    for (const t of json.added_tokens as { id?: unknown; content?: unknown }[]) {
      if (Number.isInteger(t?.id) && typeof t.content === 'string') added.set(t.id as number, t.content);
    }
  }
  return added;
}
