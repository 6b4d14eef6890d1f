/**
 * The panel's state and the glue between host messages, controls and views.
 *
 * Ownership (who may change what):
 * - Analysis data (per slot: generation, model, mask, tokens, head buffers, vectors) comes only from the host.
 *   A message whose generation is not the slot's current one is dropped, so a stale result is never painted.
 * - UI/navigation state (layer, head, focus, view, toggles) belongs to the webview and is persisted with
 *   `setState` (PanelState) so the panel comes back as it was after a reload.
 * Views are re-rendered when their data or the UI state changes; focus changes only update highlights.
 */
import {
  PROTOCOL_VERSION,
  decodeHead,
  type AnalysisStartMessage,
  type ExportFormat,
  type HostToWebview,
  type MaskKind,
  type ModelInfo,
  type PanelState,
  type Slot,
  type WebviewToHost,
} from '../src/protocol/messages';
import {
  dequantize,
  groupWords,
  maskPredicate,
  maxOf,
  meanOf,
  mergeToWords,
  rollout,
  weightsFor,
  type AttentionMatrix,
  type WordInfo,
} from './attentionMath';
import { buildToolbar, createButton, registerToolkit, toolbarKey, updateToolbar, type ToolbarValues } from './controls';
import { exportView } from './exportView';
import { computeHeadStats, type HeadStats, type StatKey } from './headStats';
import type { HostBridge } from './hostBridge';
import { setStrings, t } from './strings';
import { onThemeChange, watchTheme } from './theme';
import { isViewId, type Aggregate, type Direction, type ViewId } from './viewTypes';
import { renderComputationView } from './views/computationView';
import { renderDiffView } from './views/diffView';
import { renderGridView } from './views/gridView';
import { renderHeadView } from './views/headView';
import { renderMatrixView } from './views/matrixView';
import { renderStatsView } from './views/statsView';
import { renderTextView } from './views/textView';
import type { HeadVectors, Unit, UiState, ViewContext, ViewHandle, ViewRenderer } from './views/viewContext';

interface SlotData {
  generation: number;
  start: AnalysisStartMessage | null;
  heads: Array<Uint8Array | undefined>;
  floats: Map<number, Float32Array>;
  matrices: Map<string, AttentionMatrix>;
  vectors: Map<number, HeadVectors>;
  requestedHeads: Set<number>;
  requestedVectors: Set<number>;
  received: number;
  complete: boolean;
  error: string | null;
  progress: string | null;
  words: WordInfo[] | null;
  stats: Array<HeadStats | null>;
}

function emptySlot(generation = 0): SlotData {
  return {
    generation,
    start: null,
    heads: [],
    floats: new Map(),
    matrices: new Map(),
    vectors: new Map(),
    requestedHeads: new Set(),
    requestedVectors: new Set(),
    received: 0,
    complete: false,
    error: null,
    progress: null,
    words: null,
    stats: [],
  };
}

const RENDERERS: Record<ViewId, ViewRenderer> = {
  text: renderTextView,
  head: renderHeadView,
  matrix: renderMatrixView,
  grid: renderGridView,
  computation: renderComputationView,
  stats: renderStatsView,
  diff: renderDiffView,
};

/** How long a new analysis waits for its first head before its tokens are rendered alone (see firstHeadTimer). */
const FIRST_HEAD_WAIT_MS = 250;

const DETAIL_VIEWS: ReadonlySet<ViewId> = new Set(['text', 'head', 'matrix', 'computation']);

const otherMask = (m: ModelInfo): MaskKind => (m.kind === 'causal' ? 'full' : 'causal');

export class App implements ViewContext {
  state: UiState = {
    layer: 0,
    head: 0,
    aggregate: 'head',
    wordLevel: false,
    direction: 'to',
    scale: true,
    view: 'text',
    focusedToken: null,
    headSet: [],
    sortBy: 'position',
    sortDescending: true,
    lastDetailView: 'text',
  };

