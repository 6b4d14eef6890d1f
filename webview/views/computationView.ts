/**
 * Computation view: how one head turns one query token into its output, with the model's real float32 numbers
 * (headVectors: q, k, v, the bias and the model's own attention row). Attention as a soft database lookup: the
 * query asks, every key is matched against it (q·k), scores are scaled by √d_k, masked keys get the bias −1e9
 * (MASKED_BIAS: finite, so no NaN; their weight is exactly 0), softmax makes weights, and the values are blended by
 * those weights. We recompute the softmax here and show its largest
 * difference from the model's attention row as a check (must be ≤ 1e-4) — no placeholder numbers anywhere.
 */
import type { Slot } from '../../src/protocol/messages';
import { createDropdown } from '../controls';
import { svgDocument, svgEscape } from '../exportView';
import { t } from '../strings';
import { canvasTheme } from '../theme';
import { computeRow, TOLERANCE } from '../computation';
import type { ViewContext, ViewHandle, ViewRenderer } from './viewContext';
import { formulaStatus, stepsAfter, stepsBefore } from './formulaSteps';

/** A masked cell's bias as it is, e.g. "−1e9" (or "−∞" should a model's bias use it). */
function maskedBiasText(bias: number): string {
  if (bias === -Infinity) return '−∞';
  return bias.toExponential(0).replace('e+', 'e').replace('-', '−');
}

function vectorText(values: ArrayLike<number>, digits = 3): string {
  return `[${Array.from(values, (x) => x.toFixed(digits)).join(', ')}]`;
}

function shortVector(values: ArrayLike<number>): string {
  const a = Array.from(values);
  return a.length <= 4 ? vectorText(a) : `[${a.slice(0, 4).map((x) => x.toFixed(2)).join(', ')}, …]`;
}

function para(className: string, text: string): HTMLParagraphElement {
  const p = document.createElement('p');
  p.className = className;
  p.textContent = text;
  return p;
}

/** Re-renders itself when the focused token changes (the view is about one query token). */
export const renderComputationView: ViewRenderer = (host, ctx: ViewContext, slot: Slot): ViewHandle => {
  let shown = ctx.state.focusedToken;
  let inner = renderOnce(host, ctx, slot);
  return {
    updateFocus: () => {
      if (ctx.state.focusedToken === shown) return;
      shown = ctx.state.focusedToken;
      host.replaceChildren();
      inner = renderOnce(host, ctx, slot);
    },
    toSvg: () => inner.toSvg(),
  };
};

