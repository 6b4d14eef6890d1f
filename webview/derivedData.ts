/**
 * Numbers computed from the received heads when a view asks for them, kept until they change.
 *
 * Owns, per analysis: the dequantised heads, the matrices shown (per aggregate, layer, head and word level), the
 * head statistics and the word grouping. The caches hang off the store's slot record, so a new analysis (a new
 * record) starts with none; a head arriving drops what was computed from it (`headArrived`). Heads not yet
 * received are requested through the store, and the caller gets null until they are here.
 */
import { headAt, headIndex } from '../src/common/heads';
import { maskPredicate } from '../src/common/mask';
import { setBlock, setMaskPredicate, setOfLayer } from '../src/common/translation';
import type { AnalysisStartMessage, AttentionSetId, Slot } from '../src/protocol/messages';
import type { AnalysisStore, SlotData } from './analysisStore';
import { dequantize, groupWords, maxOf, meanOf, mergeToWords, rollout, type AttentionMatrix, type Unit } from './attentionMath';
import { computeHeadStats, type HeadStats } from './headStats';
import { isTranslation, layersPerSet, producingMatrix, shiftRows, unitBlock, usesProducingRows } from './translation';
import type { UiState } from './views/viewContext';

interface Caches {
  floats: Map<number, Float32Array>;
  /** A translation's decoder/cross heads in the producing view (translation.ts), by flat head index. */
  shifted: Map<number, Float32Array>;
  matrices: Map<string, AttentionMatrix>;
  stats: Array<HeadStats | null>;
  words: Unit[] | null;
  /** One unit per token: asked for per token by the views (directionFor), so built once, not per call. */
  tokens: Unit[] | null;
}

export class DerivedData {
  private readonly caches = new WeakMap<SlotData, Caches>();

  constructor(
    private readonly store: AnalysisStore,
    private readonly state: Readonly<UiState>,
  ) {}

  private cachesOf(slot: SlotData): Caches {
    let c = this.caches.get(slot);
    if (!c) {
      const model = slot.start?.model;
      const total = model ? model.layers * model.heads : 0;
      c = { floats: new Map(), shifted: new Map(), matrices: new Map(), stats: new Array<HeadStats | null>(total).fill(null), words: null, tokens: null };
      this.caches.set(slot, c);
    }
    return c;
  }

  /** A head (re)arrived: what was computed from it is out of date. */
  headArrived(slotIndex: Slot, idx: number): void {
    const c = this.cachesOf(this.store.slot(slotIndex));
    c.floats.delete(idx);
    c.shifted.delete(idx);
    c.matrices.clear();
    c.stats[idx] = null;
  }

  words(slotIndex: Slot): Unit[] {
    const s = this.store.slot(slotIndex);
    if (!s.start) return [];
    const c = this.cachesOf(s);
    c.words ??= wordsOf(s.start);
    return c.words;
  }

  /** A translation: the set of the layer this slot shows (compare mode may clamp it); null for other analyses. */
  attentionSet(slotIndex: Slot): AttentionSetId | null {
    const start = this.store.slot(slotIndex).start;
    if (!isTranslation(start)) return null;
    return setOfLayer(Math.min(this.state.layer, start.model.layers - 1), layersPerSet(start.model)).set;
  }

  /** A translation: the number of source units (tokens, or words at word level); the whole list otherwise. */
  sourceUnits(slotIndex: Slot): number {
    const start = this.store.slot(slotIndex).start;
    const units = this.units(slotIndex);
    if (!isTranslation(start)) return units.length;
    const S = start.translation.sourceCount;
    let count = 0;
    while (count < units.length && units[count].tokens[0] < S) count++;
    return count;
  }

  /** A translation: the units of the shown set's rows and columns; null for other analyses (the whole matrix). */
  block(slotIndex: Slot): { rows: { start: number; end: number }; cols: { start: number; end: number } } | null {
    const set = this.attentionSet(slotIndex);
    if (!set) return null;
    return unitBlock(set, this.sourceUnits(slotIndex), this.units(slotIndex).length);
  }

  /** Which cells of a stacked layer are hidden: the analysis's mask, or for a translation the set's block. */
  private maskOf(start: AnalysisStartMessage, layer: number): (q: number, k: number) => boolean {
    if (!isTranslation(start)) return maskPredicate(start.mask);
    const set = setOfLayer(layer, layersPerSet(start.model)).set;
    return setMaskPredicate(set, start.translation.sourceCount, start.tokens.length);
  }

  /** A token-level matrix of `layer` as the views show it: a translation's decoder and cross rows in the producing view. */
  private shown(start: AnalysisStartMessage, layer: number, data: Float32Array, shifted: () => Float32Array): AttentionMatrix {
    const m: AttentionMatrix = { n: start.tokens.length, data, masked: this.maskOf(start, layer), labels: start.tokens.map((x) => x.text) };
    if (!isTranslation(start) || !usesProducingRows(setOfLayer(layer, layersPerSet(start.model)).set)) return m;
    return producingMatrix(m, start.translation.sourceCount, shifted());
  }

  units(slotIndex: Slot): Unit[] {
    const s = this.store.slot(slotIndex);
    if (!s.start) return [];
    if (this.state.wordLevel) return this.words(slotIndex);
    const c = this.cachesOf(s);
    c.tokens ??= s.start.tokens.map((tok, i) => ({ text: tok.text, start: tok.start, end: tok.end, tokens: [i] }));
    return c.tokens;
  }

