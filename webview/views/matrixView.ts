/**
 * Matrix view: the query × key heatmap on a canvas (one fillRect per cell, so hundreds of tokens stay smooth).
 * Masked cells — decided by the mask kind, not by a zero value — are drawn hatched. Hovering a cell shows its
 * value; the focused query row (or key column, flipped) is outlined on a separate overlay canvas, so a hover
 * redraws only the overlay.
 * Also used by the difference view with a signed colour scale.
 */
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
  const { cell, margin } = matrixGeometry(n);
  const size = margin + n * cell + 2;
  const { wrap, base, overlay, dpr } = createLayeredCanvas(size, size, 'matrix-canvas');
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
    const px = Math.round(n * cell * dpr);
    const img = g.createImageData(Math.max(px, 1), Math.max(px, 1));
    const [mr, mg, mb] = rgbOf(theme.muted);
    const colours: Array<CellColor | null> = new Array<CellColor | null>(n * n);
    for (let q = 0; q < n; q++) {
      for (let k = 0; k < n; k++) {
        const masked = m.masked(q, k);
        if (masked) maskedCells++;
        colours[q * n + k] = masked ? null : opts.colorFor(m.data[q * n + k], theme);
      }
    }
    const step = cell * dpr;
    for (let y = 0; y < px; y++) {
      const q = Math.min(n - 1, Math.floor(y / step));
      for (let x = 0; x < px; x++) {
        const k = Math.min(n - 1, Math.floor(x / step));
        const c = colours[q * n + k];
        const o = (y * px + x) * 4;
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
    g.strokeRect(margin - 0.5, margin - 0.5, n * cell + 1, n * cell + 1);
    if (margin > 10) {
      g.fillStyle = theme.foreground;
      g.font = `${Math.min(cell - 1, 12)}px ${theme.fontFamily}`;
      g.textBaseline = 'middle';
      g.textAlign = 'right';
      for (let i = 0; i < n; i++) g.fillText(truncate(m.labels[i]), margin - 4, margin + i * cell + cell / 2);
      g.save();
      g.rotate(-Math.PI / 2);
      g.textAlign = 'left';
      for (let i = 0; i < n; i++) g.fillText(truncate(m.labels[i]), -margin + 4, margin + i * cell + cell / 2);
      g.restore();
    }
  }
  base.dataset.n = String(n);
  base.dataset.cell = String(cell);
  base.dataset.margin = String(margin);
  base.dataset.maskedCells = String(maskedCells);

  const o = overlay.getContext('2d');
  let hover: { q: number; k: number } | null = null;
  const drawOverlay = (): void => {
    if (!o) return;
    o.setTransform(dpr, 0, 0, dpr, 0, 0);
    o.clearRect(0, 0, size, size);
    o.lineWidth = 2;
    o.strokeStyle = theme.focus;
    const f = ctx.focusUnit();
    if (f !== null && f < n) {
      if (ctx.state.direction === 'to') o.strokeRect(margin, margin + f * cell, n * cell, cell);
      else o.strokeRect(margin + f * cell, margin, cell, n * cell);
    }
    if (hover) {
      o.strokeStyle = theme.foreground;
      o.strokeRect(margin + hover.k * cell, margin + hover.q * cell, cell, cell);
    }
  };
  drawOverlay();

  overlay.addEventListener('mousemove', (e) => {
    const r = overlay.getBoundingClientRect();
    const k = Math.floor((e.clientX - r.left - margin) / cell);
    const q = Math.floor((e.clientY - r.top - margin) / cell);
    if (q < 0 || k < 0 || q >= n || k >= n) {
      hover = null;
      tooltip.hidden = true;
      drawOverlay();
      return;
    }
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
    tooltip.style.left = `${margin + (k + 1) * cell + 8}px`;
    tooltip.style.top = `${margin + q * cell}px`;
    if (opts.focusOnHover) ctx.setFocus(ctx.state.direction === 'to' ? q : k);
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
    for (let q = 0; q < n; q++) {
      for (let k = 0; k < n; k++) {
        const c = opts.colorFor(m.data[q * n + k], theme);
        const fill = m.masked(q, k) ? 'url(#hatch)' : `rgba(${c.rgb.join(', ')}, ${c.alpha.toFixed(3)})`;
        parts.push(`<rect x="${margin + k * cell}" y="${margin + q * cell}" width="${cell}" height="${cell}" fill="${fill}"/>`);
      }
    }
    if (margin > 10) {
      const fs = Math.min(cell - 1, 12);
      for (let i = 0; i < n; i++) {
        const c = margin + i * cell + cell / 2 + fs / 3;
        parts.push(`<text x="${margin - 4}" y="${c}" text-anchor="end">${svgEscape(truncate(m.labels[i]))}</text>`);
        parts.push(`<text transform="translate(${c} ${margin - 4}) rotate(-90)">${svgEscape(truncate(m.labels[i]))}</text>`);
      }
      return svgDocument(size, size, `<g font-family="${svgEscape(theme.fontFamily)}" font-size="${fs}" fill="${theme.foreground}">${parts.join('')}</g>`, theme.background);
    }
    return svgDocument(size, size, parts.join(''), theme.background);
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
  // Rows sum to 1, so most weights are small; scaling to the largest visible weight keeps structure visible.
  let max = 0;
  for (let q = 0; q < m.n; q++) for (let k = 0; k < m.n; k++) if (!m.masked(q, k)) max = Math.max(max, m.data[q * m.n + k]);
  legend.append(scaleBar(ctx.state.scale ? max : 1));
  const accent = rgbOf(canvasTheme().accent);
  return createMatrixCanvas(host, ctx, m, {
    colorFor: (v) => ({ rgb: accent, alpha: ctx.intensity(v, max) }),
    formatValue: (v) => v.toFixed(3),
    focusOnHover: true,
  });
};
