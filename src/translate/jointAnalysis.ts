/**
 * A translation as the AnalysisResult every view already draws (the layout of src/common/translation.ts): one
 * joint token list, source then decoder tokens (n = S + T), and the three attentions stacked as 3 × L layers of
 * n×n heads — encoder self [0, L), decoder self [L, 2L), cross [2L, 3L) — each set's weights in its block and
 * exact zeros elsewhere. q/k/v are [3L, H, n, d], filled on the rows where the set has them: the encoder's on the
 * source rows; the decoder's on the target rows; cross-attention's queries on the target rows (from the decoder's
 * stream) and its keys and values on the source rows (from the encoder's output). So softmax(q·kᵀ/√d + setBias)
 * over the set's block reproduces every head.
 */
import { ATTENTION_SETS } from '../common/translation';
import { MASKED_BIAS } from '../common/mask';
import { toModelInfo } from '../model/modelManifest';
import type { AttentionSetId } from '../protocol/messages';
import type { AnalysisResult } from '../pipeline/analyze';
import type { TranslationResult } from './translationResult';
import type { AttentionTensors } from './translationTypes';

export function toJointAnalysis(r: TranslationResult): AnalysisResult {
  const { manifest, outputs } = r;
  const S = r.source.ids.length;
  const T = r.target.ids.length;
  const n = S + T;
  const { layers: L, heads: H, headDim: d } = manifest;
  const attentions = new Float32Array(3 * L * H * n * n);
  const queries = new Float32Array(3 * L * H * n * d);
  const keys = new Float32Array(3 * L * H * n * d);
  const values = new Float32Array(3 * L * H * n * d);
  const rowsOf = { source: { first: 0, count: S }, target: { first: S, count: T } };
  // Per set: where its queries and keys sit in the joint list, and its tensors.
  const sets: Record<AttentionSetId, { q: typeof rowsOf.source; k: typeof rowsOf.source; t: AttentionTensors }> = {
    encoder: { q: rowsOf.source, k: rowsOf.source, t: outputs.encoder },
    decoder: { q: rowsOf.target, k: rowsOf.target, t: outputs.decoder },
    cross: { q: rowsOf.target, k: rowsOf.source, t: outputs.cross },
  };
  ATTENTION_SETS.forEach((set, s) => {
    const { q, k, t } = sets[set];
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        const head = (l * H + h);
        const joint = ((s * L + l) * H + h);
        // Weights: the set's [q.count × k.count] block at (q.first, k.first).
        for (let i = 0; i < q.count; i++) {
          const from = (head * q.count + i) * k.count;
          attentions.set(t.attentions.subarray(from, from + k.count), (joint * n + q.first + i) * n + k.first);
        }
        // Vectors by rows: queries where the set's queries are, keys and values where its keys are.
        queries.set(t.queries.subarray(head * q.count * d, (head + 1) * q.count * d), (joint * n + q.first) * d);
        keys.set(t.keys.subarray(head * k.count * d, (head + 1) * k.count * d), (joint * n + k.first) * d);
        values.set(t.values.subarray(head * k.count * d, (head + 1) * k.count * d), (joint * n + k.first) * d);
      }
    }
  });
  const setBiases = jointSetBiases(r, S, T);
  const crossIndex = ATTENTION_SETS.indexOf('cross');
  return {
    model: toModelInfo(manifest),
    manifest,
    mask: 'full',
    whatIf: false,
    text: r.text,
    tokens: [...r.source.tokens, ...r.target.tokens],
    ids: [...r.source.ids, ...r.target.ids],
    n,
    // The cross set's: the attention a translation is about (each set's own is in setBiases).
    bias: setBiases.slice(crossIndex * n * n, (crossIndex + 1) * n * n),
    attentions,
    queries,
    keys,
    values,
    inferenceMs: r.timing.inferenceMs,
    translation: {
      to: r.to,
      sourceCount: S,
      targetText: r.target.text,
      forced: r.forced,
      partial: r.partial,
      ...(r.stop ? { stop: r.stop } : {}),
    },
    setBiases,
  };
}

/** [3, n, n]: each set's own bias inside its block, MASKED_BIAS everywhere else. */
function jointSetBiases(r: TranslationResult, S: number, T: number): Float32Array {
  const n = S + T;
  const out = new Float32Array(3 * n * n).fill(MASKED_BIAS);
  const blocks: Record<AttentionSetId, { bias: Float32Array; q0: number; rows: number; k0: number; cols: number }> = {
    encoder: { bias: r.biases.encoder, q0: 0, rows: S, k0: 0, cols: S },
    decoder: { bias: r.biases.decoder, q0: S, rows: T, k0: S, cols: T },
    cross: { bias: r.biases.cross, q0: S, rows: T, k0: 0, cols: S },
  };
  ATTENTION_SETS.forEach((set, s) => {
    const b = blocks[set];
    for (let i = 0; i < b.rows; i++) out.set(b.bias.subarray(i * b.cols, (i + 1) * b.cols), s * n * n + (b.q0 + i) * n + b.k0);
  });
  return out;
}
