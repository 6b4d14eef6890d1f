/**
 * Head view (as in BertViz): queries in the left column, keys in the right, a line per pair whose opacity is
 * the weight; several heads at once, each in its own colour. Drawn on canvas so it stays smooth at hundreds of
 * tokens. Two layers: the base canvas holds the labels (drawn once, as a static bitmap: layeredCanvas.ts
 * paintStatic), the overlay holds the lines and the focused label's outline — a hover redraws only the overlay.
 * "Every head of the layer" (allHeads.ts) draws all heads of the layer at once.
 *
 * A hover stays well inside a frame with every head drawn: each head's visible lines per token are listed once
 * per analysis (headLines.ts), a hover walks those lists and strokes one path per head colour and opacity step,
 * clears only the rows the previous hover inked (no element moves, no style changes), the pointer's row comes
 * from one layout read per frame, and pointer moves are coalesced to one draw per frame.
 */
import type { Slot } from '../../src/protocol/messages';
import type { AttentionMatrix } from '../attentionMath';
import { createCheckbox } from '../controls';
import { svgDocument, svgEscape } from '../exportView';
import { t } from '../strings';
import { canvasTheme } from '../theme';
import { setNote } from '../translation';
import { allHeadsActive, allHeadsControls, headColor, layerHeads } from './allHeads';
import { LINE_STEPS, lineLists, MAX_LINES_ALL_HEADS } from './headLines';
import type { ViewHandle, ViewRenderer } from './viewContext';
import { createLayeredCanvas, keepOverlayInViewport, paintStatic, type OverlayBand } from './layeredCanvas';
import { oncePerFrame } from './oncePerFrame';

const LABEL_W = 150;
const GAP = 240;
const PAD = 8;
/** Rows around a line's ends that its stroke (1.5 px, antialiased, at any device pixel ratio) may ink. */
const INK_MARGIN = 3;
/** With no token hovered, every pair is drawn at half its weight: pairs under this weight are skipped. */
const MIN_OVERVIEW_WEIGHT = 0.04;