  private readonly slots: [SlotData, SlotData] = [emptySlot(), emptySlot()];
  private models: ModelInfo[] = [];
  private initDone = false;
  private notice: string | null = null;
  private localProgress: string | null = null;
  private protocolWarning: string | null = null;
  private handles: ViewHandle[] = [];
  /** Heads (layer*H+head) the views on screen are waiting for, per slot: their arrival triggers a re-render. */
  private waitingFor: [Set<number>, Set<number>] = [new Set(), new Set()];
  private renderQueued = false;
  private statusQueued = false;
  /**
   * Per slot: a new analysis whose first head has not arrived yet. Its tokens alone are not rendered: at 512
   * tokens a render takes tens of ms, and the head (sent right behind the tokens) would wait in the message
   * queue for it and then cause a second full render. The head's arrival renders both; FIRST_HEAD_WAIT_MS caps
   * the wait, and the status line shows the new analysis at once.
   */
  private firstHeadTimer: [ReturnType<typeof setTimeout> | null, ReturnType<typeof setTimeout> | null] = [null, null];
  private persistTimer: ReturnType<typeof setTimeout> | null = null;
  private currentToolbarKey = '';

  private readonly toolbarEl = el('div', 'toolbar');
  private readonly statusEl = el('div', 'status');
  private readonly bannerEl = el('div', 'banner');
  private readonly mainEl = el('main', 'views');

  constructor(
    private readonly root: HTMLElement,
    private readonly bridge: HostBridge,
  ) {}

  start(): void {
    registerToolkit();
    watchTheme();
    onThemeChange(() => this.scheduleRender());
    this.restore(this.bridge.getState());
    this.statusEl.setAttribute('role', 'status');
    this.statusEl.setAttribute('aria-live', 'polite');
    this.bannerEl.setAttribute('role', 'alert');
    this.root.replaceChildren(this.toolbarEl, this.statusEl, this.bannerEl, this.mainEl);
    this.render();
    window.addEventListener('error', (e) => this.log('error', String(e.message)));
    this.bridge.start(
      (m) => this.onMessage(m),
      (notice) => {
        this.notice =
          notice.kind === 'standaloneModel' ? t('banner.standaloneModel') : t('banner.noVectors', notice.layer + 1, notice.head + 1);
        this.localProgress = null;
        this.render();
      },
    );
  }

  // ───────────────────────────── messages from the host ─────────────────────────────

