/**
 * The JSON export of one analysis, one function for every exporter: the CLI's `--json`, the panel's "Export JSON"
 * (host) and the standalone page's (webview). Same analysis in, same document out.
 */
import type { MaskKind, ModelInfo, ModelKind, TokenInfo } from '../protocol/messages';

/** Which window of a long text an analysis is, and where that window starts in the whole text (UTF-16). */
export interface JsonWindow {
  index: number;
  count: number;
  offset: number;
}

export interface AttentionJson {
  model: string;
  kind: ModelKind;
  mask: MaskKind;
  /** The mask is not the one the model was trained with. */
  whatIf: boolean;
  layers: number;
  heads: number;
  /** Token text and UTF-16 range; with a window, the range is in the whole text (the window's offset added). */
  tokens: TokenInfo[];
  /** Every weight, [layer][head][query][key]. */
  attention: number[][][][];
  window?: JsonWindow;
}

export interface AttentionJsonInput {
  model: ModelInfo;
  mask: MaskKind;
  whatIf: boolean;
  /** Tokens with ranges in the analysed text (the window's text for a long one). */
  tokens: readonly TokenInfo[];
  /** One head's n×n weights, row-major, row = query. */
  weights(layer: number, head: number): ArrayLike<number>;
  window?: JsonWindow;
}

export function attentionJson(input: AttentionJsonInput): AttentionJson {
  const { model, tokens } = input;
  const n = tokens.length;
  const attention: number[][][][] = [];
  for (let l = 0; l < model.layers; l++) {
    const perHead: number[][][] = [];
    for (let h = 0; h < model.heads; h++) {
      const w = input.weights(l, h);
      const rows: number[][] = [];
      for (let q = 0; q < n; q++) {
        const row = new Array<number>(n);
        for (let k = 0; k < n; k++) row[k] = w[q * n + k];
        rows.push(row);
      }
      perHead.push(rows);
    }
    attention.push(perHead);
  }
  const offset = input.window?.offset ?? 0;
  const json: AttentionJson = {
    model: model.id,
    kind: model.kind,
    mask: input.mask,
    whatIf: input.whatIf,
    layers: model.layers,
    heads: model.heads,
    tokens: tokens.map((t) => ({ text: t.text, start: t.start + offset, end: t.end + offset, ...(t.special ? { special: true } : {}) })),
    attention,
  };
  if (input.window) json.window = { index: input.window.index, count: input.window.count, offset };
  return json;
}

/** The text of an export: one line of compact JSON (megabytes for long texts: no indentation). */
export function attentionJsonText(json: unknown): string {
  return `${JSON.stringify(json)}\n`;
}
