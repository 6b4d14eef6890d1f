/**
 * The text of a token id, for lists of predictions and for generated text, from the tokenizer's `tokenBytes`
 * (either tokenizer: the bundled byte-level BPE or a Hugging Face folder's). A byte-level token may hold only part
 * of a character's UTF-8 bytes; on its own it shows as U+FFFD, and a sequence of tokens is decoded with a
 * streaming decoder so such pieces join into their character.
 *
 * WordPiece vocabularies mark the *inside* of a word ("##ing") instead of its start, and `tokenBytes` drops the
 * "##": on their own "the" and "ing" would read alike. So in a WordPiece vocabulary a piece that starts a word gets
 * a leading space (" the"), as byte-level ("Ġthe") and SentencePiece ("▁the") pieces already have, and a "##"
 * piece reads as the bare continuation ("ing").
 */
import type { TextTokenizer } from '../hfTokenizer/textTokenizer';
import type { SpecialTokens } from './specialTokens';

const CONTINUATION = '##';
const decodeAlone = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Whether pieces mark continuations with "##" that `tokenBytes` removes (WordPiece), worked out once per tokenizer. */
const wordPieceCache = new WeakMap<TextTokenizer, boolean>();
function marksContinuations(tokenizer: TextTokenizer): boolean {
  let known = wordPieceCache.get(tokenizer);
  if (known === undefined) {
    known = false;
    for (let id = 0; id < tokenizer.vocabSize && !known; id++) {
      const piece = tokenizer.pieceOf(id);
      if (piece !== undefined && piece.length > CONTINUATION.length && piece.startsWith(CONTINUATION)) {
        known = decodeAlone(tokenizer.tokenBytes(id)) === piece.slice(CONTINUATION.length);
      }
    }
    wordPieceCache.set(tokenizer, known);
  }
  return known;
}

/** The bytes a token reads as in a list or a generated text (see the file comment for WordPiece). */
export function displayBytes(tokenizer: TextTokenizer, special: SpecialTokens, id: number): Uint8Array {
  const bytes = tokenizer.tokenBytes(id);
  if (special.added.has(id) || !marksContinuations(tokenizer)) return bytes;
  const piece = tokenizer.pieceOf(id);
  if (piece === undefined || piece.startsWith(CONTINUATION)) return bytes;
  const spaced = new Uint8Array(bytes.length + 1);
  spaced[0] = 0x20;
  spaced.set(bytes, 1);
  return spaced;
}

/** One token's text on its own (a partial character becomes U+FFFD). */
export function tokenText(tokenizer: TextTokenizer, special: SpecialTokens, id: number): string {
  return decodeAlone(displayBytes(tokenizer, special, id));
}

/**
 * Decodes tokens one at a time into text that joins up exactly: each call returns the characters completed by
 * that token (possibly '' while a character is still partial).
 */
export class TokenTextStream {
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly special: SpecialTokens,
  ) {}

  push(id: number): string {
    return this.decoder.decode(displayBytes(this.tokenizer, this.special, id), { stream: true });
  }

  /** Whatever a final partial character leaves (U+FFFD), at the end of a generation. */
  end(): string {
    return this.decoder.decode();
  }
}
