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
/**
 * Characters tokenized per step; steps repeat until TOKENIZE_SLICE_MS has passed, then the event loop gets a
 * turn. A fixed 16,384-character slice took 20–31 ms on these machines (bench longText.blocking: uncached text,
 * a busy core), so the slice is bounded by time and the character step only keeps the clock checks cheap.
 */
export const TOKENIZE_STEP_CHARS = 2_048;
/** Work per event-loop turn while tokenizing: well under a frame, and under the 30 ms blocking target. */
export const TOKENIZE_SLICE_MS = 8;

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

/** How tokenizeInSlices divides its work; the defaults are the constants above (tests shrink them). */
export interface SliceOptions {
  stepChars?: number;
  sliceMs?: number;
  /** Called after each slice with the number of slices so far (the bench counts them). */
  onSlice?: (slices: number) => void;
}

/**
 * Tokenizes in time-bounded slices, yielding between them so the extension host stays responsive, stops as soon
 * as `limit` tokens are exceeded, and gives up when `isCancelled` says a newer request came.
 */
export async function tokenizeInSlices(
  tokenizer: ByteLevelBpeTokenizer,
  text: string,
  limit: number,
  isCancelled: () => boolean = () => false,
  options: SliceOptions = {},
): Promise<Token[]> {
  const stepChars = options.stepChars ?? TOKENIZE_STEP_CHARS;
  const sliceMs = options.sliceMs ?? TOKENIZE_SLICE_MS;
  const tokens: Token[] = [];
  let at = 0;
  let slices = 0;
  while (at < text.length) {
    const sliceStart = performance.now();
    do {
      at = tokenizer.encodeRange(text, at, at + stepChars, tokens);
      if (tokens.length > limit) throw new TooManyTokensError(limit, at, text.length);
    } while (at < text.length && performance.now() - sliceStart < sliceMs);
    options.onSlice?.(++slices);
    if (at < text.length) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (isCancelled()) throw new CancelledError();
    }
  }
  return tokens;
}
