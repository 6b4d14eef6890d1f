/**
 * The analyses the host sent, per slot, and the webview's requests for more of them.
 *
 * Owns, per slot (0 = the view; 1 = the right side in compare mode): the generation shown, its `analysisStart`
 * (model, mask, text, tokens), the received uint8 head buffers, the exact vectors, what was requested, the error;
 * and the head requests still waiting to go out, with the heads the views on screen wait for.
 * Only host messages change a slot. A message of any generation but the slot's current one is dropped, so a stale
 * result is never painted. Numbers computed from the heads (matrices, statistics) live in derivedData.ts.
 */
import { headAt, headIndex } from '../src/common/heads';
import {
  decodeHead,
  type AnalysisCompleteMessage,
  type AnalysisErrorMessage,
  type AnalysisStartMessage,
  type FormulaDataMessage,
  type HeadDataMessage,
  type HeadVectorsMessage,
  type Slot,
  type WebviewToHost,
} from '../src/protocol/messages';
import type { FormulaPayload } from '../src/common/formula';
import type { HeadVectors } from './views/viewContext';

export interface SlotData {
  generation: number;
  start: AnalysisStartMessage | null;
  heads: Array<Uint8Array | undefined>;
  vectors: Map<number, HeadVectors>;
  requestedHeads: Set<number>;
  requestedVectors: Set<number>;
  /** Formula steps by `layer.token` (computation view), and what was asked for. */
  formulas: Map<string, FormulaPayload>;
  requestedFormulas: Set<string>;
  received: number;
  complete: boolean;
  error: string | null;
}

/** A slot showing an analysis (its `start` is known). */
type ShownSlot = SlotData & { start: AnalysisStartMessage };

function emptySlot(generation = 0): SlotData {
  return {
    generation,
    start: null,
    heads: [],
    vectors: new Map(),
    requestedHeads: new Set(),
    requestedVectors: new Set(),
    formulas: new Map(),
    requestedFormulas: new Set(),
    received: 0,
    complete: false,
    error: null,
  };
}

/** How long a head request waits before it goes out (see `requestHeads`). */
const REQUEST_DELAY_MS = 120;

export class AnalysisStore {
  private readonly slots: [SlotData, SlotData] = [emptySlot(), emptySlot()];
  private readonly pendingHeads: [Set<number>, Set<number>] = [new Set(), new Set()];
  private requestTimer: ReturnType<typeof setTimeout> | null = null;
  /** Heads (flat index, src/common/heads.ts) the views on screen wait for, per slot: their arrival re-renders. */
  private waitingFor: [Set<number>, Set<number>] = [new Set(), new Set()];

  constructor(
    private readonly post: (message: WebviewToHost) => void,
    private readonly log: (level: 'info' | 'error', message: string) => void,
  ) {}

  slot(index: Slot): SlotData {
    return this.slots[index];
  }

  /** Both slots show an analysis: compare mode. */
  compareMode(): boolean {
    return this.slots[0].start !== null && this.slots[1].start !== null;
  }

  /** The slot `message` is about, when the message belongs to the analysis it shows now; else null (stale). */
  private current(message: { slot: Slot; generation: number }): ShownSlot | null {
    const slot = this.slots[message.slot];
    if (!slot || message.generation !== slot.generation || !slot.start) return null;
    return slot as ShownSlot;
  }

  /** A new analysis replaces the slot's. False when it is older than what the slot shows (it finished late). */
  begin(m: AnalysisStartMessage): boolean {
    const slot = this.slots[m.slot];
    if (!slot || m.generation < slot.generation) return false;
    const fresh = emptySlot(m.generation);
    fresh.start = m;
    fresh.heads = new Array<Uint8Array | undefined>(m.model.layers * m.model.heads);
    this.slots[m.slot] = fresh;
    this.pendingHeads[m.slot].clear();
    if (m.slot === 0) {
      // Compare mode is one text under two models. Leaving it is told by `slotClosed`; within it, a new text
      // runs in both slots at once, and a right-hand analysis of other text is stale (its new run is on its way):
      // it goes, so the two panes never pair two texts.
      const right = this.slots[1].start;
      if (right && right.text !== m.text) this.slots[1] = emptySlot(this.slots[1].generation);
    }
    return true;
  }

  /** The host stopped showing this slot: forget it, so no stale pane stays. */
  close(slot: Slot): void {
    if (slot === 0 || slot === 1) this.slots[slot] = emptySlot(this.slots[slot].generation);
  }

  /** An analysis failed. False when the failure is older than what the slot shows. */
  fail(m: AnalysisErrorMessage): boolean {
    const slot = this.slots[m.slot];
    if (!slot || m.generation < slot.generation) return false;
    // A newer analysis failed: what is on screen belongs to older text, so it must go.
    if (m.generation > slot.generation) this.slots[m.slot] = emptySlot(m.generation);
    this.slots[m.slot].error = m.message;
    return true;
  }

