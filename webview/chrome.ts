/**
 * The panel's chrome around the views: toolbar, status line, banner, and the exports the toolbar starts.
 *
 * Owns: those three elements; the models `init` listed and the key of the toolbar built from them (the toolbar is
 * rebuilt only when models or views change, otherwise its values are updated); the banner's own lines — a
 * protocol-version warning, a notice (bridge notices, export failures, webview errors) and the local "analysing…"
 * shown between a model change and the host's answer. What it shows of the analyses is read from the store.
 */
import { whatIfMask } from '../src/common/mask';
import { setMask } from '../src/common/translation';
import { PROTOCOL_VERSION, type ExportFormat, type InitMessage, type ModelInfo, type Slot, type WebviewToHost } from '../src/protocol/messages';
import type { AnalysisStore } from './analysisStore';
import { buildToolbar, createButton, maskLabel, toolbarKey, updateToolbar, type ToolbarValues } from './controls';
import { el } from './dom';
import { exportView } from './exportView';
import { t } from './strings';
import { isTranslation, layerLabel, layersPerSet, layerWithinSet, stackedLayer } from './translation';
import type { UiStateKeeper } from './uiState';
import type { Aggregate, Direction, ViewId } from './viewTypes';
import type { UiState, ViewHandle } from './views/viewContext';

/** Views a click in the grid or statistics may send the person back to. */
const DETAIL_VIEWS: ReadonlySet<ViewId> = new Set(['text', 'head', 'matrix', 'computation']);

export interface ChromeDeps {
  store: AnalysisStore;
  ui: UiStateKeeper;
  host: 'vscode' | 'standalone';
  post(message: WebviewToHost): void;
  /** Whether `init` has been handled (before it, the banner says the panel is starting). */
  initDone(): boolean;
  /** Change the UI state (re-renders when anything differs). */
  setUi(patch: Partial<UiState>): void;
  /** The view to export (the left one). */
  exportHandle(): ViewHandle | undefined;
  render(): void;
}

export class Chrome {
  readonly toolbarEl = el('div', 'toolbar');
  readonly statusEl = el('div', 'status');
  readonly bannerEl = el('div', 'banner');

  private models: ModelInfo[] = [];
  private currentToolbarKey = '';
  private protocolWarning: string | null = null;
  private notice: string | null = null;
  private localProgress: string | null = null;

  constructor(private readonly deps: ChromeDeps) {
    this.statusEl.setAttribute('role', 'status');
    this.statusEl.setAttribute('aria-live', 'polite');
    this.bannerEl.setAttribute('role', 'alert');
  }

  init(m: InitMessage): void {
    if (m.protocolVersion !== PROTOCOL_VERSION) this.protocolWarning = t('banner.protocol', PROTOCOL_VERSION, m.protocolVersion);
    this.models = m.models;
    this.currentToolbarKey = ''; // the strings may have changed: build the toolbar anew
  }

  /** A new model list from the host (init sent the first): the toolbar's model picker is built again. */
  setModels(models: ModelInfo[]): void {
    this.models = models;
    this.currentToolbarKey = '';
  }

  /** Something the person should read (shown until the next analysis or model change). */
  notify(text: string): void {
    this.notice = text;
  }

  clearNotice(): void {
    this.notice = null;
  }

  /** The host answered (an analysis or an error): the local "analysing…" goes. */
  clearProgress(): void {
    this.localProgress = null;
  }

  // ───────────────────────────── toolbar ─────────────────────────────

  private toolbarValues(): ToolbarValues {
    const start = this.deps.store.slot(0).start;
    const state = this.deps.ui.state;
    return {
      modelId: start?.model.id ?? '',
      maskChoice: start?.whatIf ? 'whatIf' : 'default',
      attentionSet: state.attentionSet,
      layer: start && isTranslation(start) ? layerWithinSet(state.layer, start.model) : state.layer,
      head: state.head,
      aggregate: state.aggregate,
      wordLevel: state.wordLevel,
      direction: state.direction,
      scale: state.scale,
      view: state.view,
    };
  }

  private changeModel(slot: Slot, modelId: string, whatIf: boolean): void {
    const model = this.models.find((m) => m.id === modelId);
    if (!model) return;
    this.notice = null;
    this.localProgress = t('banner.analysing');
    this.deps.post({ type: 'changeModel', slot, modelId, mask: whatIf ? whatIfMask(model.kind) : 'default' });
    this.deps.render();
  }

