/**
 * The computation view's steps around one head's attention (the whole formula, with the model's real numbers):
 * before it, X → Q, K, V and the rotary positions; after it, every head's output concatenated times W_O, and the
 * residual add. The numbers and the checks come from the host (src/formula/, FormulaRecord in src/common/formula.ts);
 * this module only lays them out, and draws the distance plot as SVG built with DOM calls (the CSP forbids inline
 * markup; colours come from classes in styles.css).
 */
import { FORMULA_TOLERANCE, MAX_TOKENS_WITH_FORMULA, ROTARY_PLOT_MAX, type FormulaPayload, type FormulaRecord } from '../../src/common/formula';
import { t } from '../strings';

const SVG_NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The first `shown` components to 3 decimals, and the count; the whole vector is in the title (hover). */
function vectorLine(label: string, values: readonly number[], shown = 8): HTMLPreElement {
  const pre = el('pre', 'vector formula-line');
  const head = values.slice(0, shown).map((x) => x.toFixed(3));
  pre.textContent = `${label} = [${head.join(', ')}${values.length > shown ? `, … (${values.length})` : ''}]`;
  pre.title = `[${values.map((x) => x.toFixed(4)).join(', ')}]`;
  return pre;
}

function checkLine(step: string, text: string, error: number): HTMLParagraphElement {
  const ok = error <= FORMULA_TOLERANCE;
  const p = el('p', `formula-check ${ok ? 'ok' : 'fail'} formula-line`, `${text} ${t(ok ? 'comp.checkOk' : 'comp.checkFail')}`);
  p.dataset.step = step;
  p.dataset.maxDiff = String(error);
  p.dataset.ok = String(ok);
  return p;
}

function section(step: string, title: string): HTMLElement {
  const s = el('section', 'formula-section');
  s.dataset.formulaStep = step;
  s.append(el('h4', 'formula-title formula-line', title));
  return s;
}

