/**
 * The panel's side of a translation analysis (an encoder-decoder model; the layout is src/common/translation.ts):
 * one joint token list — the source, then the decoder's tokens with the start tag first — and the three attentions
 * stacked as layers [0, L) encoder self, [L, 2L) decoder self, [2L, 3L) cross.
 *
 * What the views show of the decoder's rows (decoder self and cross) follows ONE convention, the one the issue and
 * the editor overlay use: **a target token stands for the decoder step that wrote it** (`producingRow` of
 * src/common/translation.ts: target token j was written by row j − 1, whose input is token j − 1). So every view
 * reads the "producing" matrix below, in which the row of target token j is the model's row j − 1:
 * - hover (or focus) a target token: the tokens its writing step attended to (cross: source tokens; decoder self:
 *   the target tokens already there, the start tag included);
 * - hover a source token under cross: its column, i.e. the target tokens whose writing looked at it;
 * - decoder self, "Attended by": the target tokens whose writing looked at the hovered one;
 * - the start tag was given, not written: its row is empty (masked); the model's last row (the step whose input is
 *   the last target token, which wrote the end token or the next token still to come) has no token in the list, so
 *   these views do not draw it.
 * Statistics and the computation view read the model's own rows (the computation view names the step it shows:
 * "reads X, writes Y"; with only the start tag written it shows that first step).
 */
import type { AttentionSetId, AnalysisStartMessage, ModelInfo } from '../src/protocol/messages';
import { ATTENTION_SETS, producingRow, setLayers, setOfLayer, type TokenRange } from '../src/common/translation';
import type { AttentionMatrix } from './attentionMath';
import { t, type StringKey } from './strings';
import type { Direction } from './viewTypes';

export { ATTENTION_SETS };

/** The model's own layer count per attention (model.layers is three times it). */
export function layersPerSet(model: ModelInfo): number {
  return Math.max(1, model.setLayers ?? Math.floor(model.layers / 3));
}

/** Whether an analysis is a translation (three stacked attentions over one joint token list). */
export function isTranslation(start: AnalysisStartMessage | null | undefined): start is AnalysisStartMessage & { translation: NonNullable<AnalysisStartMessage['translation']> } {
  return !!start?.translation;
}

/** The set a stacked layer of a translation belongs to; null for any other analysis. */
export function setOfStacked(start: AnalysisStartMessage | null | undefined, layer: number): AttentionSetId | null {
  if (!isTranslation(start)) return null;
  return setOfLayer(layer, layersPerSet(start.model)).set;
}

/** The stacked layer of layer `within` (0-based) of `set`. */
export function stackedLayer(set: AttentionSetId, within: number, model: ModelInfo): number {
  const L = layersPerSet(model);
  return setLayers(set, L).start + Math.min(Math.max(0, within), L - 1);
}

/** The layer within its set (0-based) of a stacked layer. */
export function layerWithinSet(layer: number, model: ModelInfo): number {
  return setOfLayer(layer, layersPerSet(model)).layer;
}

/** Whether the decoder's rows are shown as "the step that wrote this token" (decoder self and cross). */
export function usesProducingRows(set: AttentionSetId | null): boolean {
  return set === 'decoder' || set === 'cross';
}

/**
 * The producing view of a token-level matrix of the decoder or cross set: row j of a target token is the model's
 * row j − 1 (producingRow); the start tag's row is masked; source rows are the model's (masked in these sets).
 * `data` is the shifted copy (the caller caches it per head).
 */
export function producingMatrix(m: AttentionMatrix, sourceCount: number, shifted: Float32Array): AttentionMatrix {
  const n = m.n;
  const rowOf = (q: number): number | null => (q < sourceCount ? q : producingRow(q, sourceCount));
  return {
    n,
    data: shifted,
    masked: (q, k) => {
      const r = rowOf(q);
      return r === null || m.masked(r, k);
    },
    labels: m.labels,
  };
}

/** The shifted data of `producingMatrix`: row j ← row j − 1 for target tokens after the start tag, zeros for the start tag. */
export function shiftRows(data: Float32Array, n: number, sourceCount: number): Float32Array {
  const out = new Float32Array(n * n);
  out.set(data.subarray(0, sourceCount * n), 0);
  for (let q = sourceCount + 1; q < n; q++) out.set(data.subarray((q - 1) * n, q * n), q * n);
  return out;
}

/** Rows (queries) and columns (keys) of a set in units, the source's `sourceUnits` units first. */
export function unitBlock(set: AttentionSetId, sourceUnits: number, units: number): { rows: TokenRange; cols: TokenRange } {
  const source = { start: 0, end: sourceUnits };
  const target = { start: sourceUnits, end: units };
  if (set === 'encoder') return { rows: source, cols: source };
  if (set === 'decoder') return { rows: target, cols: target };
  return { rows: target, cols: source };
}

/**
 * Which way a hovered unit's weights are read. Cross-attention has its queries (target) and keys (source) on two
 * sides, so the side decides: a target token shows what its writing looked at ('to'), a source token who looked at
 * it ('from'). The other sets follow the person's choice.
 */
export function effectiveDirection(set: AttentionSetId | null, chosen: Direction, unitIsSource: boolean): Direction {
  if (set !== 'cross') return chosen;
  return unitIsSource ? 'from' : 'to';
}

/** The stacked layers a view lists for this analysis: the shown set's for a translation, else every layer. */
export function shownLayers(start: AnalysisStartMessage, set: AttentionSetId | null): { start: number; end: number } {
  if (!set || !isTranslation(start)) return { start: 0, end: start.model.layers };
  return setLayers(set, layersPerSet(start.model));
}

/** A layer's name as the panel shows it: its number within its set for a translation (1-based). */
export function layerLabel(start: AnalysisStartMessage, layer: number): number {
  return (isTranslation(start) ? layerWithinSet(layer, start.model) : layer) + 1;
}

/** The one line a view shows under a translation's attention selector: what its tokens and hovering mean in `set`. */
export function setNote(set: AttentionSetId, lines: Record<AttentionSetId, StringKey>): HTMLElement {
  const how = document.createElement('p');
  how.className = 'note set-note';
  how.dataset.set = set;
  how.textContent = t(lines[set]);
  return how;
}
