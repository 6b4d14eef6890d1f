/**
 * The panel: wires the host bridge to the modules below and routes each host message to them.
 *
 * Owns only whether `init` has been handled (nothing but `ready`, sent by the bridge, is posted before it).
 * Every other piece of state has one owner, named at the top of its file:
 * - analysisStore.ts — per slot: generation, model, mask, tokens, head buffers, vectors; head requests
 * - derivedData.ts   — dequantised heads, matrices, head statistics, words (caches per analysis)
 * - uiState.ts       — layer, head, view, toggles, focused token…; saved with `setState`
 * - focusSync.ts     — the focused token's round trip with the editor overlay
 * - chrome.ts        — toolbar, status line, banner, exports
 * - viewArea.ts      — the views on screen; keyboard focus across re-renders
 * - repaint.ts       — when to paint (one render per frame; the wait for a new analysis's first head)
 * Views are re-rendered when their data or the UI state changes; focus changes only update highlights.
 */
import { dispatch, type AnalysisStartMessage, type HostToWebview, type MessageHandlers, type Slot, type WebviewToHost } from '../src/protocol/messages';
import { AnalysisStore } from './analysisStore';
import type { AttentionMatrix, Unit } from './attentionMath';
import { Chrome } from './chrome';
import { registerToolkit } from './controls';
import { DerivedData } from './derivedData';
import { FocusSync } from './focusSync';
import type { HeadStats, StatKey } from './headStats';
import type { HostBridge } from './hostBridge';
import { PredictionsPanel } from './predictionsPanel';
import { Repaint } from './repaint';
import { setStrings, t } from './strings';
import { onThemeChange, watchTheme } from './theme';
import { UiStateKeeper } from './uiState';
import { ViewArea } from './viewArea';
import type { HeadVectors, UiState, ViewContext } from './views/viewContext';
import type { FormulaPayload } from '../src/common/formula';
import type { TokenRange } from '../src/common/translation';
import type { AttentionSetId } from '../src/protocol/messages';
import { effectiveDirection } from './translation';
import { TranslationBar } from './translationBar';
import type { Direction } from './viewTypes';

