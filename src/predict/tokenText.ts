/**
 * The text of a token id, for lists of predictions and for generated text. A byte-level BPE token may hold only
 * part of a character's UTF-8 bytes; on its own it shows as U+FFFD, and a sequence of tokens is decoded with a
 * streaming decoder so such pieces join into their character.
 */
import { pieceToBytes, type ByteLevelBpeTokenizer } from '../tokenizer/byteLevelBpe';
import type { SpecialTokens } from './specialTokens';

/** The bytes a token stands for; an added token (`<mask>`, `<pad>`) as its content's UTF-8. */
export function tokenBytes(tokenizer: ByteLevelBpeTokenizer, special: SpecialTokens, id: number): Uint8Array {
  const piece = tokenizer.pieceOf(id);
  if (piece !== undefined) return pieceToBytes(piece);
  return new TextEncoder().encode(special.added.get(id) ?? `<${id}>`);
}

/** One token's text on its own (a partial character becomes U+FFFD). */
export function tokenText(tokenizer: ByteLevelBpeTokenizer, special: SpecialTokens, id: number): string {
  return new TextDecoder().decode(tokenBytes(tokenizer, special, id));
}

/**
 * Decodes tokens one at a time into text that joins up exactly: each call returns the characters completed by
 * that token (possibly '' while a character is still partial).
 */
export class TokenTextStream {
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly tokenizer: ByteLevelBpeTokenizer,
    private readonly special: SpecialTokens,
  ) {}

  push(id: number): string {
    return this.decoder.decode(tokenBytes(this.tokenizer, this.special, id), { stream: true });
  }

  /** Whatever a final partial character leaves (U+FFFD), at the end of a generation. */
  end(): string {
    return this.decoder.decode();
  }
}
