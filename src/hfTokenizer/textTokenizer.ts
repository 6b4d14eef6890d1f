/**
 * The one small interface both tokenizers offer (the bundled byte-level BPE and a Hugging Face folder's
 * tokenizer), so the pipeline, predictions and CLI can take either.
 */
import type { Token } from '../tokenizer/byteLevelBpe';

/** A token with its exact UTF-16 range in the text. */
export interface TextToken extends Token {
  /**
   * True for a token the tokenizer adds as the model expects ([CLS], [SEP], <s>, </s>) that stands for no text:
   * its range is empty (start = end) at the place it is added.
   */
  special?: boolean;
}

/** Special tokens by role, as ids (absent when the tokenizer has none for that role). */
export interface SpecialTokenIds {
  bos?: number;
  eos?: number;
  cls?: number;
  sep?: number;
  mask?: number;
  pad?: number;
  unk?: number;
}

export interface EncodeOptions {
  /** Add the special tokens the model expects ([CLS] … [SEP], <s> …); default true. */
  addSpecialTokens?: boolean;
  /** Stop with TooManyTokensError once more tokens than this are produced. */
  limit?: number;
  /** Checked between slices of work; when it returns true the encoding stops with CancelledError. */
  isCancelled?: () => boolean;
}

export interface TextTokenizer {
  /** The largest id over the vocabulary and the added tokens, plus one. */
  readonly vocabSize: number;
  /** Special tokens by role. */
  readonly special: SpecialTokenIds;
  /** The vocabulary string of an id (byte alphabet, "▁", "##" and all), or undefined. */
  pieceOf(id: number): string | undefined;
  /** The id of a vocabulary string or added token, or undefined. */
  idOf(piece: string): number | undefined;
  /** The bytes of text a token stands for on its own (an added token: its content), for lists and generation. */
  tokenBytes(id: number): Uint8Array;
  /** Tokenizes in one call (for short texts; long texts should use encodeAsync). */
  encode(text: string, options?: Pick<EncodeOptions, 'addSpecialTokens'>): TextToken[];
  /** Tokenizes in slices, yielding to the event loop between them (each slice ~10 ms). */
  encodeAsync(text: string, options?: EncodeOptions): Promise<TextToken[]>;
}