/** The score of the focused pair's vectors over the distance Δ (rotation only), marking their real distance. */
function distancePlot(values: readonly number[], delta: number): SVGSVGElement {
  const w = 360;
  const h = 120;
  const pad = { l: 44, r: 8, t: 8, b: 20 };
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('class', 'rotary-plot');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('comp.formula.plotLabel'));
  const min = Math.min(0, ...values);
  const max = Math.max(0, ...values);
  const span = max - min || 1;
  const x = (i: number): number => pad.l + (i / (values.length - 1)) * (w - pad.l - pad.r);
  const y = (v: number): number => pad.t + (1 - (v - min) / span) * (h - pad.t - pad.b);
  const add = (tag: string, attrs: Record<string, string | number>, text?: string): SVGElement => {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  add('line', { x1: pad.l, x2: w - pad.r, y1: y(0), y2: y(0), class: 'axis' });
  add('line', { x1: pad.l, x2: pad.l, y1: pad.t, y2: h - pad.b, class: 'axis' });
  add('polyline', { points: values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '), class: 'curve' });
  add('text', { x: pad.l - 4, y: y(max) + 4, class: 'tick', 'text-anchor': 'end' }, max.toFixed(1));
  add('text', { x: pad.l - 4, y: y(min), class: 'tick', 'text-anchor': 'end' }, min.toFixed(1));
  add('text', { x: pad.l, y: h - 4, class: 'tick' }, 'Δ = 0');
  add('text', { x: w - pad.r, y: h - 4, class: 'tick', 'text-anchor': 'end' }, String(values.length - 1));
  if (delta >= 0 && delta < values.length) {
    const dot = add('circle', { cx: x(delta), cy: y(values[delta]), r: 3.5, class: 'pair' });
    dot.dataset.delta = String(delta);
  }
  return svg;
}

function reasonText(p: Extract<FormulaPayload, { ok: false }>): string {
  switch (p.reason) {
    case 'notRecorded':
      return t('comp.formula.reason.notRecorded', MAX_TOKENS_WITH_FORMULA);
    case 'noWeights':
      return t('comp.formula.reason.noWeights', p.detail);
    case 'notRotary':
      return t('comp.formula.reason.notRotary', p.detail);
    default:
      return t('comp.formula.reason.failed', p.detail);
  }
}

/** The formula is on its way, or unavailable (with the reason): one line in place of the steps. */
export function formulaStatus(payload: FormulaPayload | null): HTMLParagraphElement | null {
  if (!payload) return el('p', 'legend loading formula-loading formula-line', t('comp.formula.loading'));
  if (payload.ok) return null;
  const p = el('p', 'note formula-unavailable formula-line', t('comp.formula.unavailable', reasonText(payload)));
  p.dataset.reason = payload.reason;
  p.title = payload.detail;
  return p;
}

/** X → Q, K, V and the rotary positions, for `head` of the record's layer and query token. */
export function stepsBefore(r: FormulaRecord, head: number, tokenLabel: (j: number) => string): HTMLElement[] {
  const h = r.heads[head];
  const d = r.lnModel.length;
  const qkv = section('qkv', t('comp.formula.qkv.title'));
  qkv.append(
    el('p', 'formula-step formula-line', t('comp.formula.qkv.explain', d, r.headDim)),
    vectorLine('x', r.residualIn),
    vectorLine('X = LayerNorm(x)', r.lnModel),
    checkLine('layerNorm', t('comp.formula.lnCheck', r.lnError.toExponential(2)), r.lnError),
    vectorLine('q = X·W_Q + b_Q', h.qPre),
    vectorLine(`k${h.key + 1} = X${h.key + 1}·W_K + b_K`, h.kPre),
    vectorLine('v = X·W_V + b_V', h.vPre),
    el('p', 'note formula-line', t('comp.formula.keyNote', h.key + 1, tokenLabel(h.key))),
    checkLine('qkv', t('comp.formula.vCheck', h.valueError.toExponential(2)), h.valueError),
  );
  const rot = section('rotary', t('comp.formula.rotary.title'));
  const delta = r.token - h.key;
  rot.append(
    el('p', 'formula-step formula-line', t('comp.formula.rotary.explain', r.rotaryBase)),
    el('p', 'formula-step formula-line', t('comp.formula.rotary.paper')),
    vectorLine(`q (${t('comp.formula.before')})`, h.qPre),
    vectorLine(`q (${t('comp.formula.after', r.token)})`, h.qRot),
    vectorLine(`k${h.key + 1} (${t('comp.formula.before')})`, h.kPre),
    vectorLine(`k${h.key + 1} (${t('comp.formula.after', h.key)})`, h.kRot),
    checkLine('rotary', t('comp.formula.rotCheck', h.rotaryError.toExponential(2)), h.rotaryError),
    el('p', 'legend formula-line', t('comp.formula.plot', ROTARY_PLOT_MAX)),
    distancePlot(h.distancePlot, delta),
  );
  if (delta < 0 || delta > ROTARY_PLOT_MAX) rot.append(el('p', 'note formula-line', t('comp.formula.plotOutside', delta, ROTARY_PLOT_MAX)));
  return [qkv, rot];
}

/** Every head's output side by side, concat · W_O + b_O against the model, then the residual add. */
export function stepsAfter(r: FormulaRecord, head: number): HTMLElement[] {
  const multi = section('multihead', t('comp.formula.multi.title'));
  const d = r.lnModel.length;
  multi.append(el('p', 'formula-step formula-line', t('comp.formula.multi.explain', r.layer + 1, r.headDim, d)));
  const list = el('div', 'formula-heads');
  for (const h of r.heads) {
    const line = vectorLine(t('comp.formula.head', `${r.layer + 1}.${h.head + 1}`), h.output, 6);
    line.dataset.head = String(h.head);
    if (h.head === head) line.classList.add('current');
    list.append(line);
  }
  multi.append(
    list,
    vectorLine('concat', r.heads.flatMap((h) => h.output)),
    vectorLine('concat·W_Oᵀ + b_O', r.projected),
    vectorLine(t('comp.formula.model'), r.attentionModel),
    checkLine('projection', t('comp.formula.projCheck', r.projectionError.toExponential(2)), r.projectionError),
  );
  const res = section('residual', t('comp.formula.residual.title'));
  res.append(
    el('p', 'formula-step formula-line', t('comp.formula.residual.explain')),
    vectorLine('x + attention', r.residualComputed),
    vectorLine(t('comp.formula.model'), r.residualModel),
    checkLine('residual', t('comp.formula.resCheck', r.residualError.toExponential(2)), r.residualError),
  );
  return [multi, res];
}
