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
import type { Slot } from '../src/protocol/messages';
import type { AnalysisStore, SlotData } from './analysisStore';
import { dequantize, groupWords, maxOf, meanOf, mergeToWords, rollout, type AttentionMatrix, type Unit } from './attentionMath';
import { computeHeadStats, type HeadStats } from './headStats';
import type { UiState } from './views/viewContext';

interface Caches {
  floats: Map<number, Float32Array>;
  matrices: Map<string, AttentionMatrix>;
  stats: Array<HeadStats | null>;
  words: Unit[] | null;
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
      c = { floats: new Map(), matrices: new Map(), stats: new Array<HeadStats | null>(total).fill(null), words: null };
      this.caches.set(slot, c);
    }
    return c;
  }

  /** A head (re)arrived: what was computed from it is out of date. */
  headArrived(slotIndex: Slot, idx: number): void {
    const c = this.cachesOf(this.store.slot(slotIndex));
    c.floats.delete(idx);
    c.matrices.clear();
    c.stats[idx] = null;
  }

  words(slotIndex: Slot): Unit[] {
    const s = this.store.slot(slotIndex);
    if (!s.start) return [];
    const c = this.cachesOf(s);
    c.words ??= groupWords(s.start.tokens, s.start.text);
    return c.words;
  }

  units(slotIndex: Slot): Unit[] {
    const s = this.store.slot(slotIndex);
    if (!s.start) return [];
    if (this.state.wordLevel) return this.words(slotIndex);
    return s.start.tokens.map((tok, i) => ({ text: tok.text, start: tok.start, end: tok.end, tokens: [i] }));
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
    return { n: s.start.tokens.length, data, masked: maskPredicate(s.start.mask), labels: s.start.tokens.map((x) => x.text) };
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
    const needed: number[] = [];
    if (aggregate === 'head') needed.push(headIndex(layer, head, H));
    else if (aggregate === 'rollout') for (let i = 0; i < headIndex(layer + 1, 0, H); i++) needed.push(i);
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
      for (let l = 0; l <= layer; l++) layerMeans.push(meanOf(all.slice(headIndex(l, 0, H), headIndex(l + 1, 0, H))));
      data = rollout(layerMeans, n, layer);
    }
    let m: AttentionMatrix = { n, data, masked: maskPredicate(start.mask), labels: start.tokens.map((x) => x.text) };
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
      stats[i] = computeHeadStats(layer, head, f, texts.length, maskPredicate(start.mask), texts);
    }
    return stats;
  }
}
