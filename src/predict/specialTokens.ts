/**
 * The tokenizer's special tokens, read from tokenizer.json's `added_tokens`: the mask token the encoder was
 * trained to fill, and a stop token (end of text) if the tokenizer has one. The tokenizer class itself never
 * matches them in user text (the text is analysed as plain text), so they are looked up here by their content.
 */
import { readFile } from 'node:fs/promises';
import type { SpecialTokenIds } from '../hfTokenizer/textTokenizer';
import type { ModelManifest } from '../model/modelManifest';

export interface SpecialTokens {
  /** id → content, of every added token (none of them is ever produced from user text). */
  added: Map<number, string>;
  /** The mask token (`<mask>`, `[MASK]`), if any. */
  maskId?: number;
  /** The end-of-text token that stops a generation, if any (the bundled tokenizer has none). */
  stopId?: number;
  /**
   * Tokens a tokenizer adds around the text ([CLS], [SEP], <s>, </s>, padding): a position holding one is no word
   * of the text, so no filler is asked for there. Empty for the bundled tokenizer (it adds none).
   */
  structural?: ReadonlySet<number>;
}

/**
 * The special tokens of a model whose tokenizer says its roles (a Hugging Face folder's: tokenizer_config.json and
 * special_tokens_map.json resolved by the tokenizer): the mask and stop tokens by role first, then by name.
 */
export function withRoles(fromFile: SpecialTokens, roles: SpecialTokenIds): SpecialTokens {
  const structural = new Set<number>();
  for (const id of [roles.bos, roles.eos, roles.cls, roles.sep, roles.pad]) if (id !== undefined) structural.add(id);
  return { added: fromFile.added, maskId: roles.mask ?? fromFile.maskId, stopId: roles.eos ?? fromFile.stopId, structural };
}

const MASK_NAMES = ['<mask>', '[MASK]', '<|mask|>'];
const STOP_NAMES = ['<|endoftext|>', '</s>', '<eos>', '[SEP]', '<|eot_id|>'];

/** Finds the special tokens in tokenizer.json's text (`file` names it in errors). */
export function parseSpecialTokens(text: string, file: string): SpecialTokens {
  let json: { added_tokens?: unknown };
  try {
    json = JSON.parse(text) as { added_tokens?: unknown };
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const added = new Map<number, string>();
  if (Array.isArray(json.added_tokens)) {
    for (const t of json.added_tokens as Array<{ id?: unknown; content?: unknown }>) {
      if (Number.isInteger(t?.id) && typeof t.content === 'string') added.set(t.id as number, t.content);
    }
  }
  const find = (names: string[]): number | undefined => {
    for (const name of names) for (const [id, content] of added) if (content === name) return id;
    return undefined;
  };
  return { added, maskId: find(MASK_NAMES), stopId: find(STOP_NAMES) };
}

const cache = new Map<string, Promise<SpecialTokens>>();

/** The special tokens of a model's tokenizer, read once per file. */
export function specialTokensOf(manifest: ModelManifest): Promise<SpecialTokens> {
  let p = cache.get(manifest.tokenizerPath);
  if (!p) {
    p = readFile(manifest.tokenizerPath, 'utf8').then((text) => parseSpecialTokens(text, manifest.tokenizerPath));
    cache.set(manifest.tokenizerPath, p);
    p.catch(() => cache.delete(manifest.tokenizerPath));
  }
  return p;
}

/** A clear error for a model whose tokenizer has no mask token (its fillers cannot be asked for). */
export class NoMaskTokenError extends Error {
  constructor(manifest: ModelManifest) {
    super(
      `Model "${manifest.id}" has no mask token: ${manifest.tokenizerPath} lists no <mask> (or [MASK]) in added_tokens, so the encoder cannot be asked what fits at a position.`,
    );
    this.name = 'NoMaskTokenError';
  }
}

/** A clear reply for a position that holds a token the tokenizer added ([CLS], [SEP], <s>): nothing to fill there. */
export class SpecialPositionError extends Error {
  constructor(position: number, content: string) {
    super(`Token ${position} is ${content}, a special token the tokenizer adds around the text: it stands for no word, so there is nothing to fill in there.`);
    this.name = 'SpecialPositionError';
  }
}

/** A clear reply for a model whose graph has no `logits` output (an export without its language-model head). */
export class NoLogitsError extends Error {
  constructor(manifest: ModelManifest) {
    super(
      `Predictions are not available for model "${manifest.id}": ${manifest.modelPath} has no "logits" output (it was exported without its language-model head).`,
    );
    this.name = 'NoLogitsError';
  }
}