  private onMessage(m: HostToWebview): void {
    try {
      this.handleMessage(m);
    } catch (err) {
      this.log('error', `webview failed on ${m.type}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.notice = String(err);
      this.render();
    }
  }

  private handleMessage(m: HostToWebview): void {
    if (m.type === 'init') {
      if (m.protocolVersion !== PROTOCOL_VERSION) {
        this.protocolWarning = t('banner.protocol', PROTOCOL_VERSION, m.protocolVersion);
      }
      setStrings(m.strings);
      this.models = m.models;
      document.body.dataset.host = m.host;
      this.initDone = true;
      this.currentToolbarKey = '';
      this.render();
      return;
    }
    if (m.type === 'focusFromEditor') {
      const s = this.slots[0];
      if (m.generation !== s.generation || !s.start || m.tokenIndex < 0 || m.tokenIndex >= s.start.tokens.length) return;
      this.applyFocusToken(m.tokenIndex);
      // The overlay draws what this panel shows (aggregate, direction, word level), so answer with the weights.
      this.sendFocus();
      return;
    }
    if (m.type === 'slotClosed') {
      // The host stopped showing this slot (compare mode left): forget it, so no stale pane stays.
      const closed = m.slot;
      if (closed === 0 || closed === 1) {
        this.slots[closed] = emptySlot(this.slots[closed].generation);
        this.clearFirstHeadWait(closed);
      }
      if (this.state.view === 'diff') this.state.view = 'text';
      this.render();
      return;
    }
    const slot = this.slots[m.slot];
    if (!slot) return;
    switch (m.type) {
      case 'analysisStart': {
        if (m.generation < slot.generation) return; // an older analysis finishing late
        const fresh = emptySlot(m.generation);
        fresh.start = m;
        fresh.heads = new Array<Uint8Array | undefined>(m.model.layers * m.model.heads);
        fresh.stats = new Array<HeadStats | null>(m.model.layers * m.model.heads).fill(null);
        this.slots[m.slot] = fresh;
        this.pendingHeads[m.slot].clear();
        if (m.slot === 0) {
          this.localProgress = null;
          this.notice = null;
          // Compare mode is one text under two models. The protocol has no "slot closed" message, so a right-hand
          // analysis of other text is stale by definition (compare mode was left, or its new run is on its way).
          const right = this.slots[1].start;
          if (right && right.text !== m.text) this.slots[1] = emptySlot(this.slots[1].generation);
        }
        this.clampState();
        this.persist();
        this.waitForFirstHead(m.slot);
        return;
      }
      case 'analysisError':
        if (m.generation < slot.generation) return;
        if (m.generation > slot.generation) {
          // A newer analysis failed: what is on screen belongs to older text, so it must go.
          this.slots[m.slot] = emptySlot(m.generation);
        }
        this.slots[m.slot].error = m.message;
        this.clearFirstHeadWait(m.slot);
        this.localProgress = null;
        if (m.detail) this.log('error', m.detail);
        this.render();
        return;
      case 'progress':
        if (m.generation < slot.generation) return;
        slot.progress = m.message;
        this.scheduleStatus();
        return;
    }
    if (m.generation !== slot.generation || !slot.start) return; // stale: never shown
    switch (m.type) {
      case 'headData': {
        const n = slot.start.tokens.length;
        const idx = this.headIndex(slot, m.layer, m.head);
        const bytes = idx < 0 ? null : decodeHead(m.data, n, m.layout);
        if (!bytes) {
          this.log('error', `headData ${m.layer}.${m.head}: ${m.data.byteLength} bytes (${m.layout}) for ${n} tokens`);
          return;
        }
        if (!slot.heads[idx]) slot.received++;
        slot.heads[idx] = bytes;
        slot.floats.delete(idx);
        slot.matrices.clear();
        slot.stats[idx] = null;
        if (this.firstHeadTimer[m.slot] !== null) {
          this.clearFirstHeadWait(m.slot);
          this.scheduleRender();
        } else if (this.waitingFor[m.slot].has(idx) || this.state.view === 'grid' || this.state.view === 'stats') {
          this.scheduleRender();
        } else {
          this.scheduleStatus();
        }
        return;
      }
      case 'analysisComplete':
        slot.complete = true;
        slot.progress = null;
        this.scheduleStatus();
        return;
      case 'headVectors': {
        const idx = this.headIndex(slot, m.layer, m.head);
        if (idx < 0) return;
        slot.vectors.set(idx, {
          queries: new Float32Array(m.queries),
          keys: new Float32Array(m.keys),
          values: new Float32Array(m.values),
          attention: new Float32Array(m.attention),
          bias: new Float32Array(m.bias),
        });
        if (this.state.view === 'computation') this.scheduleRender();
        return;
      }
    }
  }

  private headIndex(slot: SlotData, layer: number, head: number): number {
    const model = slot.start?.model;
    if (!model || layer < 0 || head < 0 || layer >= model.layers || head >= model.heads) return -1;
    return layer * model.heads + head;
  }

  // ───────────────────────────── posting to the host ─────────────────────────────

  private post(m: WebviewToHost): void {
    // Nothing but `ready` (sent by the bridge) before init has been handled.
    if (!this.initDone) return;
    this.bridge.post(m);
  }

  private log(level: 'info' | 'error', message: string): void {
    this.post({ type: 'log', level, message });
  }

  private pendingHeads: [Set<number>, Set<number>] = [new Set(), new Set()];
  private requestTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * Ask the host for heads a view needs. The host streams every head anyway (the visible one first), so requests
   * wait a moment and only those still missing then go out: no duplicate traffic while the stream is flowing.
   */
  private requestHeads(slotIndex: Slot, indices: number[]): void {
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
          heads: missing.map((i) => ({ layer: Math.floor(i / model.heads), head: i % model.heads })),
        });
      }
    }, 120);
  }

  // ───────────────────────────── ViewContext ─────────────────────────────

  analysis(slot: Slot): AnalysisStartMessage | null {
    return this.slots[slot].start;
  }

  private words(slot: Slot): WordInfo[] {
    const s = this.slots[slot];
    if (!s.start) return [];
    s.words ??= groupWords(s.start.tokens, s.start.text);
    return s.words;
  }

  units(slot: Slot): Unit[] {
    const s = this.slots[slot];
    if (!s.start) return [];
    if (this.state.wordLevel) return this.words(slot);
    return s.start.tokens.map((tok, i) => ({ text: tok.text, start: tok.start, end: tok.end, tokens: [i] }));
  }

  private headFloat(slotIndex: Slot, idx: number): Float32Array | null {
    const s = this.slots[slotIndex];
    const bytes = s.heads[idx];
    if (!bytes) return null;
    let f = s.floats.get(idx);
    if (!f) {
      f = dequantize(bytes);
      s.floats.set(idx, f);
    }
    return f;
  }

  headMatrix(slotIndex: Slot, layer: number, head: number): AttentionMatrix | null {
    const s = this.slots[slotIndex];
    if (!s.start) return null;
    const idx = this.headIndex(s, layer, head);
    if (idx < 0) return null;
    const data = this.headFloat(slotIndex, idx);
    if (!data) {
      this.requestHeads(slotIndex, [idx]);
      return null;
    }
    return { n: s.start.tokens.length, data, masked: maskPredicate(s.start.mask), labels: s.start.tokens.map((x) => x.text) };
  }

  matrix(slotIndex: Slot): AttentionMatrix | null {
    const s = this.slots[slotIndex];
    const start = s.start;
    if (!start) return null;
    const { aggregate, wordLevel } = this.state;
    // Compare mode may pair models of different sizes: each side shows the nearest layer/head it has.
    const layer = Math.min(this.state.layer, start.model.layers - 1);
    const head = Math.min(this.state.head, start.model.heads - 1);
    const key = `${aggregate}:${layer}:${aggregate === 'head' ? head : '*'}:${wordLevel}`;
    const cached = s.matrices.get(key);
    if (cached) return cached;
    const H = start.model.heads;
    const needed: number[] = [];
    if (aggregate === 'head') needed.push(layer * H + head);
    else if (aggregate === 'rollout') for (let i = 0; i < (layer + 1) * H; i++) needed.push(i);
    else for (let h = 0; h < H; h++) needed.push(layer * H + h);
    const floats = needed.map((i) => this.headFloat(slotIndex, i));
    if (floats.some((f) => f === null)) {
      this.requestHeads(slotIndex, needed);
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
      for (let l = 0; l <= layer; l++) layerMeans.push(meanOf(all.slice(l * H, (l + 1) * H)));
      data = rollout(layerMeans, n, layer);
    }
    let m: AttentionMatrix = { n, data, masked: maskPredicate(start.mask), labels: start.tokens.map((x) => x.text) };
    if (wordLevel) m = mergeToWords(m, this.words(slotIndex));
    s.matrices.set(key, m);
    return m;
  }

  allStats(slotIndex: Slot): Array<HeadStats | null> {
    const s = this.slots[slotIndex];
    const start = s.start;
    if (!start) return [];
    const H = start.model.heads;
    const total = start.model.layers * H;
    const all: number[] = Array.from({ length: total }, (_, i) => i);
    this.requestHeads(slotIndex, all);
    const texts = start.tokens.map((x) => x.text);
    for (let i = 0; i < total; i++) {
      if (s.stats[i]) continue;
      const f = this.headFloat(slotIndex, i);
      if (f) s.stats[i] = computeHeadStats(Math.floor(i / H), i % H, f, texts.length, maskPredicate(start.mask), texts);
    }
    return s.stats;
  }

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

  focusUnit(): number | null {
    const tok = this.state.focusedToken;
    if (tok === null || !this.slots[0].start) return null;
    if (!this.state.wordLevel) return tok;
    const words = this.words(0);
    const w = words.findIndex((x) => x.tokens.includes(tok));
    return w < 0 ? null : w;
  }

  setFocus(unit: number | null): void {
    let token: number | null = null;
    if (unit !== null) {
      const units = this.units(0);
      if (unit < 0 || unit >= units.length) return;
      token = units[unit].tokens[0];
    }
    if (token === this.state.focusedToken) return;
    this.applyFocusToken(token);
    this.sendFocusSoon();
  }

  private focusTimer: ReturnType<typeof setTimeout> | null = null;
  /** Hover sweeps across many tokens: tell the host (editor overlay) at most every 40 ms, always the last one. */
  private sendFocusSoon(): void {
    if (this.focusTimer) return;
    this.focusTimer = setTimeout(() => {
      this.focusTimer = null;
      this.sendFocus();
    }, 40);
  }

  focusToken(token: number): void {
    const n = this.slots[0].start?.tokens.length ?? 0;
    if (token < 0 || token >= n || token === this.state.focusedToken) return;
    this.applyFocusToken(token);
    this.sendFocusSoon();
  }

  private applyFocusToken(token: number | null): void {
    this.state.focusedToken = token;
    this.persist();
    for (const h of this.handles) h.updateFocus();
  }

  /** Tell the host what the editor overlay should draw: the weights exactly as the view shows them. */
  private sendFocus(): void {
    const s = this.slots[0];
    if (!s.start) return;
    const unit = this.focusUnit();
    const m = unit === null ? null : this.matrix(0);
    let weights: number[] | null = null;
    if (m && unit !== null) {
      const w = weightsFor(m, unit, this.state.direction);
      const units = this.units(0);
      weights = new Array<number>(s.start.tokens.length).fill(0);
      units.forEach((u, i) => {
        for (const tok of u.tokens) weights![tok] = m.masked(this.state.direction === 'to' ? unit : i, this.state.direction === 'to' ? i : unit) ? 0 : Number(w[i].toFixed(4));
      });
    }
    this.post({
      type: 'focusToken',
      generation: s.generation,
      slot: 0,
      tokenIndex: this.state.focusedToken,
      layer: this.state.layer,
      head: this.state.head,
      weights,
    });
  }

  openHead(layer: number, head: number): void {
    this.state.layer = layer;
    this.state.head = head;
    this.state.aggregate = 'head';
    this.state.view = this.state.lastDetailView;
    this.changed();
  }

  openComputation(unit: number): void {
    this.setFocus(unit);
    this.state.view = 'computation';
    this.state.lastDetailView = 'computation';
    this.changed();
  }

  setHeadSet(heads: number[]): void {
    this.state.headSet = heads;
    this.changed();
  }

  setSort(key: StatKey | 'position', descending: boolean): void {
    this.state.sortBy = key;
    this.state.sortDescending = descending;
    this.changed();
  }

  intensity(weight: number, max: number): number {
    if (!this.state.scale) return weight;
    return max > 0 ? weight / max : 0;
  }

  // ───────────────────────────── state ─────────────────────────────

  private changed(): void {
    this.persist();
    this.render();
    if (this.state.focusedToken !== null) this.sendFocus();
  }

  private clampState(): void {
    const m = this.slots[0].start?.model;
    if (!m) return;
    this.state.layer = Math.min(Math.max(0, this.state.layer), m.layers - 1);
    this.state.head = Math.min(Math.max(0, this.state.head), m.heads - 1);
    this.state.headSet = this.state.headSet.filter((h) => h >= 0 && h < m.heads);
    const n = this.slots[0].start?.tokens.length ?? 0;
    if (this.state.focusedToken !== null && this.state.focusedToken >= n) this.state.focusedToken = null;
    if (this.state.view === 'diff' && !this.compareMode()) this.state.view = 'text';
  }

  private restore(saved: PanelState | undefined): void {
    if (!saved) return;
    const s = this.state;
    const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : d);
    s.layer = num(saved.layer, 0);
    s.head = num(saved.head, 0);
    s.focusedToken = typeof saved.focusedToken === 'number' ? num(saved.focusedToken, 0) : null;
    if (isViewId(saved.view)) s.view = saved.view;
    const agg = saved['aggregate'];
    if (agg === 'head' || agg === 'mean' || agg === 'max' || agg === 'rollout') s.aggregate = agg;
    if (typeof saved['wordLevel'] === 'boolean') s.wordLevel = saved['wordLevel'];
    if (saved['direction'] === 'to' || saved['direction'] === 'from') s.direction = saved['direction'];
    if (typeof saved['scale'] === 'boolean') s.scale = saved['scale'];
    if (Array.isArray(saved['headSet'])) s.headSet = (saved['headSet'] as unknown[]).filter((x): x is number => typeof x === 'number');
    if (isViewId(saved['lastDetailView'])) s.lastDetailView = saved['lastDetailView'];
    if (typeof saved['sortBy'] === 'string') s.sortBy = saved['sortBy'] as StatKey | 'position';
    if (typeof saved['sortDescending'] === 'boolean') s.sortDescending = saved['sortDescending'];
    this.savedSource = saved.source;
    this.savedModel = { modelId: saved.modelId, mask: saved.mask };
  }

  private savedSource: PanelState['source'];
  private savedModel: { modelId?: string; mask?: MaskKind | 'default' } = {};

  private persist(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      const start = this.slots[0].start;
      const s = this.state;
      const uri = start?.sourceUri;
      const source =
        start && uri
          ? { uri, startOffset: start.documentOffset, text: start.text, label: start.sourceLabel }
          : this.savedSource;
      const state: PanelState = {
        modelId: start?.model.id ?? this.savedModel.modelId,
        mask: start ? (start.whatIf ? start.mask : 'default') : this.savedModel.mask,
        layer: s.layer,
        head: s.head,
        focusedToken: s.focusedToken,
        view: s.view,
        aggregate: s.aggregate,
        wordLevel: s.wordLevel,
        direction: s.direction,
        scale: s.scale,
        headSet: s.headSet,
        lastDetailView: s.lastDetailView,
        sortBy: s.sortBy,
        sortDescending: s.sortDescending,
      };
      if (source) state.source = source;
      this.bridge.setState(state);
    }, 50);
  }

  private compareMode(): boolean {
    return this.slots[0].start !== null && this.slots[1].start !== null;
  }

  // ───────────────────────────── toolbar events ─────────────────────────────

  private toolbarValues(): ToolbarValues {
    const start = this.slots[0].start;
    return {
      modelId: start?.model.id ?? '',
      maskChoice: start?.whatIf ? 'whatIf' : 'default',
      layer: this.state.layer,
      head: this.state.head,
      aggregate: this.state.aggregate,
      wordLevel: this.state.wordLevel,
      direction: this.state.direction,
      scale: this.state.scale,
      view: this.state.view,
    };
  }

  private changeModel(slot: Slot, modelId: string, whatIf: boolean): void {
    const model = this.models.find((m) => m.id === modelId);
    if (!model) return;
    this.notice = null;
    this.localProgress = t('banner.analysing');
    this.post({ type: 'changeModel', slot, modelId, mask: whatIf ? otherMask(model) : 'default' });
    this.render();
  }

  private buildToolbarIfNeeded(): void {
    const start = this.slots[0].start;
    if (!start) {
      this.toolbarEl.replaceChildren();
      this.currentToolbarKey = '';
      return;
    }
    const models = this.models.length ? this.models : [start.model];
    const views: ViewId[] = ['text', 'head', 'matrix', 'grid', 'computation', 'stats'];
    if (this.compareMode()) views.push('diff');
    const spec = { models, model: start.model, views };
    const key = toolbarKey(spec);
    if (key === this.currentToolbarKey) {
      updateToolbar(this.toolbarEl, this.toolbarValues());
      return;
    }
    this.currentToolbarKey = key;
    buildToolbar(this.toolbarEl, spec, this.toolbarValues(), {
      onModel: (id) => {
        if (id !== this.slots[0].start?.model.id) this.changeModel(0, id, this.slots[0].start?.whatIf ?? false);
      },
      onMask: (choice) => {
        const whatIf = choice === 'whatIf';
        for (const slot of [0, 1] as const) {
          const st = this.slots[slot].start;
          if (st && st.whatIf !== whatIf) this.changeModel(slot, st.model.id, whatIf);
        }
      },
      onLayer: (l) => this.setUi({ layer: l }),
      // Picking a head means looking at that head: leave an aggregate for the single-head view.
      onHead: (h) => this.setUi({ head: h, aggregate: 'head' }),
      onAggregate: (a: Aggregate) => this.setUi({ aggregate: a }),
      onWordLevel: (on) => this.setUi({ wordLevel: on }),
      onDirection: (d: Direction) => this.setUi({ direction: d }),
      onScale: (on) => this.setUi({ scale: on }),
      onView: (v) => this.setUi({ view: v, lastDetailView: DETAIL_VIEWS.has(v) ? v : this.state.lastDetailView }),
      onExport: (f) => void this.export(f),
    });
  }

  private setUi(patch: Partial<UiState>): void {
    let differs = false;
    for (const [k, v] of Object.entries(patch)) {
      if ((this.state as unknown as Record<string, unknown>)[k] !== v) differs = true;
    }
    if (!differs) return;
    Object.assign(this.state, patch);
    this.changed();
  }

  private async export(format: ExportFormat): Promise<void> {
    const name = `attention-${this.state.view}-L${this.state.layer + 1}H${this.state.head + 1}`;
    if (format === 'json' || format === 'html') {
      this.post({ type: 'export', format, suggestedName: `${name}.${format}` });
      return;
    }
    const handle = this.handles[0];
    if (!handle) return;
    try {
      const payload = await exportView(handle, format);
      this.post({ type: 'export', format, payload, suggestedName: `${name}.${format}` });
    } catch (err) {
      this.notice = String(err);
      this.render();
    }
  }

  // ───────────────────────────── rendering ─────────────────────────────

  private waitForFirstHead(slot: Slot): void {
    this.clearFirstHeadWait(slot);
    this.firstHeadTimer[slot] = setTimeout(() => {
      this.firstHeadTimer[slot] = null;
      this.scheduleRender();
    }, FIRST_HEAD_WAIT_MS);
    this.scheduleStatus();
  }

  private clearFirstHeadWait(slot: Slot): void {
    const timer = this.firstHeadTimer[slot];
    if (timer !== null) clearTimeout(timer);
    this.firstHeadTimer[slot] = null;
  }

  private scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private scheduleStatus(): void {
    if (this.statusQueued) return;
    this.statusQueued = true;
    requestAnimationFrame(() => {
      this.statusQueued = false;
      this.renderStatus();
      this.renderBanner();
    });
  }

  private render(): void {
    this.buildToolbarIfNeeded();
    this.renderStatus();
    this.renderBanner();
    this.renderViews();
  }

  private renderStatus(): void {
    const lines: HTMLElement[] = [];
    for (const slotIndex of [0, 1] as const) {
      const s = this.slots[slotIndex];
      const start = s.start;
      if (!start) continue;
      const line = el('div', 'status-line');
      line.dataset.slot = String(slotIndex);
      const parts: string[] = [];
      if (this.compareMode()) parts.push(t(slotIndex === 0 ? 'compare.left' : 'compare.right'));
      parts.push(t('status.model', start.model.displayName));
      parts.push(t('status.mask', t(start.mask === 'causal' ? 'mask.causal' : 'mask.full')));
      parts.push(t('status.tokens', start.tokens.length));
      parts.push(t('status.window', start.window.index + 1, start.window.count));
      parts.push(t('status.inference', Math.round(start.inferenceMs)));
      const total = start.model.layers * start.model.heads;
      if (s.received < total) parts.push(t('status.loadingHeads', s.received, total));
      const text = el('span', 'status-text');
      text.textContent = parts.join(' · ');
      line.append(text);
      if (start.whatIf) {
        const warn = el('span', 'what-if');
        warn.textContent = t('status.whatIf');
        line.append(warn);
      }
      if (slotIndex === 0 && start.window.count > 1 && this.bridge.host === 'vscode') {
        const idx = start.window.index;
        if (idx > 0) line.append(createButton('ctl-window-prev', '‹', () => this.post({ type: 'changeWindow', windowIndex: idx - 1 }), 'icon'));
        if (idx < start.window.count - 1) line.append(createButton('ctl-window-next', '›', () => this.post({ type: 'changeWindow', windowIndex: idx + 1 }), 'icon'));
      }
      lines.push(line);
    }
    this.statusEl.replaceChildren(...lines);
  }

  private renderBanner(): void {
    const messages: Array<{ kind: 'error' | 'progress' | 'info'; text: string }> = [];
    if (this.protocolWarning) messages.push({ kind: 'error', text: this.protocolWarning });
    for (const s of this.slots) {
      if (s.error) messages.push({ kind: 'error', text: t('banner.error', s.error) });
      else if (s.progress) messages.push({ kind: 'progress', text: s.progress });
    }
    if (this.localProgress) messages.push({ kind: 'progress', text: this.localProgress });
    if (this.notice) messages.push({ kind: 'info', text: this.notice });
    if (!this.slots[0].start && !this.slots[0].error && messages.length === 0) {
      messages.push({ kind: 'info', text: this.initDone ? t('banner.waiting') : t('banner.analysing') });
    }
    this.bannerEl.replaceChildren(
      ...messages.map((m) => {
        const div = el('div', `banner-item banner-${m.kind}`);
        div.textContent = m.text;
        return div;
      }),
    );
    this.bannerEl.hidden = messages.length === 0;
  }

  private renderViews(): void {
    // Keep keyboard focus on the same token across a re-render (e.g. when a head arrives).
    const active = document.activeElement as HTMLElement | null;
    const focusedIndex = active && this.mainEl.contains(active) ? active.dataset.tokenIndex : undefined;
    const focusedPane = active?.closest<HTMLElement>('.pane')?.dataset.slot;

    this.waitingFor = [new Set(), new Set()];
    this.handles = [];
    const panes: HTMLElement[] = [];
    const view = this.state.view;
    const slots: Slot[] = this.slots[0].start ? (this.compareMode() && view !== 'diff' ? [0, 1] : [0]) : [];
    for (const slot of slots) {
      const pane = el('section', 'pane');
      pane.dataset.slot = String(slot);
      pane.dataset.view = view;
      if (this.compareMode() && view !== 'diff') {
        const title = el('h2', 'pane-title');
        const st = this.slots[slot].start!;
        title.textContent = `${t(slot === 0 ? 'compare.left' : 'compare.right')}: ${st.model.displayName} · ${t(st.mask === 'causal' ? 'mask.causal' : 'mask.full')}${st.whatIf ? ' (what-if)' : ''}`;
        pane.append(title);
      }
      const host = el('div', 'view-host');
      pane.append(host);
      panes.push(pane);
      this.handles.push(RENDERERS[view](host, this, slot));
    }
    this.mainEl.classList.toggle('compare', panes.length > 1);
    this.mainEl.replaceChildren(...panes);
    if (focusedIndex !== undefined) {
      const target = this.mainEl.querySelector<HTMLElement>(
        `.pane[data-slot="${focusedPane ?? '0'}"] [data-token-index="${CSS.escape(focusedIndex)}"]`,
      );
      target?.focus({ preventScroll: true });
    }
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  return e;
}
