/**
 * Matrix view: the query × key heatmap on a canvas (one fillRect per cell, so hundreds of tokens stay smooth).
 * Masked cells — decided by the mask kind, not by a zero value — are drawn hatched. Hovering a cell shows its
 * value; the focused query row (or key column, flipped) is outlined on a separate overlay canvas, so a hover
 * redraws only the overlay.
 * Also used by the difference view with a signed colour scale.
 */
import type { TokenRange } from '../../src/common/translation';
import type { Slot } from '../../src/protocol/messages';
import type { AttentionMatrix } from '../attentionMath';
import { svgDocument, svgEscape } from '../exportView';
import { t } from '../strings';
import { canvasTheme, rgbOf, withAlpha, type CanvasTheme } from '../theme';
import { scaleBar } from './textView';
import type { ViewContext, ViewHandle, ViewRenderer } from './viewContext';
import { createLayeredCanvas } from './layeredCanvas';

/** A cell colour: resolved theme colour and an opacity in [0, 1]. */
export interface CellColor {
  rgb: [number, number, number];
  alpha: number;
}

export interface MatrixOptions {
  /** Fill colour of a visible cell. */
  colorFor(value: number, theme: CanvasTheme): CellColor;
  /** Text of the hover tooltip for a visible cell. */
  formatValue(value: number): string;
  /** Hovering a cell focuses its query (or key) token in every view. */
  focusOnHover: boolean;
  /** Only these rows (queries) and columns (keys) are drawn (a translation's set); default: the whole matrix. */
  crop?: { rows: TokenRange; cols: TokenRange } | null;
  /** The slot drawn (for the focus's direction); default 0. */
  slot?: Slot;
}

const MAX_SIZE_PX = 640;

export function matrixGeometry(n: number): { cell: number; margin: number } {
  const cell = Math.max(2, Math.min(22, Math.floor(MAX_SIZE_PX / Math.max(n, 1))));
  return { cell, margin: cell >= 10 ? 90 : 6 };
}