  renderToolbar(): void {
    const { store, setUi } = this.deps;
    const start = store.slot(0).start;
    if (!start) {
      this.toolbarEl.replaceChildren();
      this.currentToolbarKey = '';
      return;
    }
    const models = this.models.length ? this.models : [start.model];
    const views: ViewId[] = ['text', 'head', 'matrix', 'grid', 'computation', 'stats'];
    if (store.compareMode()) views.push('diff');
    const spec = { models, model: start.model, views, layersPerSet: isTranslation(start) ? layersPerSet(start.model) : null };
    const key = toolbarKey(spec);
    if (key === this.currentToolbarKey) {
      updateToolbar(this.toolbarEl, this.toolbarValues());
      return;
    }
    this.currentToolbarKey = key;
    buildToolbar(this.toolbarEl, spec, this.toolbarValues(), {
      onModel: (id) => {
        const shown = store.slot(0).start;
        if (id !== shown?.model.id) this.changeModel(0, id, shown?.whatIf ?? false);
      },
      onMask: (choice) => {
        const whatIf = choice === 'whatIf';
        for (const slot of [0, 1] as const) {
          const st = store.slot(slot).start;
          if (st && st.whatIf !== whatIf) this.changeModel(slot, st.model.id, whatIf);
        }
      },
      onSet: (set) => {
        const shown = store.slot(0).start;
        if (!shown) return;
        const within = layerWithinSet(this.deps.ui.state.layer, shown.model);
        const aggregate = set === 'cross' && this.deps.ui.state.aggregate === 'rollout' ? 'mean' : this.deps.ui.state.aggregate;
        setUi({ attentionSet: set, layer: stackedLayer(set, within, shown.model), aggregate });
      },
      onLayer: (l) => {
        const shown = store.slot(0).start;
        setUi({ layer: shown && isTranslation(shown) ? stackedLayer(this.deps.ui.state.attentionSet, l, shown.model) : l });
      },
      // Picking a head means looking at that head: leave an aggregate for the single-head view.
      onHead: (h) => setUi({ head: h, aggregate: 'head' }),
      onAggregate: (a: Aggregate) => setUi({ aggregate: a }),
      onWordLevel: (on) => setUi({ wordLevel: on }),
      onDirection: (d: Direction) => setUi({ direction: d }),
      onScale: (on) => setUi({ scale: on }),
      onView: (v) => setUi({ view: v, lastDetailView: DETAIL_VIEWS.has(v) ? v : this.deps.ui.state.lastDetailView }),
      onExport: (f) => void this.export(f),
    });
  }

  /** PNG and SVG are made here from the view on screen; JSON and HTML by the host, which has the data. */
  private async export(format: ExportFormat): Promise<void> {
    const state = this.deps.ui.state;
    const start = this.deps.store.slot(0).start;
    const layerName = start && isTranslation(start) ? `${state.attentionSet}-L${layerWithinSet(state.layer, start.model) + 1}` : `L${state.layer + 1}`;
    const name = `attention-${state.view}-${layerName}H${state.head + 1}`;
    if (format === 'json' || format === 'html') {
      this.deps.post({ type: 'export', format, suggestedName: `${name}.${format}` });
      return;
    }
    const handle = this.deps.exportHandle();
    if (!handle) return;
    try {
      const payload = await exportView(handle, format);
      this.deps.post({ type: 'export', format, payload, suggestedName: `${name}.${format}` });
    } catch (err) {
      this.notice = String(err);
      this.deps.render();
    }
  }

  // ───────────────────────────── status line and banner ─────────────────────────────

  renderStatus(): void {
    const { store } = this.deps;
    const lines: HTMLElement[] = [];
    for (const slotIndex of [0, 1] as const) {
      const s = store.slot(slotIndex);
      const start = s.start;
      if (!start) continue;
      const line = el('div', 'status-line');
      line.dataset.slot = String(slotIndex);
      const parts: string[] = [];
      if (store.compareMode()) parts.push(t(slotIndex === 0 ? 'compare.left' : 'compare.right'));
      parts.push(t('status.model', start.model.displayName));
      // A translation's mask is its set's: the decoder's self-attention is causal, the others see their whole block.
      parts.push(t('status.mask', maskLabel(isTranslation(start) ? setMask(this.deps.ui.state.attentionSet) : start.mask)));
      if (isTranslation(start)) {
        const S = start.translation.sourceCount;
        parts.push(t('status.translationTokens', S, start.tokens.length - S));
      } else parts.push(t('status.tokens', start.tokens.length));
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
      if (slotIndex === 0 && start.window.count > 1 && this.deps.host === 'vscode') {
        const idx = start.window.index;
        const post = this.deps.post;
        if (idx > 0) line.append(createButton('ctl-window-prev', '‹', () => post({ type: 'changeWindow', windowIndex: idx - 1 }), 'icon'));
        if (idx < start.window.count - 1) line.append(createButton('ctl-window-next', '›', () => post({ type: 'changeWindow', windowIndex: idx + 1 }), 'icon'));
      }
      lines.push(line);
    }
    // One line on why the panel opened on this head (the model's default head), while it still shows it.
    const shown = store.slot(0).start;
    const note = shown ? this.deps.ui.defaultHeadNote() : null;
    if (shown && note) {
      const line = el('div', 'status-line default-head');
      // A translation's layer is counted within its attention (Cross 3.4, not the stacked 9.4), as the toolbar counts it.
      line.textContent = t('status.defaultHead', `${layerLabel(shown, note.layer)}.${note.head + 1}`, note.reason);
      lines.push(line);
    }
    this.statusEl.replaceChildren(...lines);
  }

  renderBanner(): void {
    const { store } = this.deps;
    const messages: Array<{ kind: 'error' | 'progress' | 'info'; text: string }> = [];
    if (this.protocolWarning) messages.push({ kind: 'error', text: this.protocolWarning });
    for (const slotIndex of [0, 1] as const) {
      const s = store.slot(slotIndex);
      if (s.error) messages.push({ kind: 'error', text: t('banner.error', s.error) });
    }
    if (this.localProgress) messages.push({ kind: 'progress', text: this.localProgress });
    if (this.notice) messages.push({ kind: 'info', text: this.notice });
    const left = store.slot(0);
    if (!left.start && !left.error && messages.length === 0) {
      messages.push({ kind: 'info', text: this.deps.initDone() ? t('banner.waiting') : t('banner.analysing') });
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
}
