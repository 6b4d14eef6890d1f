/**
 * The focused token, kept in step between the views and the editor overlay.
 *
 * Owns: the throttle of `focusToken` messages (a hover sweep crosses many tokens; the host hears at most one every
 * 40 ms, always the last). The focused token itself is UiState.focusedToken (uiState.ts): token-level, so it
 * means the same at word level. Views hear of a focus change through `updateFocus` (highlights only, no render).
 */
import type { FocusFromEditorMessage, WebviewToHost } from '../src/protocol/messages';
import type { AnalysisStore } from './analysisStore';
import { weightsFor } from './attentionMath';
import type { DerivedData } from './derivedData';
import { effectiveDirection } from './translation';
import type { UiStateKeeper } from './uiState';

const SEND_DELAY_MS = 40;

export interface FocusSyncDeps {
  store: AnalysisStore;
  derived: DerivedData;
  ui: UiStateKeeper;
  post(message: WebviewToHost): void;
  /** Tell the views on screen that the focus moved. */
  updateFocus(): void;
}

export class FocusSync {
  private sendTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: FocusSyncDeps) {}

  /** Focused unit index at the current level (token or word), or null. */
  focusUnit(): number | null {
    const { state } = this.deps.ui;
    const tok = state.focusedToken;
    if (tok === null || !this.deps.store.slot(0).start) return null;
    if (!state.wordLevel) return tok;
    const words = this.deps.derived.words(0);
    const w = words.findIndex((x) => x.tokens.includes(tok));
    return w < 0 ? null : w;
  }

  /** A view focused a unit (or none). */
  setFocus(unit: number | null): void {
    let token: number | null = null;
    if (unit !== null) {
      const units = this.deps.derived.units(0);
      if (unit < 0 || unit >= units.length) return;
      token = units[unit].tokens[0];
    }
    if (token === this.deps.ui.state.focusedToken) return;
    this.apply(token);
    this.sendSoon();
  }

  /** A view focused a token by its token-level index (whatever the word-level toggle says). */
  focusToken(token: number): void {
    const n = this.deps.store.slot(0).start?.tokens.length ?? 0;
    if (token < 0 || token >= n || token === this.deps.ui.state.focusedToken) return;
    this.apply(token);
    this.sendSoon();
  }

  /** The editor cursor moved onto a token of the analysed range. */
  fromEditor(m: FocusFromEditorMessage): void {
    const s = this.deps.store.slot(0);
    if (m.generation !== s.generation || !s.start || m.tokenIndex < 0 || m.tokenIndex >= s.start.tokens.length) return;
    this.apply(m.tokenIndex);
    // The overlay draws what this panel shows (aggregate, direction, word level), so answer with the weights.
    this.send();
  }

  private apply(token: number | null): void {
    this.deps.ui.state.focusedToken = token;
    this.deps.ui.persist();
    this.deps.updateFocus();
  }

  private sendSoon(): void {
    if (this.sendTimer) return;
    this.sendTimer = setTimeout(() => {
      this.sendTimer = null;
      this.send();
    }, SEND_DELAY_MS);
  }

  /** Tell the host what the editor overlay should draw: the weights exactly as the view shows them. */
  send(): void {
    const { store, derived, ui } = this.deps;
    const state = ui.state;
    const s = store.slot(0);
    if (!s.start) return;
    const unit = this.focusUnit();
    const m = unit === null ? null : derived.matrix(0);
    let weights: number[] | null = null;
    if (m && unit !== null) {
      // A translation: weights over the joint list (source, then target), read as the views read them
      // (webview/translation.ts: a target token stands for the step that wrote it; under cross-attention its side
      // decides the direction). Cells outside the shown attention are masked, so they go as 0.
      const dir = effectiveDirection(derived.attentionSet(0), state.direction, unit < derived.sourceUnits(0));
      const w = weightsFor(m, unit, dir);
      const units = derived.units(0);
      weights = new Array<number>(s.start.tokens.length).fill(0);
      units.forEach((u, i) => {
        for (const tok of u.tokens) weights![tok] = m.masked(dir === 'to' ? unit : i, dir === 'to' ? i : unit) ? 0 : Number(w[i].toFixed(4));
      });
    }
    this.deps.post({
      type: 'focusToken',
      generation: s.generation,
      slot: 0,
      tokenIndex: state.focusedToken,
      layer: state.layer,
      head: state.head,
      weights,
    });
  }
}
