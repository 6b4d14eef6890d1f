/**
 * The views: one pane per slot shown (two side by side in compare mode; one for the difference view), each drawn
 * by the renderer of the current view.
 *
 * Owns: the main element and the handles of the views on screen (focus updates and exports go through them).
 * A render replaces the panes; the keyboard focus stays on the same token of the same pane across it, since a
 * head arriving re-renders under the person's cursor (the roving tabindex itself is the text view's).
 */
import type { Slot } from '../src/protocol/messages';
import type { AnalysisStore } from './analysisStore';
import { maskLabel } from './controls';
import { el } from './dom';
import { t } from './strings';
import type { ViewId } from './viewTypes';
import { renderComputationView } from './views/computationView';
import { renderDiffView } from './views/diffView';
import { renderGridView } from './views/gridView';
import { renderHeadView } from './views/headView';
import { renderMatrixView } from './views/matrixView';
import { renderStatsView } from './views/statsView';
import { renderTextView } from './views/textView';
import type { ViewContext, ViewHandle, ViewRenderer } from './views/viewContext';

const RENDERERS: Record<ViewId, ViewRenderer> = {
  text: renderTextView,
  head: renderHeadView,
  matrix: renderMatrixView,
  grid: renderGridView,
  computation: renderComputationView,
  stats: renderStatsView,
  diff: renderDiffView,
};

export class ViewArea {
  readonly mainEl = el('main', 'views');
  private handles: ViewHandle[] = [];

  constructor(
    private readonly ctx: ViewContext,
    private readonly store: AnalysisStore,
  ) {}

  /** The first view on screen (the left one in compare mode): what an export shows. */
  first(): ViewHandle | undefined {
    return this.handles[0];
  }

  /** Focus moved: every view updates its highlights. */
  updateFocus(): void {
    for (const h of this.handles) h.updateFocus();
  }

  render(): void {
    const restoreFocus = this.rememberTokenFocus();
    this.store.clearWaiting();
    this.handles = [];
    const panes: HTMLElement[] = [];
    const view = this.ctx.state.view;
    const compare = this.store.compareMode();
    const slots: Slot[] = this.store.slot(0).start ? (compare && view !== 'diff' ? [0, 1] : [0]) : [];
    for (const slot of slots) {
      const pane = el('section', 'pane');
      pane.dataset.slot = String(slot);
      pane.dataset.view = view;
      if (compare && view !== 'diff') {
        const title = el('h2', 'pane-title');
        const st = this.store.slot(slot).start!;
        title.textContent = `${t(slot === 0 ? 'compare.left' : 'compare.right')}: ${st.model.displayName} · ${maskLabel(st.mask)}${st.whatIf ? ' (what-if)' : ''}`;
        pane.append(title);
      }
      const host = el('div', 'view-host');
      pane.append(host);
      panes.push(pane);
      this.handles.push(RENDERERS[view](host, this.ctx, slot));
    }
    this.mainEl.classList.toggle('compare', panes.length > 1);
    this.mainEl.replaceChildren(...panes);
    restoreFocus();
  }

  /** Notes which token of which pane has keyboard focus; the returned function focuses it again. */
  private rememberTokenFocus(): () => void {
    const active = document.activeElement as HTMLElement | null;
    const focusedIndex = active && this.mainEl.contains(active) ? active.dataset.tokenIndex : undefined;
    const focusedPane = active?.closest<HTMLElement>('.pane')?.dataset.slot;
    return () => {
      if (focusedIndex === undefined) return;
      const target = this.mainEl.querySelector<HTMLElement>(
        `.pane[data-slot="${focusedPane ?? '0'}"] [data-token-index="${CSS.escape(focusedIndex)}"]`,
      );
      target?.focus({ preventScroll: true });
    };
  }
}
