/**
 * The prompt and its generated tokens as one token list over one text, so the whole sequence can be analysed
 * like any selection (its attention, with the generated tokens' rows, available as soon as a token exists).
 */
import type { Token } from '../tokenizer/byteLevelBpe';
import type { GeneratedToken } from './generate';

export interface Continuation {
  /** The prompt's text followed by the generated text. */
  text: string;
  /** The prompt's tokens, then one per generated token with its range in `text`. */
  tokens: Token[];
  /** Index of the first generated token (= the prompt's token count). */
  firstGenerated: number;
}

/**
 * The prompt tokens a generation continues: a text's tokens without the special tokens a tokenizer adds after it
 * ([SEP], </s>), so the generated tokens follow the last word, not an end marker. Special tokens at the start
 * (<s>, [CLS]) stay: the model was trained to read them there, and they count as prompt, never as generated.
 */
export function promptForGeneration<T extends Token & { special?: boolean }>(tokens: readonly T[]): T[] {
  let end = tokens.length;
  while (end > 0 && tokens[end - 1].special) end--;
  return tokens.slice(0, end);
}

/**
 * Appends generated tokens after `promptText`. A token that completes no character yet (part of a character's
 * bytes) gets an empty range at the end; the token that completes the character carries it.
 */
export function continuation(promptText: string, promptTokens: readonly Token[], generated: readonly GeneratedToken[]): Continuation {
  let text = promptText;
  const tokens = promptTokens.slice();
  for (const g of generated) {
    tokens.push({ id: g.id, piece: '', start: text.length, end: text.length + g.text.length });
    text += g.text;
  }
  return { text, tokens, firstGenerated: promptTokens.length };
}
