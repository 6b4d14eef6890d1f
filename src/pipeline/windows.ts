/**
 * Long selections: tokenize without blocking, then analyse in overlapping windows of at most `max_positions`
 * tokens. Windows reuse the tokens of the whole text (no re-tokenization), so offsets stay exact.
 *
 * Window layout: size = max_positions, overlap = WINDOW_OVERLAP tokens (each window repeats the last 64
 * tokens of the previous one, so a token near a border still sees some left context); the last window is
 * pulled back so that it is full when the text allows.
 */
import type { Token } from '../tokenizer/byteLevelBpe';
import type { ByteLevelBpeTokenizer } from '../tokenizer/byteLevelBpe';

export const WINDOW_OVERLAP = 64;
/** Characters tokenized per slice before yielding to the event loop (~10 ms of work on these machines). */
export const TOKENIZE_SLICE_CHARS = 16_384;

export interface TokenWindow {
  index: number;
  /** Token index range [start, end) in the whole text's tokens. */
  start: number;
  end: number;
}

export function planWindows(tokenCount: number, size: number, overlap = WINDOW_OVERLAP): TokenWindow[] {
  if (tokenCount <= size) return [{ index: 0, start: 0, end: tokenCount }];
  const step = Math.max(1, size - Math.min(overlap, size - 1));
  const windows: TokenWindow[] = [];
  for (let start = 0; ; start += step) {
    const end = Math.min(start + size, tokenCount);
    windows.push({ index: windows.length, start: Math.max(0, end - size), end });
    if (end === tokenCount) break;
  }
  return windows;
}

/** The text and tokens of one window, offsets re-based to the window's own text. */
export function windowSlice(text: string, tokens: readonly Token[], w: TokenWindow): { text: string; offset: number; tokens: Token[] } {
  const offset = tokens[w.start].start;
  const end = tokens[w.end - 1].end;
  return {
    text: text.slice(offset, end),
    offset,
    tokens: tokens.slice(w.start, w.end).map((t) => ({ ...t, start: t.start - offset, end: t.end - offset })),
  };
}

export class TooManyTokensError extends Error {
  constructor(
    readonly limit: number,
    readonly charsRead: number,
    readonly totalChars: number,
  ) {
    super(
      `The selection has more than ${limit} tokens (the limit is reached after ${charsRead} of ${totalChars} characters). ` +
        'Select less text, or raise the setting attentionLens.maxTokens.',
    );
    this.name = 'TooManyTokensError';
  }
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/**
 * Tokenizes in slices, yielding between them so the extension host stays responsive (each slice is a few ms),
 * stops as soon as `limit` tokens are exceeded, and gives up when `isCancelled` says a newer request came.
 */
export async function tokenizeInSlices(
  tokenizer: ByteLevelBpeTokenizer,
  text: string,
  limit: number,
  isCancelled: () => boolean = () => false,
  sliceChars = TOKENIZE_SLICE_CHARS,
): Promise<Token[]> {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    at = tokenizer.encodeRange(text, at, at + sliceChars, tokens);
    if (tokens.length > limit) throw new TooManyTokensError(limit, at, text.length);
    if (at < text.length) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (isCancelled()) throw new CancelledError();
    }
  }
  return tokens;
}