function truncate(label: string, max = 12): string {
  const s = label.replace(/\n/g, '↵').replace(/\s/g, '·');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function createMatrixCanvas(
  host: HTMLElement,
  ctx: ViewContext,
  m: AttentionMatrix,
  opts: MatrixOptions,
): ViewHandle {
  const theme = canvasTheme();
  const n = m.n;
  // Rows q ∈ [r0, r0 + R) and columns k ∈ [c0, c0 + C) of the matrix; drawn at (k − c0, q − r0).
  const r0 = opts.crop?.rows.start ?? 0;
  const R = opts.crop ? opts.crop.rows.end - opts.crop.rows.start : n;
  const c0 = opts.crop?.cols.start ?? 0;
  const C = opts.crop ? opts.crop.cols.end - opts.crop.cols.start : n;
  const slot = opts.slot ?? 0;
  const { cell, margin } = matrixGeometry(Math.max(R, C));
  const width = margin + C * cell + 2;
  const height = margin + R * cell + 2;
  const { wrap, base, overlay, dpr } = createLayeredCanvas(width, height, 'matrix-canvas');
  base.setAttribute('aria-label', t('matrix.legend'));
  let maskedCells = 0;
  const tooltip = document.createElement('div');
  tooltip.className = 'tooltip';
  tooltip.hidden = true;
  wrap.append(base, overlay, tooltip);
  host.append(wrap);

  const g = base.getContext('2d');
  if (g) {
    // Cells are painted straight into an ImageData (one pass over the pixels): far faster than n² fillRects at
    // hundreds of tokens. Masked cells get diagonal hatching so they never read as "weight 0".
    const pxW = Math.round(C * cell * dpr);
    const pxH = Math.round(R * cell * dpr);
    const img = g.createImageData(Math.max(pxW, 1), Math.max(pxH, 1));
    const [mr, mg, mb] = rgbOf(theme.muted);
    const colours: Array<CellColor | null> = new Array<CellColor | null>(R * C);
    for (let qi = 0; qi < R; qi++) {
      for (let ki = 0; ki < C; ki++) {
        const q = r0 + qi;
        const k = c0 + ki;
        const masked = m.masked(q, k);
        if (masked) maskedCells++;
        colours[qi * C + ki] = masked ? null : opts.colorFor(m.data[q * n + k], theme);
      }
    }
    const step = cell * dpr;
    for (let y = 0; y < pxH; y++) {
      const qi = Math.min(R - 1, Math.floor(y / step));
      for (let x = 0; x < pxW; x++) {
        const ki = Math.min(C - 1, Math.floor(x / step));
        const c = colours[qi * C + ki];
        const o = (y * Math.max(pxW, 1) + x) * 4;
        if (c === null) {
          const line = (x + y) % Math.max(4, Math.round(6 * dpr)) === 0;
          img.data[o] = mr;
          img.data[o + 1] = mg;
          img.data[o + 2] = mb;
          img.data[o + 3] = line ? 150 : 28;
        } else {
          img.data[o] = c.rgb[0];
          img.data[o + 1] = c.rgb[1];
          img.data[o + 2] = c.rgb[2];
          img.data[o + 3] = Math.round(Math.max(0, Math.min(1, c.alpha)) * 255);
        }
      }
    }
    g.putImageData(img, Math.round(margin * dpr), Math.round(margin * dpr));
    g.scale(dpr, dpr);
    g.strokeStyle = withAlpha(theme.muted, 0.6);
    g.strokeRect(margin - 0.5, margin - 0.5, C * cell + 1, R * cell + 1);
    if (margin > 10) {
      g.fillStyle = theme.foreground;
      g.font = `${Math.min(cell - 1, 12)}px ${theme.fontFamily}`;
      g.textBaseline = 'middle';
      g.textAlign = 'right';
      for (let i = 0; i < R; i++) g.fillText(truncate(m.labels[r0 + i]), margin - 4, margin + i * cell + cell / 2);
      g.save();
      g.rotate(-Math.PI / 2);
      g.textAlign = 'left';
      for (let i = 0; i < C; i++) g.fillText(truncate(m.labels[c0 + i]), -margin + 4, margin + i * cell + cell / 2);
      g.restore();
    }
  }
  base.dataset.n = String(n);
  base.dataset.rows = String(R);
  base.dataset.cols = String(C);
  base.dataset.firstRow = String(r0);
  base.dataset.firstCol = String(c0);
  base.dataset.cell = String(cell);
  base.dataset.margin = String(margin);
  base.dataset.maskedCells = String(maskedCells);

  const o = overlay.getContext('2d');
  let hover: { q: number; k: number } | null = null;
  const drawOverlay = (): void => {
    if (!o) return;
    o.setTransform(dpr, 0, 0, dpr, 0, 0);
    o.clearRect(0, 0, width, height);
    o.lineWidth = 2;
    o.strokeStyle = theme.focus;
    const f = ctx.focusUnit();
    if (f !== null && f < n) {
      if (ctx.directionFor(slot, f) === 'to') {
        if (f >= r0 && f < r0 + R) o.strokeRect(margin, margin + (f - r0) * cell, C * cell, cell);
      } else if (f >= c0 && f < c0 + C) o.strokeRect(margin + (f - c0) * cell, margin, cell, R * cell);
    }
    if (hover) {
      o.strokeStyle = theme.foreground;
      o.strokeRect(margin + (hover.k - c0) * cell, margin + (hover.q - r0) * cell, cell, cell);
    }
  };
  drawOverlay();

  overlay.addEventListener('mousemove', (e) => {
    const r = overlay.getBoundingClientRect();
    const ki = Math.floor((e.clientX - r.left - margin) / cell);
    const qi = Math.floor((e.clientY - r.top - margin) / cell);
    if (qi < 0 || ki < 0 || qi >= R || ki >= C) {
      hover = null;
      tooltip.hidden = true;
      drawOverlay();
      return;
    }
    const q = r0 + qi;
    const k = c0 + ki;
    if (hover && hover.q === q && hover.k === k) return;
    hover = { q, k };
    const masked = m.masked(q, k);
    const value = masked ? t('matrix.masked') : opts.formatValue(m.data[q * n + k]);
    tooltip.textContent = t('matrix.cell', q + 1, truncate(m.labels[q], 24), k + 1, truncate(m.labels[k], 24), value);
    tooltip.dataset.query = String(q);
    tooltip.dataset.key = String(k);
    tooltip.dataset.masked = String(masked);
    if (masked) delete tooltip.dataset.weight;
    else tooltip.dataset.weight = m.data[q * n + k].toFixed(3);
    tooltip.hidden = false;
    tooltip.style.left = `${margin + (ki + 1) * cell + 8}px`;
    tooltip.style.top = `${margin + qi * cell}px`;
    // Under cross-attention a row is a target token (the step that wrote it): hovering a cell focuses its row.
    if (opts.focusOnHover) ctx.setFocus(ctx.attentionSet(slot) === 'cross' || ctx.state.direction === 'to' ? q : k);
    drawOverlay();
  });
  overlay.addEventListener('mouseleave', () => {
    hover = null;
    tooltip.hidden = true;
    drawOverlay();
  });

  const toSvg = (): string => {
    const parts: string[] = [
      `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0 6L6 0" stroke="${withAlpha(theme.muted, 0.55)}"/></pattern></defs>`,
    ];
    for (let qi = 0; qi < R; qi++) {
      for (let ki = 0; ki < C; ki++) {
        const q = r0 + qi;
        const k = c0 + ki;
        const c = opts.colorFor(m.data[q * n + k], theme);
        const fill = m.masked(q, k) ? 'url(#hatch)' : `rgba(${c.rgb.join(', ')}, ${c.alpha.toFixed(3)})`;
        parts.push(`<rect x="${margin + ki * cell}" y="${margin + qi * cell}" width="${cell}" height="${cell}" fill="${fill}"/>`);
      }
    }
    if (margin > 10) {
      const fs = Math.min(cell - 1, 12);
      for (let i = 0; i < R; i++) {
        const c = margin + i * cell + cell / 2 + fs / 3;
        parts.push(`<text x="${margin - 4}" y="${c}" text-anchor="end">${svgEscape(truncate(m.labels[r0 + i]))}</text>`);
      }
      for (let i = 0; i < C; i++) {
        const c = margin + i * cell + cell / 2 + fs / 3;
        parts.push(`<text transform="translate(${c} ${margin - 4}) rotate(-90)">${svgEscape(truncate(m.labels[c0 + i]))}</text>`);
      }
      return svgDocument(width, height, `<g font-family="${svgEscape(theme.fontFamily)}" font-size="${fs}" fill="${theme.foreground}">${parts.join('')}</g>`, theme.background);
    }
    return svgDocument(width, height, parts.join(''), theme.background);
  };

  return { updateFocus: drawOverlay, toSvg, toCanvas: () => base };
}

export const renderMatrixView: ViewRenderer = (host, ctx, slot: Slot) => {
  const legend = document.createElement('p');
  legend.className = 'legend';
  legend.textContent = t('matrix.legend');
  host.append(legend);
  const m = ctx.matrix(slot);
  if (!m) {
    legend.textContent = t('banner.loadingHead');
    return { updateFocus: () => undefined, toSvg: () => svgDocument(1, 1, '') };
  }
  // A translation: only the shown attention's block (cross: the target × source alignment), rows labelled by the
  // token the decoder step wrote (webview/translation.ts).
  const set = ctx.attentionSet(slot);
  const crop = ctx.block(slot);
  if (set) legend.textContent = t(set === 'cross' ? 'matrix.legend.cross' : set === 'decoder' ? 'matrix.legend.decoder' : 'matrix.legend.encoder');
  // Rows sum to 1, so most weights are small; scaling to the largest visible weight keeps structure visible.
  let max = 0;
  for (let q = 0; q < m.n; q++) for (let k = 0; k < m.n; k++) if (!m.masked(q, k)) max = Math.max(max, m.data[q * m.n + k]);
  legend.append(scaleBar(ctx.state.scale ? max : 1));
  const accent = rgbOf(canvasTheme().accent);
  return createMatrixCanvas(host, ctx, m, {
    colorFor: (v) => ({ rgb: accent, alpha: ctx.intensity(v, max) }),
    formatValue: (v) => v.toFixed(3),
    focusOnHover: true,
    crop,
    slot,
  });
};