export class App implements ViewContext {
  readonly state: Readonly<UiState>;
  private readonly store: AnalysisStore;
  private readonly ui: UiStateKeeper;
  private readonly derived: DerivedData;
  private readonly focus: FocusSync;
  private readonly views: ViewArea;
  private readonly chrome: Chrome;
  private readonly repaint: Repaint;
  private readonly predictions: PredictionsPanel;
  private readonly translation: TranslationBar;
  private initDone = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly bridge: HostBridge,
  ) {
    const post = (m: WebviewToHost): void => this.post(m);
    const store = new AnalysisStore(post, (level, message) => this.log(level, message));
    const ui = new UiStateKeeper(bridge, store);
    const derived = new DerivedData(store, ui.state);
    const views = new ViewArea(this, store);
    this.store = store;
    this.ui = ui;
    this.state = ui.state;
    this.derived = derived;
    this.views = views;
    this.predictions = new PredictionsPanel({
      host: bridge.host,
      analysis: () => store.slot(0).start,
      focusedToken: () => ui.state.focusedToken,
      visibleHead: () => ({ layer: ui.state.layer, head: ui.state.head }),
      post,
    });
    this.translation = new TranslationBar({ host: bridge.host, analysis: () => store.slot(0).start, post });
    this.focus = new FocusSync({
      store,
      derived,
      ui,
      post,
      updateFocus: () => {
        views.updateFocus();
        this.predictions.focusChanged();
      },
    });
    this.chrome = new Chrome({
      store,
      ui,
      host: bridge.host,
      post,
      initDone: () => this.initDone,
      setUi: (patch) => this.setUi(patch),
      exportHandle: () => views.first(),
      render: () => this.render(),
    });
    this.repaint = new Repaint(
      () => this.render(),
      () => {
        this.chrome.renderStatus();
        this.chrome.renderBanner();
      },
    );
  }

  start(): void {
    registerToolkit();
    watchTheme();
    onThemeChange(() => this.repaint.scheduleRender());
    this.ui.restore(this.bridge.getState());
    this.root.replaceChildren(
      this.chrome.toolbarEl,
      this.chrome.statusEl,
      this.chrome.bannerEl,
      this.translation.el,
      this.predictions.el,
      this.views.mainEl,
    );
    this.render();
    window.addEventListener('error', (e) => this.log('error', String(e.message)));
    this.bridge.start(
      (m) => this.onMessage(m),
      (notice) => {
        this.chrome.notify(
          notice.kind === 'standaloneModel'
            ? t('banner.standaloneModel')
            : notice.kind === 'standaloneTranslate'
              ? t('translation.standalone')
              : t('banner.noVectors', notice.layer + 1, notice.head + 1),
        );
        this.chrome.clearProgress();
        this.render();
      },
    );
  }

  // ───────────────────────────── messages from the host ─────────────────────────────

  private onMessage(m: HostToWebview): void {
    try {
      dispatch(this.handlers, m);
    } catch (err) {
      this.log('error', `webview failed on ${m.type}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.chrome.notify(String(err));
      this.render();
    }
  }

  /**
   * One handler per host → webview message type. Typed as MessageHandlers<HostToWebview>, so a message type added
   * to the protocol without a handler here (or a handler for no message type) does not compile.
   */
  private readonly handlers: MessageHandlers<HostToWebview> = {
    predictions: (m) => this.predictions.onPredictions(m),
    generationState: (m) => this.predictions.onGenerationState(m),
    models: (m) => {
      this.chrome.setModels(m.models);
      this.render();
    },
    init: (m) => {
      this.chrome.init(m);
      setStrings(m.strings);
      document.body.dataset.host = m.host;
      this.initDone = true;
      this.render();
    },
    focusFromEditor: (m) => this.focus.fromEditor(m),
    slotClosed: (m) => {
      // The host stopped showing this slot (compare mode left): forget it, so no stale pane stays.
      this.store.close(m.slot);
      if (m.slot === 0 || m.slot === 1) this.repaint.clearFirstHeadWait(m.slot);
      if (this.ui.state.view === 'diff') this.ui.state.view = 'text';
      this.render();
    },
    analysisStart: (m) => {
      if (!this.store.begin(m)) return; // an older analysis finishing late
      if (m.slot === 0) {
        this.chrome.clearProgress();
        this.chrome.clearNotice();
        this.ui.applyDefaultHead(m.model);
      }
      this.ui.clamp();
      this.ui.persist();
      if (m.slot === 0) this.predictions.analysisChanged();
      this.repaint.waitForFirstHead(m.slot);
    },
    analysisError: (m) => {
      if (!this.store.fail(m)) return;
      this.repaint.clearFirstHeadWait(m.slot);
      this.chrome.clearProgress();
      if (m.detail) this.log('error', m.detail);
      this.render();
    },
    headData: (m) => {
      const idx = this.store.addHead(m);
      if (idx === null) return;
      this.derived.headArrived(m.slot, idx);
      const { repaint } = this;
      const { view, layer, head } = this.ui.state;
      const first = repaint.isWaitingForFirstHead(m.slot);
      if (first) repaint.clearFirstHeadWait(m.slot);
      // The head on screen, the first time it arrives for an analysis, is the picture the person waits for: drawn in
      // this task (the host sends it first). Not while compare mode's other side still waits for its first head:
      // one render at the frame covers both, or the other's arrival draws at once.
      const waited = m.layer === layer && m.head === head && this.drawnAtOnce[m.slot] !== m.generation;
      if (waited && !repaint.isWaitingForFirstHead(m.slot === 0 ? 1 : 0)) {
        this.drawnAtOnce[m.slot] = m.generation;
        repaint.renderNow();
      } else if (first || this.store.isWaitingFor(m.slot, idx) || view === 'grid' || view === 'stats') {
        repaint.scheduleRender();
      } else {
        repaint.scheduleStatus();
      }
    },
    analysisComplete: (m) => {
      if (this.store.complete(m)) this.repaint.scheduleStatus();
    },
    headVectors: (m) => {
      if (this.store.addVectors(m) && this.ui.state.view === 'computation') this.repaint.scheduleRender();
    },
    formulaData: (m) => {
      if (this.store.addFormula(m) && this.ui.state.view === 'computation') this.repaint.scheduleRender();
    },
  };

  // ───────────────────────────── posting to the host ─────────────────────────────

  private post(m: WebviewToHost): void {
    // Nothing but `ready` (sent by the bridge) before init has been handled.
    if (!this.initDone) return;
    this.bridge.post(m);
  }

  private log(level: 'info' | 'error', message: string): void {
    this.post({ type: 'log', level, message });
  }

  // ───────────────────────────── ViewContext ─────────────────────────────

  analysis(slot: Slot): AnalysisStartMessage | null {
    return this.store.slot(slot).start;
  }

  units(slot: Slot): Unit[] {
    return this.derived.units(slot);
  }

  matrix(slot: Slot): AttentionMatrix | null {
    return this.derived.matrix(slot);
  }

  headMatrix(slot: Slot, layer: number, head: number): AttentionMatrix | null {
    return this.derived.headMatrix(slot, layer, head);
  }

  allStats(slot: Slot): Array<HeadStats | null> {
    return this.derived.allStats(slot);
  }

  vectors(slot: Slot, layer: number, head: number): HeadVectors | null {
    return this.store.vectors(slot, layer, head);
  }

  formula(slot: Slot, layer: number, token: number): FormulaPayload | null {
    return this.store.formula(slot, layer, token);
  }

  focusUnit(): number | null {
    return this.focus.focusUnit();
  }

  setFocus(unit: number | null): void {
    this.focus.setFocus(unit);
  }

  focusToken(token: number): void {
    this.focus.focusToken(token);
  }

  openHead(layer: number, head: number): void {
    const s = this.ui.state;
    s.layer = layer;
    s.head = head;
    s.aggregate = 'head';
    s.view = s.lastDetailView;
    this.changed();
  }

  openComputation(unit: number): void {
    this.focus.setFocus(unit);
    this.ui.state.view = 'computation';
    this.ui.state.lastDetailView = 'computation';
    this.changed();
  }

  setHeadSet(heads: number[]): void {
    this.ui.state.headSet = heads;
    this.changed();
  }

  setAllHeads(on: boolean): void {
    this.setUi({ allHeads: on });
  }

  setSort(key: StatKey | 'position', descending: boolean): void {
    this.ui.state.sortBy = key;
    this.ui.state.sortDescending = descending;
    this.changed();
  }

  attentionSet(slot: Slot): AttentionSetId | null {
    return this.derived.attentionSet(slot);
  }

  sourceUnits(slot: Slot): number {
    return this.derived.sourceUnits(slot);
  }

  block(slot: Slot): { rows: TokenRange; cols: TokenRange } | null {
    return this.derived.block(slot);
  }

  directionFor(slot: Slot, unit: number): Direction {
    return effectiveDirection(this.derived.attentionSet(slot), this.state.direction, unit < this.derived.sourceUnits(slot));
  }

  intensity(weight: number, max: number): number {
    if (!this.state.scale) return weight;
    return max > 0 ? weight / max : 0;
  }

  // ───────────────────────────── UI state changes and rendering ─────────────────────────────

  private setUi(patch: Partial<UiState>): void {
    let differs = false;
    for (const [k, v] of Object.entries(patch)) {
      if ((this.state as unknown as Record<string, unknown>)[k] !== v) differs = true;
    }
    if (!differs) return;
    Object.assign(this.ui.state, patch);
    this.changed();
  }

  /** The UI state changed: save it, render, and keep the editor overlay drawing what the panel shows. */
  private changed(): void {
    this.ui.persist();
    this.render();
    this.post({ type: 'visibleHead', layer: this.state.layer, head: this.state.head });
    if (this.state.focusedToken !== null) this.focus.send();
  }

  private render(): void {
    this.translation.render();
    this.predictions.render();
    this.chrome.renderToolbar();
    this.chrome.renderStatus();
    this.chrome.renderBanner();
    this.views.render();
    this.reportPainted();
  }

  /** Generations per slot whose visible head was drawn on arrival (Repaint.renderNow), once per analysis. */
  private readonly drawnAtOnce: [number, number] = [-1, -1];

  /** Generations per slot whose first drawn head the host has been told of (see PaintedMessage). */
  private readonly paintedGenerations: [number, number] = [-1, -1];

  /** Tells the host once per analysis that a head of it is on screen (a progressive run then goes on). */
  private reportPainted(): void {
    for (const slot of [0, 1] as const) {
      const s = this.store.slot(slot);
      if (s.received === 0 || this.paintedGenerations[slot] === s.generation) continue;
      this.paintedGenerations[slot] = s.generation;
      this.post({ type: 'painted', generation: s.generation, slot });
    }
  }
}
