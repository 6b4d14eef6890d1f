/**
 * The bundled models' byte-level BPE tokenizer behind the TextTokenizer interface, so callers can take either it
 * or a Hugging Face folder's HfTokenizer. The bundled contract adds no special tokens to the text.
 */
import { tokenizeInSlices } from '../pipeline/windows';
import type { SpecialTokens } from '../predict/specialTokens';
import { pieceToBytes, type ByteLevelBpeTokenizer } from '../tokenizer/byteLevelBpe';
import type { EncodeOptions, SpecialTokenIds, TextToken, TextTokenizer } from './textTokenizer';

export class BundledTextTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly special: SpecialTokenIds;
  private byPiece?: Map<string, number>;

  constructor(
    private readonly bpe: ByteLevelBpeTokenizer,
    private readonly specials: SpecialTokens,
  ) {
    this.vocabSize = bpe.vocabSize;
    let pad: number | undefined;
    for (const [id, content] of specials.added) if (content === '<pad>') pad = id;
    this.special = { mask: specials.maskId, eos: specials.stopId, pad };
  }

  pieceOf(id: number): string | undefined {
    return this.bpe.pieceOf(id) ?? this.specials.added.get(id);
  }

  idOf(piece: string): number | undefined {
    if (!this.byPiece) {
      // Built on first use: the tokenizer keeps its vocabulary private, so it is read back id by id.
      const m = new Map<string, number>();
      for (let id = 0; id < this.vocabSize; id++) {
        const p = this.bpe.pieceOf(id);
        if (p !== undefined) m.set(p, id);
      }
      for (const [id, content] of this.specials.added) m.set(content, id);
      this.byPiece = m;
    }
    return this.byPiece.get(piece);
  }

  tokenBytes(id: number): Uint8Array {
    const piece = this.bpe.pieceOf(id);
    if (piece !== undefined) return pieceToBytes(piece);
    return new TextEncoder().encode(this.specials.added.get(id) ?? `<${id}>`);
  }

  encode(text: string): TextToken[] {
    return this.bpe.encode(text);
  }

  encodeAsync(text: string, options: EncodeOptions = {}): Promise<TextToken[]> {
    return tokenizeInSlices(this.bpe, text, options.limit ?? Infinity, options.isCancelled);
  }
}
