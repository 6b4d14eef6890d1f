/**
 * Difference view (compare mode): left minus right, cell by cell, for the same layer/head/aggregate — e.g. the
 * encoder under its full mask against the causal model. Blue-ish (accent) = more weight on the left, the
 * negative colour = more on the right. A cell is hatched only when both sides mask it.
 */
import type { Slot } from '../../src/protocol/messages';
import type { AttentionMatrix } from '../attentionMath';
import { svgDocument } from '../exportView';
import { t } from '../strings';
import { canvasTheme, rgbOf } from '../theme';
import { createMatrixCanvas } from './matrixView';
import type { ViewRenderer } from './viewContext';

export const renderDiffView: ViewRenderer = (host, ctx, _slot: Slot) => {
  const legend = document.createElement('p');
  legend.className = 'legend';
  host.append(legend);
  const empty = { updateFocus: () => undefined, toSvg: () => svgDocument(1, 1, '') };
  const a = ctx.analysis(0);
  const b = ctx.analysis(1);
  if (!a || !b) {
    legend.textContent = t('banner.noCompare');
    return empty;
  }
  const left = ctx.matrix(0);
  const right = ctx.matrix(1);
  if (!left || !right) {
    legend.textContent = t('banner.loadingHead');
    return empty;
  }
  if (left.n !== right.n || left.labels.some((l, i) => l !== right.labels[i])) {
    legend.textContent = t('banner.tokenMismatch', left.n, right.n);
    legend.classList.add('error');
    return empty;
  }
  const n = left.n;
  const data = new Float32Array(n * n);
  let maxAbs = 0;
  for (let i = 0; i < data.length; i++) {
    data[i] = left.data[i] - right.data[i];
    maxAbs = Math.max(maxAbs, Math.abs(data[i]));
  }
  const diff: AttentionMatrix = {
    n,
    data,
    labels: left.labels,
    masked: (q, k) => left.masked(q, k) && right.masked(q, k),
  };
  legend.textContent = `${a.model.displayName} (${a.mask}) − ${b.model.displayName} (${b.mask}). ${t('diff.legend')} max |Δ| = ${maxAbs.toFixed(3)}`;
  const theme = canvasTheme();
  const positive = rgbOf(theme.accent);
  const negative = rgbOf(theme.negative);
  return createMatrixCanvas(host, ctx, diff, {
    colorFor: (v) => ({
      rgb: v >= 0 ? positive : negative,
      alpha: ctx.state.scale && maxAbs > 0 ? Math.abs(v) / maxAbs : Math.abs(v),
    }),
    formatValue: (v) => (v >= 0 ? '+' : '') + v.toFixed(3),
    focusOnHover: true,
  });
};
