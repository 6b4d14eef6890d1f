/**
 * The CLI's `translate --json` document (issue 11): the model, the direction, source and target tokens with their
 * UTF-16 ranges (source: in the file's text; target: in `target.text`), and every weight of the three attentions
 * as [layer][head][query][key] — encoder S×S, decoder T×T, cross T×S (row i of decoder and cross: the step whose
 * input is target token i and which wrote token i + 1). Weights are the float32 values as the --json of
 * `analyze` writes them (no further rounding).
 */
import type { TokenInfo } from '../protocol/messages';
import type { TranslationResult, TranslationStop } from './translationResult';

export interface TranslationJson {
  model: string;
  /** `en-zh` (English → Chinese) or `zh-en`. */
  direction: 'en-zh' | 'zh-en';
  /** The text's tokens, then the end token (special, start = end = the text's length). */
  source: { tokens: TokenInfo[] };
  /** The translation; its tokens begin with the decoder's start tag (special, start = end = 0). */
  target: { text: string; tokens: TokenInfo[] };
  attention: { encoder: number[][][][]; decoder: number[][][][]; cross: number[][][][] };
  /** The target was given (--target), not written by the model. */
  forced: boolean;
  /** Why decoding stopped: the end token, the length limit, or (forced) the given text ended. */
  stop: TranslationStop | undefined;
}

function tokensJson(tokens: readonly TokenInfo[]): TokenInfo[] {
  return tokens.map((t) => ({ text: t.text, start: t.start, end: t.end, ...(t.special ? { special: true } : {}) }));
}

/** [L, H, rows, cols] float32 → nested arrays. */
function nested(data: Float32Array, layers: number, heads: number, rows: number, cols: number): number[][][][] {
  const out: number[][][][] = [];
  for (let l = 0; l < layers; l++) {
    const perHead: number[][][] = [];
    for (let h = 0; h < heads; h++) {
      const base = (l * heads + h) * rows * cols;
      const m: number[][] = [];
      for (let i = 0; i < rows; i++) m.push(Array.from(data.subarray(base + i * cols, base + (i + 1) * cols)));
      perHead.push(m);
    }
    out.push(perHead);
  }
  return out;
}

export function translationJson(r: TranslationResult): TranslationJson {
  const { layers: L, heads: H } = r.manifest;
  const S = r.source.ids.length;
  const T = r.target.ids.length;
  return {
    model: r.manifest.id,
    direction: r.to === 'zh' ? 'en-zh' : 'zh-en',
    source: { tokens: tokensJson(r.source.tokens) },
    target: { text: r.target.text, tokens: tokensJson(r.target.tokens) },
    attention: {
      encoder: nested(r.outputs.encoder.attentions, L, H, S, S),
      decoder: nested(r.outputs.decoder.attentions, L, H, T, T),
      cross: nested(r.outputs.cross.attentions, L, H, T, S),
    },
    forced: r.forced,
    stop: r.stop,
  };
}
