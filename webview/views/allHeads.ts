/**
 * "Every head of the layer at once" (BertViz's head view with every head selected), shared by the head view and
 * the text view: whether it applies, the heads it draws (each in its own theme colour, fixed by the head's index so
 * a head keeps its colour between views), and the toggle with its colour key.
 *
 * It works at token level: at word level the views show the one matrix the toolbar chose, and the toggle is
 * disabled with a note saying so.
 */
import type { Slot } from '../../src/protocol/messages';
import type { AttentionMatrix } from '../attentionMath';
import { createCheckbox } from '../controls';
import { t } from '../strings';
import type { CanvasTheme } from '../theme';
import type { UiState, ViewContext } from './viewContext';

export interface DrawnHead {
  head: number;
  color: string;
  m: AttentionMatrix;
}

export function allHeadsActive(state: Readonly<UiState>): boolean {
  return state.allHeads && !state.wordLevel;
}

/** The colour of head `head` in every view that draws several heads. */
export function headColor(theme: CanvasTheme, head: number): string {
  return theme.palette[head % theme.palette.length];
}

/** Every head of the current layer, or null while one of them is still arriving (those are requested). */
export function layerHeads(ctx: ViewContext, slot: Slot, theme: CanvasTheme): DrawnHead[] | null {
  const start = ctx.analysis(slot);
  if (!start) return null;
  const layer = Math.min(ctx.state.layer, start.model.layers - 1);
  const out: DrawnHead[] = [];
  let missing = false;
  for (let h = 0; h < start.model.heads; h++) {
    const m = ctx.headMatrix(slot, layer, h);
    if (m) out.push({ head: h, color: headColor(theme, h), m });
    else missing = true;
  }
  return missing ? null : out;
}

/**
 * The toggle (a checkbox: Tab reaches it, Space flips it) and, while the mode is on, a key of the heads' colours.
 * The id is per pane, so compare mode has one in each.
 */
export function allHeadsControls(ctx: ViewContext, slot: Slot, heads: number, theme: CanvasTheme): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'all-heads-bar';
  const on = allHeadsActive(ctx.state);
  const box = createCheckbox(`ctl-all-heads-${slot}`, t('allHeads.toggle'), on, (checked) => ctx.setAllHeads(checked), ctx.state.wordLevel);
  bar.append(box);
  if (ctx.state.wordLevel) {
    const note = document.createElement('span');
    note.className = 'all-heads-note';
    note.textContent = t('allHeads.tokenLevelOnly');
    bar.append(note);
  } else if (on) {
    const key = document.createElement('span');
    key.className = 'head-key';
    key.setAttribute('role', 'list');
    key.setAttribute('aria-label', t('allHeads.key'));
    for (let h = 0; h < heads; h++) {
      const item = document.createElement('span');
      item.className = 'head-key-item';
      item.setAttribute('role', 'listitem');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.backgroundColor = headColor(theme, h);
      const name = document.createElement('span');
      name.textContent = `H${h + 1}`;
      item.append(swatch, name);
      key.append(item);
    }
    bar.append(key);
  }
  return bar;
}
