/**
 * The standalone page: the same webview bundle with a recorded message stream embedded, so it works from
 * file:// with nothing else (the CLI's --html and the panel's "Export HTML").
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROTOCOL_VERSION, encodeHead, type HostToWebview, type Slot } from '../protocol/messages';
import { serializeMessages } from '../protocol/serialize';
import { makeNonce, renderStandaloneHtml } from '../panel/panelHtml';
import { headWeights, type AnalysisResult } from '../pipeline/analyze';
import { vectorsMessage } from '../panel/analysisStreamer';

/** Above this many tokens the exact q/k/v floats are left out of the page (they grow as n², see README). */
export const MAX_TOKENS_WITH_VECTORS = 160;

export interface StandaloneOptions {
  /** Folder holding webview.js and webview.css (the build output). */
  distDir: string;
  sourceLabel?: string;
  strings?: Record<string, string>;
  lang?: string;
}

/** The host→webview messages that show `results` (slot 0, and slot 1 in compare mode). */
export function recordMessages(results: readonly AnalysisResult[], sourceLabel: string, strings: Record<string, string> = {}): HostToWebview[] {
  const messages: HostToWebview[] = [
    {
      type: 'init',
      protocolVersion: PROTOCOL_VERSION,
      models: results.map((r) => r.model),
      host: 'standalone',
      strings,
    },
  ];
  results.forEach((r, i) => {
    const slot = i as Slot;
    const generation = i + 1;
    messages.push({
      type: 'analysisStart',
      generation,
      slot,
      model: r.model,
      mask: r.mask,
      whatIf: r.whatIf,
      text: r.text,
      documentOffset: 0,
      sourceLabel,
      tokens: r.tokens,
      window: { index: 0, count: 1 },
      inferenceMs: r.inferenceMs,
    });
    for (let layer = 0; layer < r.model.layers; layer++) {
      for (let head = 0; head < r.model.heads; head++) {
        const { layout, data } = encodeHead(headWeights(r, layer, head), r.n, r.mask);
        messages.push({ type: 'headData', generation, slot, layer, head, layout, data: data.buffer as ArrayBuffer });
      }
    }
    messages.push({ type: 'analysisComplete', generation, slot });
    if (r.n <= MAX_TOKENS_WITH_VECTORS) {
      for (let layer = 0; layer < r.model.layers; layer++) {
        for (let head = 0; head < r.model.heads; head++) messages.push(vectorsMessage(r, generation, slot, layer, head));
      }
    }
  });
  return messages;
}

export async function buildStandaloneHtml(results: readonly AnalysisResult[], options: StandaloneOptions): Promise<string> {
  if (results.length === 0) throw new Error('Nothing to export: no analysis.');
  const [scriptText, styleText] = await Promise.all([
    readFile(path.join(options.distDir, 'webview.js'), 'utf8'),
    readFile(path.join(options.distDir, 'webview.css'), 'utf8'),
  ]);
  const label = options.sourceLabel ?? 'text';
  return renderStandaloneHtml({
    nonce: makeNonce(),
    scriptText,
    styleText,
    messagesJson: serializeMessages(recordMessages(results, label, options.strings)),
    lang: options.lang ?? 'en',
    title: `Attention Lens — ${label}`,
  });
}

/** The JSON export: tokens with offsets, model, mask and every weight as nested arrays [layer][head][query][key]. */
export function analysisToJson(r: AnalysisResult): object {
  const { layers, heads } = r.model;
  const attention: number[][][][] = [];
  for (let l = 0; l < layers; l++) {
    const perHead: number[][][] = [];
    for (let h = 0; h < heads; h++) {
      const w = headWeights(r, l, h);
      const rows: number[][] = [];
      for (let q = 0; q < r.n; q++) rows.push(Array.from(w.subarray(q * r.n, (q + 1) * r.n)));
      perHead.push(rows);
    }
    attention.push(perHead);
  }
  return {
    model: r.model.id,
    kind: r.model.kind,
    mask: r.mask,
    whatIf: r.whatIf,
    layers,
    heads,
    tokens: r.tokens,
    attention,
  };
}
