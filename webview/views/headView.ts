/**
 * Head view (as in BertViz): queries in the left column, keys in the right, a line per pair whose opacity is
 * the weight; several heads at once, each in its own colour. Drawn on canvas so it stays smooth at hundreds of
 * tokens. Two layers: the base canvas holds the labels (drawn once), the overlay holds the lines — a hover
 * redraws only the overlay.
 */
import type { Slot } from '../../src/protocol/messages';
import type { AttentionMatrix } from '../attentionMath';
import { createCheckbox } from '../controls';
import { svgDocument, svgEscape } from '../exportView';
import { t } from '../strings';
import { canvasTheme, withAlpha } from '../theme';
import type { ViewHandle, ViewRenderer } from './viewContext';
import { createLayeredCanvas, keepOverlayInViewport } from './layeredCanvas';

const LABEL_W = 150;
const GAP = 240;
const PAD = 8;
/**
 * Lines of the hovered token lighter than this are skipped: on any theme a 1.5 px line at 3% opacity cannot be
 * seen, and each line drawn costs raster time in the hover's frame.
 */
const MIN_VISIBLE = 0.03;
/** With no token hovered, every pair is drawn at half its weight: pairs under this weight are skipped. */
const MIN_OVERVIEW_WEIGHT = 0.04;
/** Line opacities are drawn in this many steps (see drawOverlay). */
const ALPHA_STEPS = 64;

function label(text: string): string {
  const s = text.replace(/\n/g, '↵');
  return s.length > 20 ? `${s.slice(0, 19)}…` : s;
}