  /** Keeps one head's bytes; returns its index, or null when the message is stale or does not fit (logged). */
  addHead(m: HeadDataMessage): number | null {
    const slot = this.current(m);
    if (!slot) return null;
    const n = slot.start.tokens.length;
    const idx = this.headIndex(slot, m.layer, m.head);
    const bytes = idx < 0 ? null : decodeHead(m.data, n, m.layout);
    if (!bytes) {
      this.log('error', `headData ${m.layer}.${m.head}: ${m.data.byteLength} bytes (${m.layout}) for ${n} tokens`);
      return null;
    }
    if (!slot.heads[idx]) slot.received++;
    slot.heads[idx] = bytes;
    return idx;
  }

  /** Every head has been sent. False when stale. */
  complete(m: AnalysisCompleteMessage): boolean {
    const slot = this.current(m);
    if (!slot) return false;
    slot.complete = true;
    return true;
  }

  /** Keeps one head's exact vectors. False when stale or not a head of this model. */
  addVectors(m: HeadVectorsMessage): boolean {
    const slot = this.current(m);
    if (!slot) return false;
    const idx = this.headIndex(slot, m.layer, m.head);
    if (idx < 0) return false;
    slot.vectors.set(idx, {
      queries: new Float32Array(m.queries),
      keys: new Float32Array(m.keys),
      values: new Float32Array(m.values),
      attention: new Float32Array(m.attention),
      bias: new Float32Array(m.bias),
    });
    return true;
  }

  /** Keeps the formula steps of one layer and token. False when stale. */
  addFormula(m: FormulaDataMessage): boolean {
    const slot = this.current(m);
    if (!slot) return false;
    slot.formulas.set(`${m.layer}.${m.token}`, m.formula);
    return true;
  }

  /** The flat index of a head of the slot's model, or −1 when there is no such head. */
  headIndex(slot: SlotData, layer: number, head: number): number {
    const model = slot.start?.model;
    if (!model || layer < 0 || head < 0 || layer >= model.layers || head >= model.heads) return -1;
    return headIndex(layer, head, model.heads);
  }

  /** The views are rendered anew: what they wait for is recorded again as they ask. */
  clearWaiting(): void {
    this.waitingFor = [new Set(), new Set()];
  }

  isWaitingFor(slot: Slot, index: number): boolean {
    return this.waitingFor[slot].has(index);
  }

  /**
   * Ask the host for heads a view needs. The host streams every head anyway (the visible one first), so requests
   * wait a moment and only those still missing then go out: no duplicate traffic while the stream is flowing.
   */
  requestHeads(slotIndex: Slot, indices: number[]): void {
    const slot = this.slots[slotIndex];
    if (!slot.start) return;
    for (const i of indices) {
      if (slot.heads[i]) continue;
      this.waitingFor[slotIndex].add(i);
      if (!slot.requestedHeads.has(i)) this.pendingHeads[slotIndex].add(i);
    }
    if (this.requestTimer || (this.pendingHeads[0].size === 0 && this.pendingHeads[1].size === 0)) return;
    this.requestTimer = setTimeout(() => {
      this.requestTimer = null;
      for (const index of [0, 1] as const) {
        const s = this.slots[index];
        const model = s.start?.model;
        const missing = [...this.pendingHeads[index]].filter((i) => !s.heads[i] && !s.requestedHeads.has(i));
        this.pendingHeads[index].clear();
        if (!model || missing.length === 0) continue;
        for (const i of missing) s.requestedHeads.add(i);
        this.post({
          type: 'requestHeads',
          generation: s.generation,
          slot: index,
          heads: missing.map((i) => headAt(i, model.heads)),
        });
      }
    }, REQUEST_DELAY_MS);
  }

  /** One head's exact vectors; null while they are on their way (asked for once). */
  vectors(slotIndex: Slot, layer: number, head: number): HeadVectors | null {
    const s = this.slots[slotIndex];
    const idx = this.headIndex(s, layer, head);
    if (idx < 0) return null;
    const v = s.vectors.get(idx);
    if (v) return v;
    if (!s.requestedVectors.has(idx)) {
      s.requestedVectors.add(idx);
      this.post({ type: 'requestVectors', generation: s.generation, slot: slotIndex, layer, head });
    }
    return null;
  }

  /** The formula steps of one layer for one query token; null while on their way (asked for once). */
  formula(slotIndex: Slot, layer: number, token: number): FormulaPayload | null {
    const s = this.slots[slotIndex];
    if (!s.start || layer < 0 || layer >= s.start.model.layers || token < 0 || token >= s.start.tokens.length) return null;
    const key = `${layer}.${token}`;
    const f = s.formulas.get(key);
    if (f) return f;
    if (!s.requestedFormulas.has(key)) {
      s.requestedFormulas.add(key);
      this.post({ type: 'requestFormula', generation: s.generation, slot: slotIndex, layer, token });
    }
    return null;
  }
}
