/**
 * What a view may ask of the app. Views never talk to the host: they read matrices from here (which asks the
 * host for heads not yet received) and report focus and navigation back through it.
 */
import type { FormulaPayload } from '../../src/common/formula';
import type { TokenRange } from '../../src/common/translation';
import type { AnalysisStartMessage, AttentionSetId, Slot } from '../../src/protocol/messages';
import type { AttentionMatrix, Unit } from '../attentionMath';
import type { HeadStats, StatKey } from '../headStats';
import type { Aggregate, Direction, ViewId } from '../viewTypes';

export interface UiState {
  layer: number;
  head: number;
  aggregate: Aggregate;
  wordLevel: boolean;
  direction: Direction;
  scale: boolean;
  view: ViewId;
  /** Token-level index (so it means the same at word level and survives the toggle). */
  focusedToken: number | null;
  /** Extra heads overlaid in the head view, besides the current one. */
  headSet: number[];
  /** Head view and text view draw every head of the layer at once, each in its own colour (views/allHeads.ts). */
  allHeads: boolean;
  sortBy: StatKey | 'position';
  sortDescending: boolean;
  /** Where a click in the grid/statistics sends the person. */
  lastDetailView: ViewId;
  /**
   * A translation's attention on screen (webview/translation.ts): `layer` then lies in this set's stacked layers.
   * Kept across analyses (and for other models, which ignore it).
   */
  attentionSet: AttentionSetId;
}

/** Exact float32 numbers of one head (computation view). */
export interface HeadVectors {
  queries: Float32Array;
  keys: Float32Array;
  values: Float32Array;
  attention: Float32Array;
  bias: Float32Array;
}

export interface ViewContext {
  readonly state: Readonly<UiState>;
  analysis(slot: Slot): AnalysisStartMessage | null;
  units(slot: Slot): Unit[];
  /** The matrix for the current layer/head/aggregate/word level; null while heads are still arriving. */
  matrix(slot: Slot): AttentionMatrix | null;
  /** One head at token level; null while it is arriving (it is requested). */
  headMatrix(slot: Slot, layer: number, head: number): AttentionMatrix | null;
  /** Statistics of every head received so far (null entries for heads still arriving). */
  allStats(slot: Slot): Array<HeadStats | null>;
  vectors(slot: Slot, layer: number, head: number): HeadVectors | null;
  /** The formula steps of a layer for one query token (all heads); null while they are on their way. */
  formula(slot: Slot, layer: number, token: number): FormulaPayload | null;
  /** Focused unit index at the current level, or null. */
  focusUnit(): number | null;
  setFocus(unit: number | null): void;
  /** Focus a token by its token-level index (whatever the word-level toggle says). */
  focusToken(token: number): void;
  openHead(layer: number, head: number): void;
  openComputation(unit: number): void;
  setHeadSet(heads: number[]): void;
  /** Turn "every head of the layer at once" on or off (remembered in the UI state). */
  setAllHeads(on: boolean): void;
  setSort(key: StatKey | 'position', descending: boolean): void;
  /** A translation: the set of the layer shown in this slot; null for any other analysis. */
  attentionSet(slot: Slot): AttentionSetId | null;
  /** A translation: how many units (tokens, or words at word level) are the source's; the rest are the target's. */
  sourceUnits(slot: Slot): number;
  /** A translation: the units of the shown set's queries (rows) and keys (columns); null for the whole matrix. */
  block(slot: Slot): { rows: TokenRange; cols: TokenRange } | null;
  /** How the weights of `unit` are read: the person's direction, or under cross-attention the unit's side. */
  directionFor(slot: Slot, unit: number): Direction;
  /** Colour intensity in [0,1] for a weight, honouring "scale to the largest weight". */
  intensity(weight: number, max: number): number;
}

export interface ViewHandle {
  /** Focus moved: update highlights only (no full re-render). */
  updateFocus(): void;
  /** The view as a standalone SVG document, for export. */
  toSvg(): string;
  /** A canvas holding the view (for a sharp PNG), when the view draws on one. */
  toCanvas?(): HTMLCanvasElement | null;
}

export type ViewRenderer = (host: HTMLElement, ctx: ViewContext, slot: Slot) => ViewHandle;