export const renderHeadView: ViewRenderer = (host, ctx, slot: Slot): ViewHandle => {
  const start = ctx.analysis(slot);
  const legend = document.createElement('p');
  legend.className = 'legend';
  legend.textContent = t('head.legend');
  host.append(legend);
  const empty: ViewHandle = { updateFocus: () => undefined, toSvg: () => svgDocument(1, 1, '') };
  if (!start) return empty;
  const theme = canvasTheme();
  const { layer, head, aggregate } = ctx.state;

  // Which matrices to draw: the current selection, plus extra heads of the same layer in single-head mode.
  const layers: Array<{ name: string; color: string; m: AttentionMatrix | null }> = [];
  if (aggregate === 'head' && !ctx.state.wordLevel) {
    const heads = [head, ...ctx.state.headSet.filter((h) => h !== head)];
    const strip = document.createElement('div');
    strip.className = 'head-strip';
    strip.setAttribute('role', 'group');
    strip.setAttribute('aria-label', t('head.heads'));
    for (let h = 0; h < start.model.heads; h++) {
      const item = document.createElement('span');
      item.className = 'head-toggle';
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      const pos = heads.indexOf(h);
      if (pos >= 0) swatch.style.backgroundColor = theme.palette[pos % theme.palette.length];
      // The current head (chosen in the toolbar) is always drawn; the others can be added.
      const box = createCheckbox(
        `head-toggle-${slot}-${h}`,
        `H${h + 1}`,
        pos >= 0,
        (on) => {
          const set = new Set(ctx.state.headSet);
          if (on) set.add(h);
          else set.delete(h);
          ctx.setHeadSet([...set].sort((a, b) => a - b));
        },
        h === head,
      );
      item.append(swatch, box);
      strip.append(item);
    }
    host.append(strip);
    heads.forEach((h, i) =>
      layers.push({ name: `${layer + 1}.${h + 1}`, color: theme.palette[i % theme.palette.length], m: ctx.headMatrix(slot, layer, h) }),
    );
  } else {
    layers.push({ name: ctx.state.aggregate, color: theme.palette[0], m: ctx.matrix(slot) });
  }
  const first = layers.find((x) => x.m)?.m;
  if (!first) {
    legend.textContent = t('banner.loadingHead');
    return empty;
  }
  const n = first.n;
  const labels = first.labels;
  const rowH = n > 200 ? 13 : 16;
  const width = LABEL_W * 2 + GAP;
  const height = PAD * 2 + n * rowH;
  const { wrap, base, overlay, dpr } = createLayeredCanvas(width, height, 'head-canvas');
  base.setAttribute('aria-label', t('head.legend'));
  base.dataset.n = String(n);
  base.dataset.rowHeight = String(rowH);
  base.dataset.heads = layers.map((x) => x.name).join(',');
  wrap.append(base, overlay);
  host.append(wrap);

  const yOf = (i: number): number => PAD + i * rowH + rowH / 2;
  const x0 = LABEL_W;
  const x1 = LABEL_W + GAP;
  const g = base.getContext('2d');
  if (g) {
    g.scale(dpr, dpr);
    g.font = `${rowH - 4}px ${theme.fontFamily}`;
    g.textBaseline = 'middle';
    g.fillStyle = theme.foreground;
    for (let i = 0; i < n; i++) {
      g.textAlign = 'right';
      g.fillText(label(labels[i]), x0 - 6, yOf(i));
      g.textAlign = 'left';
      g.fillText(label(labels[i]), x1 + 6, yOf(i));
    }
  }

  /** The lines to draw now: all of them, or only those of the focused token. */
  const lines = (): Array<{ q: number; k: number; alpha: number; color: string }> => {
    const f = ctx.focusUnit();
    const out: Array<{ q: number; k: number; alpha: number; color: string }> = [];
    for (const { m, color } of layers) {
      if (!m) continue;
      if (f !== null && f < n) {
        let max = 0;
        for (let j = 0; j < n; j++) {
          const w = ctx.state.direction === 'to' ? m.data[f * n + j] : m.data[j * n + f];
          if (w > max) max = w;
        }
        for (let j = 0; j < n; j++) {
          const [q, k] = ctx.state.direction === 'to' ? [f, j] : [j, f];
          if (m.masked(q, k)) continue;
          const alpha = ctx.intensity(m.data[q * n + k], max);
          if (alpha >= MIN_VISIBLE) out.push({ q, k, alpha, color });
        }
      } else {
        for (let q = 0; q < n; q++) {
          for (let k = 0; k < n; k++) {
            const w = m.data[q * n + k];
            if (w >= MIN_OVERVIEW_WEIGHT && !m.masked(q, k)) out.push({ q, k, alpha: w * 0.5, color });
          }
        }
      }
    }
    return out;
  };

  /** Draws the lines and the focus outline of rows [top, top + height) of the picture into `c`. */
  const drawLines = (c: CanvasRenderingContext2D, top: number, height: number): void => {
    c.lineWidth = 1.5;
    // One path per colour and opacity step (64 steps, finer than the eye tells apart) instead of one stroke per
    // line: a hover at 512 tokens draws up to 512 lines per head, and each stroke() call has a fixed cost.
    const paths = new Map<string, Path2D>();
    for (const l of lines()) {
      const y0 = yOf(l.q);
      const y1 = yOf(l.k);
      if (Math.max(y0, y1) < top || Math.min(y0, y1) > top + height) continue; // outside the band: invisible
      const style = withAlpha(l.color, Math.round(l.alpha * ALPHA_STEPS) / ALPHA_STEPS);
      let p = paths.get(style);
      if (!p) paths.set(style, (p = new Path2D()));
      p.moveTo(x0, y0);
      p.lineTo(x1, y1);
    }
    for (const [style, p] of paths) {
      c.strokeStyle = style;
      c.stroke(p);
    }
    const f = ctx.focusUnit();
    if (f !== null && f < n) {
      c.strokeStyle = theme.focus;
      const x = ctx.state.direction === 'to' ? 2 : x1 + 2;
      c.strokeRect(x, PAD + f * rowH, LABEL_W - 4, rowH);
    }
  };

  const o = overlay.getContext('2d');
  const drawOverlay = (): void => {
    if (!o) return;
    const band = currentBand();
    o.setTransform(dpr, 0, 0, dpr, 0, -band.top * dpr);
    o.clearRect(0, band.top, width, band.height);
    drawLines(o, band.top, band.height);
  };
  const currentBand = keepOverlayInViewport({ wrap, base, overlay, dpr }, width, height, () => drawOverlay());
  drawOverlay();

  overlay.addEventListener('mousemove', (e) => {
    const r = base.getBoundingClientRect(); // the overlay is only a band of the picture; rows count from the base
    const i = Math.floor((e.clientY - r.top - PAD) / rowH);
    if (i >= 0 && i < n && i !== ctx.focusUnit()) ctx.setFocus(i);
  });

  const toSvg = (): string => {
    const parts: string[] = [];
    for (const l of lines()) {
      parts.push(`<line x1="${x0}" y1="${yOf(l.q)}" x2="${x1}" y2="${yOf(l.k)}" stroke="${l.color}" stroke-opacity="${l.alpha.toFixed(3)}" stroke-width="1.5"/>`);
    }
    const fs = rowH - 4;
    for (let i = 0; i < n; i++) {
      parts.push(`<text x="${x0 - 6}" y="${yOf(i) + fs / 3}" text-anchor="end">${svgEscape(label(labels[i]))}</text>`);
      parts.push(`<text x="${x1 + 6}" y="${yOf(i) + fs / 3}">${svgEscape(label(labels[i]))}</text>`);
    }
    return svgDocument(width, height, `<g font-family="${svgEscape(theme.fontFamily)}" font-size="${fs}" fill="${theme.foreground}">${parts.join('')}</g>`, theme.background);
  };

  const toCanvas = (): HTMLCanvasElement => {
    const c = document.createElement('canvas');
    c.width = base.width;
    c.height = base.height;
    const cg = c.getContext('2d');
    if (cg) {
      cg.fillStyle = theme.background;
      cg.fillRect(0, 0, c.width, c.height);
      // The overlay holds only the visible band: draw every line again at full height for the export.
      cg.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawLines(cg, 0, height);
      cg.setTransform(1, 0, 0, 1, 0, 0);
      cg.drawImage(base, 0, 0);
    }
    return c;
  };

  return { updateFocus: drawOverlay, toSvg, toCanvas };
};
