/**
 * The standalone page's JSON export, made from the analysis the page embeds, by the one exporter of
 * src/common/attentionJson.ts (also the CLI's `--json` and the panel's "Export JSON"). Weights are the exact
 * float32 attention of the embedded vectors (texts of at most MAX_TOKENS_WITH_VECTORS tokens: then the document is
 * the CLI's `--json` for the same text and options), else the uint8 heads dequantised (within 1/510).
 * Owns no state.
 */
import { attentionJson, type AttentionJson } from '../src/common/attentionJson';
import { decodeHead, type AnalysisStartMessage, type HostToWebview } from '../src/protocol/messages';
import { dequantize } from './attentionMath';

/** The JSON of one recorded analysis: its analysisStart and the messages recorded with it. */
export function recordedAnalysisJson(start: AnalysisStartMessage, stream: readonly HostToWebview[]): AttentionJson {
  const n = start.tokens.length;
  const weights = (layer: number, head: number): Float32Array => {
    for (const m of stream) {
      if (m.type === 'headVectors' && m.layer === layer && m.head === head) return new Float32Array(m.attention);
    }
    for (const m of stream) {
      if (m.type === 'headData' && m.layer === layer && m.head === head) {
        return dequantize(decodeHead(m.data, n, m.layout) ?? new Uint8Array(n * n));
      }
    }
    return new Float32Array(n * n);
  };
  return attentionJson({
    model: start.model,
    mask: start.mask,
    whatIf: start.whatIf,
    tokens: start.tokens,
    weights,
    window: { index: start.window.index, count: start.window.count, offset: start.documentOffset },
  });
}
