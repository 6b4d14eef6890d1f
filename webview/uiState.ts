/**
 * The person's way of looking at the analysis, saved so the panel comes back as it was after a reload.
 *
 * Owns: the UiState (layer, head, aggregate, word level, direction, scale, view, focused token, head set, all heads, sorting,
 * the last detail view, a translation's attention set) and, until an analysis replaces them, the model, mask and source a restored state named;
 * the model's default head while the panel shows it unchanged (see applyDefaultHead).
 * It is written with `setState` (as PanelState) at most every 50 ms; the analysis data itself is never saved.
 */
import type { DefaultHead, MaskKind, ModelInfo, PanelState } from '../src/protocol/messages';
import type { AnalysisStore } from './analysisStore';
import type { StatKey } from './headStats';
import type { HostBridge } from './hostBridge';
import { setOfLayer } from '../src/common/translation';
import { isTranslation, layersPerSet, layerWithinSet, stackedLayer } from './translation';
import { isViewId } from './viewTypes';
import type { UiState } from './views/viewContext';

/** How long changes gather before one `setState` writes them. */
const PERSIST_DELAY_MS = 50;

export class UiStateKeeper {
  readonly state: UiState = {
    layer: 0,
    head: 0,
    aggregate: 'head',
    wordLevel: false,
    direction: 'to',
    scale: true,
    view: 'text',
    focusedToken: null,
    headSet: [],
    allHeads: false,
    sortBy: 'position',
    sortDescending: true,
    lastDetailView: 'text',
    attentionSet: 'cross',
  };

  private savedSource: PanelState['source'];
  private savedModel: { modelId?: string; mask?: MaskKind | 'default' } = {};
  private persistTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * A saved state named a head, or the person moved off the default head shown: from then on no model's default
   * head replaces theirs. (Once this was read from `autoHead` alone, which the move cleared: the analysis after the
   * next snapped back to the default head, without telling the host, so the host streamed the person's layer first
   * while the panel waited for the default head's; bench/README.md, issue 14.)
   */
  private headChosen = false;
  /** The default head this panel put on screen itself, until the person picks another head. */
  private autoHead: DefaultHead | null = null;

  constructor(
    private readonly bridge: Pick<HostBridge, 'setState'>,
    private readonly store: AnalysisStore,
  ) {}

  /** Takes over a saved state, value by value: anything missing or malformed keeps its default. */
  restore(saved: PanelState | undefined): void {
    if (!saved) return;
    const s = this.state;
    const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : d);
    s.layer = num(saved.layer, 0);
    s.head = num(saved.head, 0);
    this.headChosen = typeof saved.layer === 'number' || typeof saved.head === 'number';
    s.focusedToken = typeof saved.focusedToken === 'number' ? num(saved.focusedToken, 0) : null;
    if (isViewId(saved.view)) s.view = saved.view;
    const agg = saved['aggregate'];
    if (agg === 'head' || agg === 'mean' || agg === 'max' || agg === 'rollout') s.aggregate = agg;
    if (typeof saved['wordLevel'] === 'boolean') s.wordLevel = saved['wordLevel'];
    if (saved['direction'] === 'to' || saved['direction'] === 'from') s.direction = saved['direction'];
    if (typeof saved['scale'] === 'boolean') s.scale = saved['scale'];
    if (Array.isArray(saved['headSet'])) s.headSet = (saved['headSet'] as unknown[]).filter((x): x is number => typeof x === 'number');
    if (typeof saved['allHeads'] === 'boolean') s.allHeads = saved['allHeads'];
    if (isViewId(saved['lastDetailView'])) s.lastDetailView = saved['lastDetailView'];
    if (typeof saved['sortBy'] === 'string') s.sortBy = saved['sortBy'] as StatKey | 'position';
    if (typeof saved['sortDescending'] === 'boolean') s.sortDescending = saved['sortDescending'];
    const set = saved['attentionSet'];
    if (set === 'encoder' || set === 'decoder' || set === 'cross') s.attentionSet = set;
    this.savedSource = saved.source;
    this.savedModel = { modelId: saved.modelId, mask: saved.mask };
  }

  /**
   * A new analysis on the left: a panel whose head nobody chose (no saved state named one, and the person has not
   * moved off the default head shown so far) opens on the model's default head, so that the first picture shows
   * structure rather than layer 1, head 1 (near-uniform in the bundled encoder). Returns whether it moved.
   */
  applyDefaultHead(model: ModelInfo): boolean {
    const s = this.state;
    const untouched = !this.headChosen && (!this.autoHead || (s.layer === this.autoHead.layer && s.head === this.autoHead.head));
    if (!untouched) {
      this.autoHead = null;
      this.headChosen = true;
      return false;
    }
    const d = model.defaultHead;
    // A translation shows the attention the person chose (default cross): a default head of another one is not used.
    const otherSet = model.kind === 'encoder-decoder' && d ? setOfLayer(d.layer, layersPerSet(model)).set !== s.attentionSet : false;
    if (!d || d.layer >= model.layers || d.head >= model.heads || otherSet) {
      this.autoHead = null;
      return false;
    }
    this.autoHead = d;
    const moved = s.layer !== d.layer || s.head !== d.head;
    s.layer = d.layer;
    s.head = d.head;
    return moved;
  }

  /** Why the panel shows this head, while it shows the model's default head as a single head; else null. */
  defaultHeadNote(): DefaultHead | null {
    const d = this.autoHead;
    const s = this.state;
    return d && s.layer === d.layer && s.head === d.head && s.aggregate === 'head' ? d : null;
  }

  /** Keeps the state within the analysis on the left (a restored or older state may point past its model). */
  clamp(): void {
    const start = this.store.slot(0).start;
    const m = start?.model;
    if (!m) return;
    this.state.layer = Math.min(Math.max(0, this.state.layer), m.layers - 1);
    this.state.head = Math.min(Math.max(0, this.state.head), m.heads - 1);
    this.state.headSet = this.state.headSet.filter((h) => h >= 0 && h < m.heads);
    const n = start?.tokens.length ?? 0;
    if (this.state.focusedToken !== null && this.state.focusedToken >= n) this.state.focusedToken = null;
    if (this.state.view === 'diff' && !this.store.compareMode()) this.state.view = 'text';
    if (isTranslation(start)) {
      // The layer lies in the chosen attention's stacked layers (same layer within the set), and rollout, defined
      // only within the encoder or the decoder, gives way to the mean under cross-attention.
      this.state.layer = stackedLayer(this.state.attentionSet, layerWithinSet(this.state.layer, m), m);
      if (this.state.attentionSet === 'cross' && this.state.aggregate === 'rollout') this.state.aggregate = 'mean';
    }
  }

  persist(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      const start = this.store.slot(0).start;
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
        allHeads: s.allHeads,
        lastDetailView: s.lastDetailView,
        sortBy: s.sortBy,
        sortDescending: s.sortDescending,
        attentionSet: s.attentionSet,
      };
      if (source) state.source = source;
      this.bridge.setState(state);
    }, PERSIST_DELAY_MS);
  }
}