/** Rows of the picture (CSS px from its top) that the overlay's lines inked. */
interface Ink {
  top: number;
  bottom: number;
}

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

  // Which matrices to draw: every head of the layer, or the current selection plus extra heads of the same layer
  // in single-head mode.
  const layers: Array<{ name: string; color: string; m: AttentionMatrix | null }> = [];
  const allHeads = allHeadsActive(ctx.state);
  if (allHeads) legend.textContent = t('allHeads.headLegend');
  const set = ctx.attentionSet(slot);
  if (set) {
    // Which tokens are in which column for this attention (webview/translation.ts).
    host.append(setNote(set, { encoder: 'head.how.encoder', decoder: 'head.how.decoder', cross: 'head.how.cross' }));
  }
  host.append(allHeadsControls(ctx, slot, start.model.heads, theme));
  if (allHeads) {
    const drawn = layerHeads(ctx, slot, theme);
    for (const d of drawn ?? []) layers.push({ name: `${layer + 1}.${d.head + 1}`, color: d.color, m: d.m });
  } else if (aggregate === 'head' && !ctx.state.wordLevel) {
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
      if (pos >= 0) swatch.style.backgroundColor = headColor(theme, pos);
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
      layers.push({ name: `${layer + 1}.${h + 1}`, color: headColor(theme, i), m: ctx.headMatrix(slot, layer, h) }),
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
  // A translation shows its set's tokens only: cross has the target tokens (each the decoder step that wrote it,
  // webview/translation.ts) on the left and the source tokens on the right; encoder and decoder their own tokens.
  const crop = ctx.block(slot);
  const left = crop?.rows ?? { start: 0, end: n };
  const right = crop?.cols ?? { start: 0, end: n };
  const shownRows = Math.max(left.end - left.start, right.end - right.start);
  const rowH = shownRows > 200 ? 13 : 16;
  const width = LABEL_W * 2 + GAP;
  const height = PAD * 2 + shownRows * rowH;
  const { wrap, base, overlay, dpr } = createLayeredCanvas(width, height, 'head-canvas');
  base.setAttribute('aria-label', t('head.legend'));
  base.dataset.n = String(n);
  base.dataset.left = `${left.start}-${left.end}`;
  base.dataset.right = `${right.start}-${right.end}`;
  base.dataset.rowHeight = String(rowH);
  base.dataset.heads = layers.map((x) => x.name).join(',');
  base.dataset.allHeads = String(allHeads);
  wrap.append(base, overlay);
  host.append(wrap);

  const yOf = (i: number): number => PAD + i * rowH + rowH / 2;
  /** Where query q's label sits (left column) and key k's (right column). */
  const yL = (q: number): number => yOf(q - left.start);
  const yR = (k: number): number => yOf(k - right.start);
  const x0 = LABEL_W;
  const x1 = LABEL_W + GAP;
  base.dataset.columns = `${x0},${x1}`; // where the lines start and end (CSS px), for the tests
  // The labels never change while the view is on screen: drawn once, as a picture a hover's frame does not copy.
  paintStatic(base, (g) => {
    g.scale(dpr, dpr);
    g.font = `${rowH - 4}px ${theme.fontFamily}`;
    g.textBaseline = 'middle';
    g.fillStyle = theme.foreground;
    g.textAlign = 'right';
    for (let i = left.start; i < left.end; i++) g.fillText(label(labels[i]), x0 - 6, yL(i));
    g.textAlign = 'left';
    for (let i = right.start; i < right.end; i++) g.fillText(label(labels[i]), x1 + 6, yR(i));
  });

  /** One line of the picture, for the SVG export (the canvas draws from the lists without making these). */
  interface Line {
    q: number;
    k: number;
    alpha: number;
    color: string;
    /** vertical offset of this head's lines (px) */
    dy: number;
  }
  const drawnLayers = layers.filter((x): x is { name: string; color: string; m: AttentionMatrix } => x.m !== null);
  // Every head of a layer: at most MAX_LINES_ALL_HEADS lines per token and head (headLines.ts says why).
  const cap = allHeads ? MAX_LINES_ALL_HEADS : n;
  // With several heads, each head's lines end at its own height within the rows (a 1–1.5 px step per head): lines
  // of two heads between the same pair of tokens would otherwise lie exactly on top of each other, and only the
  // head drawn last would show.
  const headStep = drawnLayers.length > 1 ? Math.min(1.5, (rowH - 4) / drawnLayers.length) : 0;
  const offsetOf = (li: number): number => (li - (drawnLayers.length - 1) / 2) * headStep;

  /**
   * Calls `line` for every line to draw now: the focused token's lines from its lists, or with no token focused
   * every pair at half its weight. `step` is the opacity in LINE_STEPS steps.
   */
  const eachLine = (line: (layer: number, q: number, k: number, step: number) => void): void => {
    const f = ctx.focusUnit();
    const dir = f === null ? ctx.state.direction : ctx.directionFor(slot, f);
    const to = dir === 'to';
    drawnLayers.forEach(({ m }, li) => {
      if (f !== null && f < n) {
        const lists = lineLists(m, dir, ctx.state.scale, cap);
        for (let i = lists.start[f]; i < lists.start[f + 1]; i++) {
          const j = lists.other[i];
          const q = to ? f : j;
          const k = to ? j : f;
          if (q >= left.start && q < left.end && k >= right.start && k < right.end) line(li, q, k, lists.step[i]);
        }
      } else {
        for (let q = left.start; q < left.end; q++) {
          for (let k = right.start; k < right.end; k++) {
            const w = m.data[q * n + k];
            if (w >= MIN_OVERVIEW_WEIGHT && !m.masked(q, k)) line(li, q, k, Math.max(1, Math.round(w * 0.5 * LINE_STEPS)));
          }
        }
      }
    });
  };

  const lines = (): Line[] => {
    const out: Line[] = [];
    eachLine((li, q, k, step) => out.push({ q, k, alpha: step / LINE_STEPS, color: drawnLayers[li].color, dy: offsetOf(li) }));
    return out;
  };

  /**
   * Draws the lines and the focus outline of rows [top, top + height) of the picture into `c`. Returns the rows
   * the lines inked (widened by INK_MARGIN, within the band), or null when none was drawn.
   */
  const drawLines = (c: CanvasRenderingContext2D, top: number, height: number): Ink | null => {
    c.lineWidth = 1.5;
    // One path per head and opacity step, stroked with globalAlpha, instead of one stroke (and one colour string)
    // per line: every stroke() call has a fixed cost, and a hover with all heads draws hundreds of lines.
    const paths: Array<Array<Path2D | undefined>> = drawnLayers.map(() => []);
    const perHead = drawnLayers.map(() => 0);
    const bottom = top + height;
    let inkTop = Infinity;
    let inkBottom = -Infinity;
    eachLine((li, q, k, step) => {
      perHead[li]++;
      const y0 = yL(q) + offsetOf(li);
      const y1 = yR(k) + offsetOf(li);
      if ((y0 < top && y1 < top) || (y0 > bottom && y1 > bottom)) return; // outside the band: invisible
      if (y0 < inkTop) inkTop = y0;
      if (y1 < inkTop) inkTop = y1;
      if (y0 > inkBottom) inkBottom = y0;
      if (y1 > inkBottom) inkBottom = y1;
      const byStep = paths[li];
      const p = byStep[step] ?? (byStep[step] = new Path2D());
      p.moveTo(x0, y0);
      p.lineTo(x1, y1);
    });
    paths.forEach((byStep, li) => {
      c.strokeStyle = drawnLayers[li].color;
      byStep.forEach((p, step) => {
        if (!p) return;
        c.globalAlpha = step / LINE_STEPS;
        c.stroke(p);
      });
    });
    c.globalAlpha = 1;
    const ink = inkTop > inkBottom ? null : { top: Math.max(top, Math.floor(inkTop - INK_MARGIN)), bottom: Math.min(bottom, Math.ceil(inkBottom + INK_MARGIN)) };
    // The draw log the tests read: lines per drawn head (lines of different heads to the same key coincide, so
    // the pixels alone cannot tell every head was drawn).
    if (c.canvas === overlay) {
      const drawLog = perHead.join(',');
      if (overlay.dataset.linesPerHead !== drawLog) overlay.dataset.linesPerHead = drawLog;
      return ink; // on screen the focus outline is drawn by drawOverlay
    }
    const box = focusPlace();
    if (box) {
      c.strokeStyle = theme.focus;
      c.strokeRect(box.x, box.y, LABEL_W - 4, rowH);
    }
    return ink;
  };
  /** The focused label's box: on the left as a query ('to'), on the right as a key; null when not drawn. */
  const focusPlace = (): { x: number; y: number } | null => {
    const f = ctx.focusUnit();
    if (f === null || f >= n) return null;
    const side = ctx.directionFor(slot, f) === 'to' ? left : right;
    if (f < side.start || f >= side.end) return null;
    return { x: side === left ? 2 : x1 + 2, y: PAD + (f - side.start) * rowH };
  };

  // The overlay spans the picture's width (the focused label's outline is drawn on it too) and only the viewport's
  // rows of its height (layeredCanvas.ts). A hover clears only the rows the last draw inked, then draws its own
  // lines and outline: no element moves (no style recalculation, repaint or re-layerizing), and a hover whose lines
  // and outline are all outside the band, after one whose were too, draws nothing at all.
  const overlayLeft = 0;
  const overlayWidth = width;

  const o = overlay.getContext('2d');
  /** What the overlay holds: the band it was drawn for and the rows its ink covers. */
  let drawnBand: OverlayBand | null = null;
  let inked: Ink | null = null;
  const drawOverlay = (): void => {
    if (!o) return;
    const band = currentBand();
    o.setTransform(dpr, 0, 0, dpr, -overlayLeft * dpr, -band.top * dpr);
    // A new band object means the overlay was resized (and so cleared) or is not on screen yet: clear it all.
    if (band !== drawnBand) o.clearRect(overlayLeft, band.top, overlayWidth, band.height);
    else if (inked) o.clearRect(overlayLeft, inked.top, overlayWidth, inked.bottom - inked.top);
    drawnBand = band;
    inked = drawLines(o, band.top, band.height);
    // The focused label's outline: a 1 px border inside its box (as a CSS border would be), on whole pixels.
    const box = focusPlace();
    const bottom = band.top + band.height;
    if (box && box.y + rowH > band.top && box.y < bottom) {
      o.lineWidth = 1;
      o.strokeStyle = theme.focus;
      o.strokeRect(box.x + 0.5, box.y + 0.5, LABEL_W - 5, rowH - 1);
      const top = Math.max(band.top, box.y - 1);
      const end = Math.min(bottom, box.y + rowH + 1);
      inked = inked ? { top: Math.min(inked.top, top), bottom: Math.max(inked.bottom, end) } : { top, bottom: end };
    }
  };
  const currentBand = keepOverlayInViewport({ wrap, base, overlay, dpr }, { left: overlayLeft, width: overlayWidth }, height, () => drawOverlay());
  drawOverlay();

  // One row lookup (and so one layout read, while the layout is clean) and one draw per frame, however many moves.
  const hoverAt = oncePerFrame((point: { x: number; y: number }) => {
    const r = base.getBoundingClientRect(); // the overlay is only a band of the picture; rows count from the base
    // The column under the pointer (its nearer half of the picture) says which token: they differ for cross.
    const side = point.x - r.left < width / 2 ? left : right;
    const i = side.start + Math.floor((point.y - r.top - PAD) / rowH);
    if (i >= side.start && i < side.end && i !== ctx.focusUnit()) ctx.setFocus(i);
  });
  // On the wrap: the pointer may be over the labels (the base) or the lines (the overlay).
  wrap.addEventListener('mousemove', (e) => hoverAt({ x: e.clientX, y: e.clientY }));

  const toSvg = (): string => {
    const parts: string[] = [];
    for (const l of lines()) {
      parts.push(`<line x1="${x0}" y1="${yL(l.q) + l.dy}" x2="${x1}" y2="${yR(l.k) + l.dy}" stroke="${l.color}" stroke-opacity="${l.alpha.toFixed(3)}" stroke-width="1.5"/>`);
    }
    const fs = rowH - 4;
    for (let i = left.start; i < left.end; i++) {
      parts.push(`<text x="${x0 - 6}" y="${yL(i) + fs / 3}" text-anchor="end">${svgEscape(label(labels[i]))}</text>`);
    }
    for (let i = right.start; i < right.end; i++) {
      parts.push(`<text x="${x1 + 6}" y="${yR(i) + fs / 3}">${svgEscape(label(labels[i]))}</text>`);
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
