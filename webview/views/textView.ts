/**
 * Text view (the default): the analysed text as it reads, each token a focusable span. Hover or keyboard focus
 * a token and the tokens it attends to (or, flipped, that attend to it) get a background whose intensity is the
 * weight. Keyboard: roving tabindex — one token is in the tab order; arrows/Home/End move; Enter opens the
 * computation view. Every token's aria-label names its text and its top-3 attended tokens.
 * Token text is always set with textContent: the selection may contain markup and must be shown as text.
 * "Every head of the layer at once" (allHeads.ts) leaves the spans untinted and paints one stripe per head under
 * the tokens on a canvas (headStripes.ts).
 */
import type { Slot } from '../../src/protocol/messages';
import { maxValue, topK, weightsFor, type AttentionMatrix } from '../attentionMath';
import { svgDocument, svgEscape, toSvgColor } from '../exportView';
import { t } from '../strings';
import { canvasTheme, weightLevel } from '../theme';
import { allHeadsActive, allHeadsControls, layerHeads } from './allHeads';
import { createHeadStripes, type HeadStripes } from './headStripes';
import { layerLabel, setNote } from '../translation';
import { oncePerFrame } from './oncePerFrame';
import type { ViewContext, ViewHandle, ViewRenderer } from './viewContext';

export const renderTextView: ViewRenderer = (host: HTMLElement, ctx: ViewContext, slot: Slot): ViewHandle => {
  const start = ctx.analysis(slot);
  const units = ctx.units(slot);
  const legend = document.createElement('p');
  legend.className = 'legend';
  const container = document.createElement('div');
  container.className = 'text-view';
  container.setAttribute('role', 'group');
  container.setAttribute('aria-label', start ? start.sourceLabel || t('view.text') : t('view.text'));
  host.append(legend, container);
  if (!start) return { updateFocus: () => undefined, toSvg: () => svgDocument(1, 1, '') };
  const set = ctx.attentionSet(slot);
  if (set) {
    // What hovering means in this attention (webview/translation.ts: a target token stands for the step that wrote it).
    host.insertBefore(setNote(set, { encoder: 'text.how.encoder', decoder: 'text.how.decoder', cross: 'text.how.cross' }), legend);
  }

  const spans: HTMLElement[] = [];
  /** Lays out units [from, to) of `text` into `into` as it reads (the gaps between tokens as plain text). */
  const layOut = (into: HTMLElement, text: string, from: number, to: number): void => {
    let pos = 0;
    for (let i = from; i < to; i++) {
      const u = units[i];
      if (u.start > pos) into.append(document.createTextNode(text.slice(pos, u.start)));
      const span = document.createElement('span');
      span.className = 'token';
      // A token the tokenizer added ([CLS], <s>, a translation's start tag) stands for no text: it is shown by its
      // name, marked, so the view's text is the analysed text plus these names.
      const special = u.tokens.length === 1 && start.tokens[u.tokens[0]]?.special === true;
      const shown = special ? (start.tokens[u.tokens[0]]?.text ?? '') : u.start >= pos ? text.slice(u.start, u.end) : '';
      if (special) {
        span.classList.add('token-special');
        span.title = t('token.special');
      } else if (shown === '') {
        // A token that shares one character with the piece before it (byte-level BPE on CJK or emoji). It stays
        // hoverable through a CSS marker (::before), so the view's text is still exactly the analysed text.
        span.classList.add('token-split');
      }
      if (/^\s+$/.test(shown)) span.classList.add('token-ws');
      if (shown.includes('\n')) span.classList.add('token-nl');
      // A continuation's tokens were written by the model, not read from the document (predictionsPanel.ts).
      if (start.firstGenerated !== undefined && u.tokens[0] >= start.firstGenerated) span.classList.add('token-generated');
      span.textContent = shown;
      span.dataset.unitIndex = String(i);
      span.dataset.tokenIndex = String(u.tokens[0]);
      span.setAttribute('role', 'button');
      span.tabIndex = -1;
      into.append(span);
      spans.push(span);
      pos = Math.max(pos, u.end);
    }
    if (pos < text.length) into.append(document.createTextNode(text.slice(pos)));
  };
  const tr = start.translation;
  if (tr) {
    // A translation: the source as it reads, then the translation (its start tag first, shown as a special token),
    // each a labelled block in its own language.
    const sourceUnits = ctx.sourceUnits(slot);
    const block = (side: 'source' | 'target', label: string, lang: string): HTMLElement => {
      const box = document.createElement('div');
      box.className = 'text-block';
      box.dataset.side = side;
      const heading = document.createElement('div');
      heading.className = 'text-block-label';
      heading.textContent = label;
      heading.id = `text-block-${slot}-${side}`;
      const body = document.createElement('div');
      body.className = 'text-block-body';
      body.lang = lang;
      body.setAttribute('role', 'group');
      body.setAttribute('aria-labelledby', heading.id);
      box.append(heading, body);
      container.append(box);
      return body;
    };
    const sourceLang = tr.to === 'zh' ? 'en' : 'zh-CN';
    const targetLang = tr.to === 'zh' ? 'zh-CN' : 'en';
    layOut(block('source', t('text.source'), sourceLang), start.text, 0, sourceUnits);
    const targetBody = block('target', tr.forced ? t('text.translationForced') : t('text.translation'), targetLang);
    layOut(targetBody, tr.targetText, sourceUnits, units.length);
    if (tr.partial) {
      const caret = document.createElement('span');
      caret.className = 'writing-caret';
      caret.setAttribute('aria-hidden', 'true');
      caret.textContent = '…';
      targetBody.append(caret);
    }
  } else {
    layOut(container, start.text, 0, units.length);
  }

  const m = ctx.matrix(slot);
  if (!m) {
    legend.textContent = t('banner.loadingHead');
    legend.classList.add('loading');
  }
  // The head is here: what the benches and tests take for the view's first paint with weights.
  if (m) container.dataset.headReady = 'true';
  const labels = m ? labelTokensAfterPaint(spans, container, m, ctx, slot) : null;

  const theme = canvasTheme();
  host.insertBefore(allHeadsControls(ctx, slot, start.model.heads, theme), legend);
  let stripes: HeadStripes | null = null;
  if (allHeadsActive(ctx.state)) {
    const heads = layerHeads(ctx, slot, theme);
    if (heads) {
      stripes = createHeadStripes(container, spans, heads, () => ({
        direction: ctx.directionFor(slot, ctx.focusUnit() ?? 0),
        scale: ctx.state.scale,
      }));
    }
    else {
      legend.textContent = t('banner.loadingHead');
      legend.classList.add('loading');
    }
  }

  const indexOf = (target: EventTarget | null): number => {
    const span = (target as HTMLElement | null)?.closest?.<HTMLElement>('.token');
    return span ? Number(span.dataset.unitIndex) : -1;
  };
  // Pointer sweeps cross several tokens a frame: one focus change (one restyle or canvas draw) per frame.
  const hoverUnit = oncePerFrame((i: number) => ctx.setFocus(i));
  container.addEventListener('mouseover', (e) => {
    const i = indexOf(e.target);
    if (i < 0) return;
    labels?.now(i);
    hoverUnit(i);
  });
  container.addEventListener('focusin', (e) => {
    const i = indexOf(e.target);
    if (i < 0) return;
    labels?.now(i); // before assistive technology reads the focused token
    ctx.setFocus(i);
  });
  container.addEventListener('click', (e) => {
    const i = indexOf(e.target);
    if (i >= 0) spans[i].focus();
  });
  container.addEventListener('keydown', (e) => {
    const i = indexOf(e.target);
    if (i < 0) return;
    let next: number;
    switch (e.key) {
      case 'ArrowRight':
        next = Math.min(i + 1, spans.length - 1);
        break;
      case 'ArrowLeft':
        next = Math.max(i - 1, 0);
        break;
      case 'ArrowDown':
      case 'ArrowUp':
        next = verticalNeighbour(spans, i, e.key === 'ArrowDown' ? 1 : -1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = spans.length - 1;
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        ctx.openComputation(i);
        return;
      default:
        return;
    }
    e.preventDefault();
    spans[next].focus();
  });

  // What each span shows now. A hover writes only the spans whose look changes: attention is sparse, so most
  // tokens stay unlit from one hover to the next, and untouched spans cost no style recalculation.
  const look = spans.map(() => ({ level: 0, weight: '', masked: false }));
  // The legend is rewritten only when its text changes: replacing it on every hover relaid out the pane.
  let legendKey = '';
  const setLegend = (key: string, fill: () => void): void => {
    if (key === legendKey) return;
    legendKey = key;
    fill();
  };
  let lastFocused = -1;
  let lastTabStop = -1;
  const show = (j: number, level: number, weight: string, masked: boolean): void => {
    const s = spans[j];
    const was = look[j];
    // A class per tint step (styles.css), not an inline colour: elements that share a step share their style.
    if (was.level !== level) {
      if (was.level > 0 && level > 0) s.classList.replace(`w${was.level}`, `w${level}`);
      else if (was.level > 0) s.classList.remove(`w${was.level}`);
      else s.classList.add(`w${level}`);
    }
    if (was.weight !== weight) {
      if (weight) s.dataset.weight = weight;
      else delete s.dataset.weight;
    }
    if (was.masked !== masked) {
      s.classList.toggle('masked', masked);
      if (masked) s.dataset.masked = 'true';
      else delete s.dataset.masked;
    }
    look[j] = { level, weight, masked };
  };
  const markFocused = (f: number): void => {
    if (lastFocused === f) return;
    if (lastFocused >= 0 && lastFocused < spans.length) {
      spans[lastFocused].classList.remove('focused');
      spans[lastFocused].removeAttribute('aria-current');
    }
    if (f >= 0) {
      spans[f].classList.add('focused');
      spans[f].setAttribute('aria-current', 'true');
    }
    lastFocused = f;
  };

  const updateFocus = (): void => {
    const f = ctx.focusUnit();
    const dir = f === null ? ctx.state.direction : ctx.directionFor(slot, f);
    // Roving tabindex: exactly one token is reachable with Tab — the focused one, else the first.
    const tabStop = f !== null && f < spans.length ? f : 0;
    if (tabStop !== lastTabStop && spans.length > 0) {
      if (lastTabStop >= 0) spans[lastTabStop].tabIndex = -1;
      spans[tabStop].tabIndex = 0;
      lastTabStop = tabStop;
    }
    if (f === null || f >= spans.length || !m) {
      for (let j = 0; j < spans.length; j++) show(j, 0, '', false);
      markFocused(-1);
      stripes?.draw(null);
      if (stripes) setLegend('all', () => (legend.textContent = t('allHeads.textLegend', layerLabel(start, ctx.state.layer))));
      else if (m) setLegend('plain', () => (legend.textContent = t('text.legend')));
      return;
    }
    if (stripes) {
      // Every head: the stripes carry the weights; the spans keep only the mask marks and the focus outline.
      for (let j = 0; j < spans.length; j++) show(j, 0, '', isMasked(m, f, j, dir));
      markFocused(f);
      stripes.draw(f);
      setLegend('all', () => (legend.textContent = t('allHeads.textLegend', layerLabel(start, ctx.state.layer))));
      return;
    }
    const w = weightsFor(m, f, dir);
    const visible = w.map((x, j) => (isMasked(m, f, j, dir) ? 0 : x));
    const max = maxValue(visible);
    for (let j = 0; j < spans.length; j++) {
      if (isMasked(m, f, j, dir)) show(j, 0, '', true);
      else show(j, weightLevel(ctx.intensity(w[j], max)), w[j].toFixed(3), false);
    }
    markFocused(f);
    const shownMax = ctx.state.scale ? max.toFixed(3) : '';
    setLegend(`max:${shownMax}`, () => {
      legend.textContent = ctx.state.scale ? t('text.legendScaled', shownMax) : t('text.legend');
      legend.append(scaleBar(ctx.state.scale ? max : 1));
    });
  };
  updateFocus();

  const toSvg = (): string => {
    const box = container.getBoundingClientRect();
    const parts: string[] = [];
    const fg = toSvgColor(getComputedStyle(container).color);
    spans.forEach((s, j) => {
      const r = s.getBoundingClientRect();
      const x = r.left - box.left;
      const y = r.top - box.top;
      const bg = getComputedStyle(s).backgroundColor;
      if (look[j].level > 0) parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${r.width.toFixed(1)}" height="${r.height.toFixed(1)}" fill="${toSvgColor(bg)}"/>`);
      const label = s.classList.contains('token-split') ? '·' : (s.textContent ?? '').replace(/\n/g, '↵');
      parts.push(`<text x="${x.toFixed(1)}" y="${(y + r.height * 0.75).toFixed(1)}" xml:space="preserve">${svgEscape(label)}</text>`);
    });
    const style = `font-family:${svgEscape(getComputedStyle(container).fontFamily)};font-size:${getComputedStyle(container).fontSize};fill:${fg}`;
    return svgDocument(Math.ceil(container.scrollWidth), Math.ceil(container.scrollHeight), `<g style="${style}">${parts.join('')}</g>`);
  };

  return { updateFocus, toSvg };
};

/**
 * Up/Down move to the token on the next/previous visual line that is horizontally closest, as a caret would;
 * on the first/last line they fall back to the previous/next token.
 */
function verticalNeighbour(spans: readonly HTMLElement[], from: number, dir: 1 | -1): number {
  const here = spans[from].getBoundingClientRect();
  const x = here.left + here.width / 2;
  let best = -1;
  let bestLineTop = dir === 1 ? Infinity : -Infinity;
  let bestDx = Infinity;
  for (let j = from + dir; j >= 0 && j < spans.length; j += dir) {
    const r = spans[j].getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const onOtherLine = dir === 1 ? r.top >= here.bottom - 1 : r.bottom <= here.top + 1;
    if (!onOtherLine) continue;
    // Only the nearest line counts.
    if (best >= 0 && (dir === 1 ? r.top > bestLineTop + 1 : r.top < bestLineTop - 1)) break;
    const dx = Math.abs(r.left + r.width / 2 - x);
    if (best < 0 || dx < bestDx) {
      best = j;
      bestDx = dx;
      bestLineTop = r.top;
    }
  }
  if (best >= 0) return best;
  return Math.max(0, Math.min(spans.length - 1, from + dir));
}

/** A small colour key: 0 → the weight drawn at full intensity. */
export function scaleBar(max: number): HTMLElement {
  const key = document.createElement('span');
  key.className = 'scale-key';
  key.setAttribute('aria-hidden', 'true');
  const lo = document.createElement('span');
  lo.textContent = '0';
  const bar = document.createElement('span');
  bar.className = 'scale-bar';
  const hi = document.createElement('span');
  hi.textContent = max.toFixed(3);
  key.append(lo, bar, hi);
  return key;
}

function isMasked(m: AttentionMatrix, focus: number, other: number, dir: 'to' | 'from'): boolean {
  return dir === 'to' ? m.masked(focus, other) : m.masked(other, focus);
}

/** Spans labelled per task while the rest wait: ~2 ms at 512 tokens, so hovering stays smooth meanwhile. */
const LABELS_PER_TASK = 64;

/**
 * aria-label per token: its text and the three tokens it attends to most (or is attended by, flipped). Each label
 * reads a row of the head and ranks it, so all of them cost O(n²): at 512 tokens ~15 ms, three quarters of the text
 * view's render (a CPU profile of the page), which the first paint does not need. They are written after that
 * paint, a slice per task, until every span of this render has one or the view is replaced; `now(i)` labels a
 * token that is hovered or focused before its turn.
 */
function labelTokensAfterPaint(spans: HTMLElement[], container: HTMLElement, m: AttentionMatrix, ctx: ViewContext, slot: Slot): { now(i: number): void } {
  const done = new Uint8Array(spans.length);
  const label = (i: number): void => {
    if (done[i]) return;
    done[i] = 1;
    const dir = ctx.directionFor(slot, i);
    const w = weightsFor(m, i, dir);
    const top = topK(w, 3).filter((j) => w[j] > 0 && !isMasked(m, i, j, dir));
    const list = top.map((j) => `“${m.labels[j].trim() || m.labels[j]}” ${w[j].toFixed(2)}`).join(', ') || '—';
    spans[i].setAttribute('aria-label', t(dir === 'to' ? 'token.label' : 'token.labelFrom', i + 1, m.labels[i], list));
  };
  let next = 0;
  const slice = (): void => {
    // A render replaced this view (a new head, a new setting): its spans are gone, and so is the work.
    if (!container.isConnected) return;
    const end = Math.min(spans.length, next + LABELS_PER_TASK);
    for (; next < end; next++) label(next);
    if (next < spans.length) setTimeout(slice, 0);
  };
  // After the frame that paints this render: a task queued from the next animation frame runs once it is drawn.
  requestAnimationFrame(() => setTimeout(slice, 0));
  return { now: label };
}
