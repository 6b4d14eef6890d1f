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
import { producedToken, producingRow, setBlock } from '../../src/common/translation';
import type { AnalysisStartMessage, AttentionSetId } from '../../src/protocol/messages';
import { layerLabel, usesProducingRows } from '../translation';

/**
 * The query row the view computes, the token it is about, and the tokens its picker offers. A translation's
 * decoder and cross rows: target token j stands for row j − 1, the step that wrote it (producingRow); with no
 * target token focused, the first step; `token` is null when the row's output is not in the list yet.
 */
function queryOf(start: AnalysisStartMessage, set: AttentionSetId | null, focused: number | null): { row: number; token: number | null; choices: number[] } {
  const n = start.tokens.length;
  const all = Array.from({ length: n }, (_, j) => j);
  if (!set || !start.translation) {
    const i = Math.min(focused ?? 0, n - 1);
    return { row: i, token: i, choices: all };
  }
  const S = start.translation.sourceCount;
  if (set === 'encoder') {
    const i = focused !== null && focused < S ? focused : 0;
    return { row: i, token: i, choices: all.slice(0, S) };
  }
  const written = all.slice(S + 1);
  const row = focused !== null ? producingRow(focused, S) : null;
  if (row !== null) return { row, token: focused, choices: written };
  return { row: S, token: producedToken(S, S, n), choices: written };
}

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
  const tokenLabel = (j: number): string => start.tokens[j].text.replace(/\n/g, '↵');
  // A translation (webview/translation.ts): the query row of the shown attention and the keys it may see. Under the
  // decoder's self-attention and cross-attention a target token stands for the step that wrote it (its row is the
  // one before it); under the encoder's, a source token is its own row.
  const set = ctx.attentionSet(slot);
  const query = queryOf(start, set, ctx.state.focusedToken);
  const i = query.row;
  const keys = set && start.translation ? setBlock(set, start.translation.sourceCount, n).keys : { start: 0, end: n };
  const section = document.createElement('div');
  section.className = 'computation';
  const title = document.createElement('h3');
  const shownLayer = layerLabel(start, layer);
  if (set && query.token !== null && usesProducingRows(set)) {
    title.textContent = t('comp.titleStep', t(`set.${set}`), shownLayer, head + 1, tokenLabel(i), tokenLabel(query.token));
  } else if (set) {
    title.textContent = `${t(`set.${set}`)} · ${t('comp.title', shownLayer, head + 1, i + 1, tokenLabel(i))}`;
  } else {
    title.textContent = t('comp.title', shownLayer, head + 1, i + 1, tokenLabel(i));
  }
  title.dataset.row = String(i);
  section.append(title);
  section.append(
    createDropdown(
      `comp-token-${slot}`,
      t('comp.pickToken'),
      query.choices.map((j) => ({
        value: String(j),
        label: set && usesProducingRows(set) ? t('comp.pickStep', j + 1, tokenLabel(j)) : `${j + 1}: ${tokenLabel(j)}`,
      })),
      String(query.token ?? i),
      (v) => ctx.focusToken(Number(v)),
    ),
  );
  if (ctx.state.aggregate !== 'head') section.append(para('note', t('comp.aggregateNote', shownLayer, head + 1)));
  if (set) {
    // Where Q, K and V come from in this attention of the original Transformer.
    const origin = para('step qkv-origin', t(set === 'cross' ? 'comp.origin.cross' : set === 'decoder' ? 'comp.origin.decoder' : 'comp.origin.encoder'));
    origin.dataset.set = set;
    section.append(origin);
    if (query.token === null && usesProducingRows(set)) section.append(para('note', t('comp.nextStep', tokenLabel(i))));
  }
  host.append(section);
  // A plain export (a Hugging Face folder) gives the attention weights but not the q, k, v behind them: say so
  // and what would give them, instead of asking the host for numbers it does not have.
  if (start.model.capabilities?.vectors === false) {
    section.append(para('note capability-note', t('comp.noVectors')));
    return empty;
  }
  // The whole formula around this head's steps (X → Q, K, V and positions before; multi-head and residual after),
  // from the host on request; shown as loading, or unavailable with the reason, without holding up the rest.
  // A translation model's layers are not what src/formula/ reads (rotary decoder-only or encoder layers): it is not
  // asked for, and one sentence says so.
  const formula = set ? null : ctx.formula(slot, layer, i);
  const record = formula?.ok ? formula.record : null;
  const before = document.createElement('div');
  before.className = 'formula-before';
  const status = set ? para('note formula-unavailable formula-line', t('comp.formula.translation')) : formulaStatus(formula);
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
  const r = computeRow(v, n, d, i, (j) => j < keys.start || j >= keys.end);

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
  // Only this attention's keys are listed (cross: the source tokens; a translation's other tokens are not its keys).
  for (let j = keys.start; j < keys.end; j++) {
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