function renderOnce(host: HTMLElement, ctx: ViewContext, slot: Slot): ViewHandle {
  const start = ctx.analysis(slot);
  const empty: ViewHandle = { updateFocus: () => undefined, toSvg: () => svgDocument(1, 1, '') };
  if (!start) return empty;
  const n = start.tokens.length;
  const { layer, head } = ctx.state;
  const i = Math.min(ctx.state.focusedToken ?? 0, n - 1);
  const tokenLabel = (j: number): string => start.tokens[j].text.replace(/\n/g, '↵');
  const section = document.createElement('div');
  section.className = 'computation';
  const title = document.createElement('h3');
  title.textContent = t('comp.title', layer + 1, head + 1, i + 1, tokenLabel(i));
  section.append(title);
  section.append(
    createDropdown(
      `comp-token-${slot}`,
      t('comp.pickToken'),
      start.tokens.map((tok, j) => ({ value: String(j), label: `${j + 1}: ${tok.text.replace(/\n/g, '↵')}` })),
      String(i),
      (v) => ctx.focusToken(Number(v)),
    ),
  );
  if (ctx.state.aggregate !== 'head') section.append(para('note', t('comp.aggregateNote', layer + 1, head + 1)));
  host.append(section);
  // A plain export (a Hugging Face folder) gives the attention weights but not the q, k, v behind them: say so
  // and what would give them, instead of asking the host for numbers it does not have.
  if (start.model.capabilities?.vectors === false) {
    section.append(para('note capability-note', t('comp.noVectors')));
    return empty;
  }
  // The whole formula around this head's steps (X → Q, K, V and positions before; multi-head and residual after),
  // from the host on request; shown as loading, or unavailable with the reason, without holding up the rest.
  const formula = ctx.formula(slot, layer, i);
  const record = formula?.ok ? formula.record : null;
  const before = document.createElement('div');
  before.className = 'formula-before';
  const status = formulaStatus(formula);
  if (status) before.append(status);
  if (record) before.append(...stepsBefore(record, head, tokenLabel));
  section.append(before);
  const formulaLines = (root: Element): string[] => [...root.querySelectorAll('.formula-line')].map((e) => e.textContent ?? '');
  const v = ctx.vectors(slot, layer, head);
  if (!v) {
    section.append(para('legend loading', t('banner.loadingVectors')));
    return empty;
  }
  const d = start.model.headDim || Math.round(v.queries.length / n);
  const r = computeRow(v, n, d, i);

  section.append(para('step', t('comp.step.q', d)));
  const q = document.createElement('pre');
  q.className = 'vector';
  q.dataset.vector = 'query';
  q.textContent = `q = ${vectorText(v.queries.subarray(i * d, i * d + d))}`;
  section.append(q);
  section.append(
    para('step', t('comp.step.k')),
    para('step', t('comp.step.scale', Math.sqrt(d).toFixed(3))),
    para('step', t('comp.step.bias')),
    para('step', t('comp.step.softmax')),
  );

  const table = document.createElement('table');
  table.className = 'comp-table';
  const head1 = table.createTHead().insertRow();
  for (const h of ['#', t('comp.key'), 'k', 'v', t('comp.dot'), t('comp.scaled'), t('comp.bias'), t('comp.softmax'), t('comp.model'), '|Δ|']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head1.append(th);
  }
  const body = table.createTBody();
  for (let j = 0; j < n; j++) {
    const row = body.insertRow();
    row.dataset.keyIndex = String(j);
    if (j === i) row.classList.add('current');
    row.dataset.softmax = String(r.softmax[j]);
    row.dataset.modelWeight = String(r.model[j]);
    if (r.masked[j]) {
      row.classList.add('masked');
      row.dataset.masked = 'true';
    }
    const cells = [
      String(j + 1),
      tokenLabel(j),
      shortVector(v.keys.subarray(j * d, j * d + d)),
      shortVector(v.values.subarray(j * d, j * d + d)),
      r.dot[j].toFixed(3),
      r.scaled[j].toFixed(3),
      r.masked[j] ? `${t('matrix.masked')} (${maskedBiasText(r.bias[j])})` : r.bias[j].toFixed(1),
      r.masked[j] ? '0' : r.softmax[j].toFixed(6),
      r.model[j].toFixed(6),
      Math.abs(r.softmax[j] - r.model[j]).toExponential(1),
    ];
    cells.forEach((c, k) => {
      const cell = row.insertCell();
      cell.textContent = c;
      if (k >= 4) cell.className = 'num';
      // The full vectors are one hover away; the table shows their first components.
      if (k === 2) cell.title = vectorText(v.keys.subarray(j * d, j * d + d));
      if (k === 3) cell.title = vectorText(v.values.subarray(j * d, j * d + d));
    });
    if (!r.masked[j]) {
      const bar = document.createElement('span');
      bar.className = 'weight-bar';
      bar.style.width = `${Math.round(r.softmax[j] * 60)}px`;
      row.cells[7].append(bar);
    }
  }
  section.append(table);
  section.append(para('step', t('comp.step.output')));
  const out = document.createElement('pre');
  out.className = 'vector';
  out.dataset.vector = 'output';
  out.textContent = `Σ w·v = ${vectorText(r.output)}`;
  section.append(out);
  const ok = r.maxDiff <= TOLERANCE;
  const check = para(`check ${ok ? 'ok' : 'fail'}`, `${t('comp.check', r.maxDiff.toExponential(2))} ${t(ok ? 'comp.checkOk' : 'comp.checkFail')}`);
  check.dataset.maxDiff = String(r.maxDiff);
  check.dataset.ok = String(ok);
  section.append(check);
  const after = document.createElement('div');
  after.className = 'formula-after';
  if (record) after.append(...stepsAfter(record, head));
  section.append(after);

  const toSvg = (): string => {
    const theme = canvasTheme();
    const lines = [
      title.textContent ?? '',
      ...formulaLines(before),
      q.textContent ?? '',
      ...[...table.rows].map((row) => [...row.cells].map((c) => c.textContent ?? '').join('  ')),
      out.textContent ?? '',
      check.textContent ?? '',
      ...formulaLines(after),
    ];
    const body2 = lines.map((l, k) => `<text x="8" y="${18 + k * 15}" xml:space="preserve">${svgEscape(l.slice(0, 200))}</text>`).join('');
    return svgDocument(1200, lines.length * 15 + 20, `<g font-family="${svgEscape(theme.fontFamily)}" font-size="11" fill="${theme.foreground}">${body2}</g>`, theme.background);
  };
  return { updateFocus: () => undefined, toSvg };
}