  private headFloat(slotIndex: Slot, idx: number): Float32Array | null {
    const s = this.store.slot(slotIndex);
    const bytes = s.heads[idx];
    if (!bytes) return null;
    const c = this.cachesOf(s);
    let f = c.floats.get(idx);
    if (!f) {
      f = dequantize(bytes);
      c.floats.set(idx, f);
    }
    return f;
  }

  headMatrix(slotIndex: Slot, layer: number, head: number): AttentionMatrix | null {
    const s = this.store.slot(slotIndex);
    if (!s.start) return null;
    const idx = this.store.headIndex(s, layer, head);
    if (idx < 0) return null;
    const data = this.headFloat(slotIndex, idx);
    if (!data) {
      this.store.requestHeads(slotIndex, [idx]);
      return null;
    }
    const start = s.start;
    const c = this.cachesOf(s);
    return this.shown(start, layer, data, () => {
      let shifted = c.shifted.get(idx);
      if (!shifted) c.shifted.set(idx, (shifted = shiftRows(data, start.tokens.length, start.translation?.sourceCount ?? 0)));
      return shifted;
    });
  }

  /** The matrix for the current layer/head/aggregate/word level; null while heads are still arriving. */
  matrix(slotIndex: Slot): AttentionMatrix | null {
    const s = this.store.slot(slotIndex);
    const start = s.start;
    if (!start) return null;
    const { aggregate, wordLevel } = this.state;
    // Compare mode may pair models of different sizes: each side shows the nearest layer/head it has.
    const layer = Math.min(this.state.layer, start.model.layers - 1);
    const head = Math.min(this.state.head, start.model.heads - 1);
    const key = `${aggregate}:${layer}:${aggregate === 'head' ? head : '*'}:${wordLevel}`;
    const c = this.cachesOf(s);
    const cached = c.matrices.get(key);
    if (cached) return cached;
    const H = start.model.heads;
    // Rollout runs over the layers of one stack: a translation's encoder or decoder (never cross-attention, whose
    // queries and keys are different tokens: uiState keeps it off there), from its first stacked layer.
    const firstLayer = isTranslation(start) ? layer - setOfLayer(layer, layersPerSet(start.model)).layer : 0;
    const needed: number[] = [];
    if (aggregate === 'head') needed.push(headIndex(layer, head, H));
    else if (aggregate === 'rollout') for (let i = headIndex(firstLayer, 0, H); i < headIndex(layer + 1, 0, H); i++) needed.push(i);
    else for (let h = 0; h < H; h++) needed.push(headIndex(layer, h, H));
    const floats = needed.map((i) => this.headFloat(slotIndex, i));
    if (floats.some((f) => f === null)) {
      this.store.requestHeads(slotIndex, needed);
      return null;
    }
    const all = floats as Float32Array[];
    const n = start.tokens.length;
    let data: Float32Array;
    if (aggregate === 'head') data = all[0];
    else if (aggregate === 'mean') data = meanOf(all);
    else if (aggregate === 'max') data = maxOf(all);
    else {
      const layerMeans: Float32Array[] = [];
      for (let l = 0; l <= layer - firstLayer; l++) layerMeans.push(meanOf(all.slice(headIndex(l, 0, H), headIndex(l + 1, 0, H))));
      data = rollout(layerMeans, n, layer - firstLayer);
    }
    let m = this.shown(start, layer, data, () => shiftRows(data, n, start.translation?.sourceCount ?? 0));
    if (wordLevel) m = mergeToWords(m, this.words(slotIndex));
    c.matrices.set(key, m);
    return m;
  }

  /** Statistics of every head received so far (null entries for heads still arriving, which are requested). */
  allStats(slotIndex: Slot): Array<HeadStats | null> {
    const s = this.store.slot(slotIndex);
    const start = s.start;
    if (!start) return [];
    const H = start.model.heads;
    const total = start.model.layers * H;
    const all: number[] = Array.from({ length: total }, (_, i) => i);
    this.store.requestHeads(slotIndex, all);
    const texts = start.tokens.map((x) => x.text);
    const stats = this.cachesOf(s).stats;
    for (let i = 0; i < total; i++) {
      if (stats[i]) continue;
      const f = this.headFloat(slotIndex, i);
      if (!f) continue;
      const { layer, head } = headAt(i, H);
      // A translation's head is measured on its set's block only (the model's own rows: query i, key j).
      const block = isTranslation(start)
        ? setBlock(setOfLayer(layer, layersPerSet(start.model)).set, start.translation.sourceCount, texts.length)
        : undefined;
      stats[i] = computeHeadStats(layer, head, f, texts.length, this.maskOf(start, layer), texts, block);
    }
    return stats;
  }
}

/** Words of an analysis; a translation's source and target are grouped apart, each in its own text. */
function wordsOf(start: AnalysisStartMessage): Unit[] {
  if (!isTranslation(start)) return groupWords(start.tokens, start.text);
  const S = start.translation.sourceCount;
  const source = groupWords(start.tokens.slice(0, S), start.text);
  const target = groupWords(start.tokens.slice(S), start.translation.targetText).map((w) => ({ ...w, tokens: w.tokens.map((i) => i + S) }));
  return [...source, ...target];
}
