/**
 * A translation in the panel (issue 11), in real Chromium with the panel as VS Code loads it (fake
 * `acquireVsCodeApi`, webview/README.md), fed a synthetic but exactly structured analysis: one joint token list
 * (source, then the decoder's tokens with the start tag first) and the three attentions stacked as layers
 * (src/common/translation.ts), every cell outside a set's block 0 and the decoder's block causal.
 *
 * Cross-attention is built so the alignment is known: the decoder row whose input is target token i puts 0.6 on one
 * source token (ALIGN) and spreads the rest, so the producing-step rule (target token j ↔ row j − 1) says which
 * source token lights up strongest for each target token.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBlock, setLayers, isMaskedInSet, ATTENTION_SETS } from '../../src/common/translation';
import { MASKED_BIAS } from '../../src/common/mask';
import {
  quantizeWeights,
  type AnalysisStartMessage,
  type AttentionSetId,
  type HostToWebview,
  type ModelInfo,
  type TokenInfo,
} from '../../src/protocol/messages';
import { serializeMessages } from '../../src/protocol/serialize';
import { renderStandaloneHtml } from '../../src/panel/panelHtml';
import { openFakeVsCodePanel, postedByPage, postFromHost, writePanelPage } from '../helpers/panelPage';
import { CACHE, DIST, ensureBuilt, launchBrowser, openPage, screenshot, setDropdown } from './harness';

const NONCE = 'translationnonce1';
const L = 2;
const H = 2;
const D = 4;

const MODEL: ModelInfo = {
  id: 'translation',
  displayName: 'Translation (test)',
  kind: 'encoder-decoder',
  layers: 3 * L,
  heads: H,
  headDim: D,
  maxPositions: 128,
  setLayers: L,
};

const SOURCE_TEXT = 'The red apple.';
const SOURCE: TokenInfo[] = [
  { text: 'The', start: 0, end: 3 },
  { text: ' red', start: 3, end: 7 },
  { text: ' apple', start: 7, end: 13 },
  { text: '.', start: 13, end: 14 },
  { text: '</s>', start: 14, end: 14, special: true },
];
const S = SOURCE.length;
const TARGET_TEXT = '红苹果。';
const TARGET: TokenInfo[] = [
  { text: '<s>', start: 0, end: 0, special: true },
  { text: '红', start: 0, end: 1 },
  { text: '苹果', start: 1, end: 3 },
  { text: '。', start: 3, end: 4 },
];
/** Cross-attention: the source token decoder row S + i (input: target token i) looks at most. */
const ALIGN = [1, 2, 3, 4];

/** One head's n×n weights over the joint list (every row of the set's block sums to 1; the rest is 0). */
function weights(set: AttentionSetId, layer: number, head: number, n: number): Float32Array {
  const w = new Float32Array(n * n);
  const { queries, keys } = setBlock(set, S, n);
  for (let q = queries.start; q < queries.end; q++) {
    const visible: number[] = [];
    for (let k = keys.start; k < keys.end; k++) if (!isMaskedInSet(set, S, n, q, k)) visible.push(k);
    if (set === 'cross') {
      const strong = ALIGN[q - S];
      for (const k of visible) w[q * n + k] = k === strong ? 0.6 : 0.4 / (visible.length - 1);
    } else {
      const raw = visible.map((k) => 1 + ((q * 3 + k * 5 + layer + head) % 7));
      const sum = raw.reduce((a, b) => a + b, 0);
      visible.forEach((k, i) => (w[q * n + k] = raw[i] / sum));
    }
  }
  return w;
}

/** A whole analysis: start and every head, dense. */
function analysis(generation: number, target: TokenInfo[], extra: Partial<NonNullable<AnalysisStartMessage['translation']>> = {}): HostToWebview[] {
  const tokens = [...SOURCE, ...target];
  const n = tokens.length;
  const targetText = TARGET_TEXT.slice(0, Math.max(0, ...target.map((x) => x.end)));
  const start: AnalysisStartMessage = {
    type: 'analysisStart',
    generation,
    slot: 0,
    model: MODEL,
    mask: 'full',
    whatIf: false,
    text: SOURCE_TEXT,
    documentOffset: 0,
    sourceLabel: 'sample.txt',
    tokens,
    window: { index: 0, count: 1 },
    inferenceMs: 5,
    translation: { to: 'zh', sourceCount: S, targetText, forced: false, partial: false, stop: 'eos', ...extra },
  };
  const out: HostToWebview[] = [start];
  for (const set of ATTENTION_SETS) {
    const range = setLayers(set, L);
    for (let l = range.start; l < range.end; l++) {
      for (let h = 0; h < H; h++) {
        const data = quantizeWeights(weights(set, l, h, n));
        out.push({ type: 'headData', generation, slot: 0, layer: l, head: h, layout: 'dense', data: data.buffer.slice(0) as ArrayBuffer });
      }
    }
  }
  out.push({ type: 'analysisComplete', generation, slot: 0 });
  return out;
}

/**
 * Exact vectors of one head whose attention is softmax(q·kᵀ/√d + bias) computed here, bias MASKED_BIAS outside the
 * set's block: what the host sends for the computation view.
 */
function vectors(generation: number, layer: number, head: number, set: AttentionSetId, n: number): HostToWebview {
  const f = (i: number, c: number, salt: number): number => Math.sin(i * 1.7 + c * 0.9 + salt + layer + head);
  const queries = new Float32Array(n * D);
  const keys = new Float32Array(n * D);
  const values = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < D; c++) {
      queries[i * D + c] = f(i, c, 0);
      keys[i * D + c] = f(i, c, 2);
      values[i * D + c] = f(i, c, 4);
    }
  }
  const bias = new Float32Array(n * n);
  const attention = new Float32Array(n * n);
  const { queries: rows } = setBlock(set, S, n);
  for (let q = 0; q < n; q++) {
    for (let k = 0; k < n; k++) bias[q * n + k] = isMaskedInSet(set, S, n, q, k) ? MASKED_BIAS : 0;
    if (q < rows.start || q >= rows.end) continue;
    const scores: number[] = [];
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let c = 0; c < D; c++) s += queries[q * D + c] * keys[k * D + c];
      scores.push(s / Math.sqrt(D) + bias[q * n + k]);
    }
    const max = Math.max(...scores);
    const e = scores.map((x) => Math.exp(x - max));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((x, k) => (attention[q * n + k] = x / sum));
  }
  const buf = (a: Float32Array): ArrayBuffer => a.buffer.slice(0) as ArrayBuffer;
  return { type: 'headVectors', generation, slot: 0, layer, head, queries: buf(queries), keys: buf(keys), values: buf(values), attention: buf(attention), bias: buf(bias) };
}

let browser: Browser;
let pageFile: string;

const open = (savedState?: unknown): Promise<{ page: Page; errors: string[] }> => openFakeVsCodePanel(browser, pageFile, savedState);
const host = postFromHost;
type Posted = Record<string, unknown> & { type: string };
const posted = (page: Page): Promise<Posted[]> => postedByPage<Posted>(page);

async function lastOf(page: Page, type: string): Promise<Posted | undefined> {
  return (await posted(page)).filter((m) => m.type === type).pop();
}

/** Every token span of the text view: joint index, shown weight, masked mark, text, block. */
async function tokens(page: Page): Promise<Array<{ index: number; weight: number | null; masked: boolean; text: string; side: string }>> {
  return page.$$eval('.pane[data-slot="0"] .text-view .token', (els) =>
    els.map((e) => {
      const el = e as HTMLElement;
      return {
        index: Number(el.dataset.tokenIndex),
        weight: el.dataset.weight === undefined ? null : Number(el.dataset.weight),
        masked: el.dataset.masked === 'true',
        text: el.textContent ?? '',
        side: el.closest<HTMLElement>('.text-block')?.dataset.side ?? '',
      };
    }),
  );
}

const INIT: HostToWebview = { type: 'init', protocolVersion: 1, models: [MODEL], host: 'vscode', strings: {} };
const N = S + TARGET.length;

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(CACHE, { recursive: true });
  pageFile = path.join(CACHE, 'translation-panel.html');
  writePanelPage(pageFile, NONCE);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('a translation in the panel (synthetic joint analysis, fake VS Code host)', () => {
  let page: Page;
  let errors: string[];
  let generation = 10;

  it('shows the source and the translation as two labelled blocks, the start tag as a special token', async () => {
    ({ page, errors } = await open());
    await host(page, [INIT, ...analysis(generation, TARGET)]);
    await page.waitForSelector('.text-view .text-block[data-side="target"] .token');
    const blocks = await page.$$eval('.text-view .text-block', (els) =>
      els.map((e) => ({
        side: (e as HTMLElement).dataset.side,
        label: e.querySelector('.text-block-label')?.textContent,
        body: e.querySelector('.text-block-body')?.textContent,
        lang: (e.querySelector('.text-block-body') as HTMLElement).lang,
      })),
    );
    expect(blocks).toEqual([
      { side: 'source', label: 'Source', body: `${SOURCE_TEXT}</s>`, lang: 'en' },
      { side: 'target', label: 'Translation', body: `<s>${TARGET_TEXT}`, lang: 'zh-CN' },
    ]);
    const spans = await tokens(page);
    expect(spans.map((s) => s.index)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(spans.filter((s) => s.side === 'target').map((s) => s.text)).toEqual(TARGET.map((x) => x.text));
    expect(await page.$eval(`.text-view [data-token-index="${S}"]`, (e) => e.classList.contains('token-special'))).toBe(true);
    expect(await page.textContent('.status')).toContain(`${S} source + ${TARGET.length} target tokens`);
  });

  it('the attention selector: Cross by default, three sets, the layer selector offers L layers of the set', async () => {
    const values = await page.evaluate(() => ({
      set: (document.getElementById('ctl-set') as HTMLElement & { value: string }).value,
      layer: (document.getElementById('ctl-layer') as HTMLElement & { value: string }).value,
      layers: document.querySelectorAll('#ctl-layer vscode-option').length,
      radios: [...document.querySelectorAll('#ctl-set vscode-radio')].map((r) => r.textContent),
    }));
    expect(values).toEqual({ set: 'cross', layer: '0', layers: L, radios: ['Encoder self', 'Decoder self (causal)', 'Cross'] });
    // No predictions panel for a translation model.
    expect(await page.$$eval('.predictions > *', (els) => els.length)).toBe(0);
  });

  it('hovering a target token under Cross lights the source tokens its writing step looked at, and tells the overlay', async () => {
    // 苹果 (joint S + 2) was written by row S + 1, whose input is 红: it looks most at ALIGN[1] = " apple".
    const j = S + 2;
    await page.hover(`.text-view [data-token-index="${j}"]`);
    const spans = await tokens(page);
    const source = spans.filter((s) => s.index < S);
    const strongest = source.reduce((a, b) => ((b.weight ?? 0) > (a.weight ?? 0) ? b : a));
    expect(strongest.index).toBe(ALIGN[1]);
    expect(strongest.weight).toBeCloseTo(0.6, 2);
    // Target tokens are not keys of cross-attention: masked, no weight.
    for (const s of spans.filter((x) => x.index >= S)) expect(s.weight, `token ${s.index}`).toBeNull();
    await page.waitForFunction(
      (tok) => (window as unknown as { __posted: Array<{ type: string; tokenIndex?: number }> }).__posted.some((m) => m.type === 'focusToken' && m.tokenIndex === tok),
      j,
    );
    const focus = (await lastOf(page, 'focusToken')) as unknown as { tokenIndex: number; layer: number; head: number; weights: number[] };
    expect(focus.tokenIndex).toBe(j);
    expect(focus.layer).toBe(2 * L); // the stacked layer: cross, layer 1
    expect(focus.weights).toHaveLength(N);
    expect(focus.weights.slice(S)).toEqual(new Array(N - S).fill(0));
    expect(focus.weights.indexOf(Math.max(...focus.weights))).toBe(ALIGN[1]);
    // The row sums to 1 up to the uint8 quantisation (≤ 1/510 per weight).
    expect(Math.abs(focus.weights.slice(0, S).reduce((a, b) => a + b, 0) - 1)).toBeLessThanOrEqual(S / 510 + 1e-6);
  });

  it('hovering a source token under Cross lights the target tokens whose writing looked at it', async () => {
    // " apple" is ALIGN[1]: row S + 1 looks at it most, and row S + 1 wrote target token S + 2.
    await page.hover(`.text-view [data-token-index="${ALIGN[1]}"]`);
    const spans = await tokens(page);
    const target = spans.filter((s) => s.index >= S && s.weight !== null);
    const strongest = target.reduce((a, b) => ((b.weight ?? 0) > (a.weight ?? 0) ? b : a));
    expect(strongest.index).toBe(S + 2);
    // The start tag was given, not written: nothing of it.
    expect(spans.find((s) => s.index === S)?.masked).toBe(true);
    for (const s of spans.filter((x) => x.index < S)) expect(s.weight).toBeNull();
  });

  it('word level groups each side in its own text; a target word lights the source words its steps looked at', async () => {
    await page.click('#ctl-word');
    await page.waitForFunction(() => document.querySelectorAll('.text-view .token').length < 9);
    const words = await page.$$eval('.text-view .token', (els) => els.map((e) => e.textContent));
    // 红 and 苹果 are one word of the target (no space between them); the start tag and 。 are words of their own.
    expect(words).toEqual(['The', ' red', ' apple', '.', '</s>', '<s>', '红苹果', '。']);
    await page.hover('.text-view .token[data-unit-index="6"]');
    const lit = await page.$$eval('.text-view .token', (els) => els.map((e) => Number((e as HTMLElement).dataset.weight ?? -1)));
    // Its two tokens' steps look most at " red" and " apple" (0.6 each): their mean over the word's rows.
    expect(lit[1]).toBeCloseTo(0.35, 2);
    expect(lit[2]).toBeCloseTo(0.35, 2);
    expect(lit.slice(5)).toEqual([-1, -1, -1]);
    await page.click('#ctl-word');
    await page.waitForFunction(() => document.querySelectorAll('.text-view .token').length === 9);
  });

  it('the attention selector works from the keyboard', async () => {
    await page.focus('#ctl-set-cross');
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => (document.getElementById('ctl-set') as HTMLElement & { value: string }).value === 'decoder');
    expect(await page.$eval('.set-note', (e) => (e as HTMLElement).dataset.set)).toBe('decoder');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => (document.getElementById('ctl-set') as HTMLElement & { value: string }).value === 'cross');
    expect((await lastOf(page, 'visibleHead'))?.layer).toBe(2 * L);
  });

  it('the matrix view shows |target| rows × |source| columns under Cross', async () => {
    await page.click('#ctl-view-matrix');
    await page.waitForSelector('.pane[data-view="matrix"] .matrix-canvas');
    const dims = await page.$eval('.pane[data-view="matrix"] canvas.matrix-canvas:not(.overlay)', (c) => ({ ...(c as HTMLElement).dataset }));
    expect([Number(dims.rows), Number(dims.cols), Number(dims.firstRow), Number(dims.firstCol)]).toEqual([TARGET.length, S, S, 0]);
    // The start tag's row: hatched (masked), nothing else.
    expect(Number(dims.maskedCells)).toBe(S);
    expect(await page.textContent('.pane[data-view="matrix"] .legend')).toContain('Cross-attention');
    await screenshot(page, 'translation-matrix');
  });

  it('rollout is disabled for Cross, with the reason; Encoder self allows it and the selector follows the set', async () => {
    const rollout = async (): Promise<{ disabled: boolean; note: boolean }> =>
      page.evaluate(() => ({
        disabled: document.querySelector('#ctl-aggregate vscode-option[value="rollout"]')?.hasAttribute('disabled') ?? false,
        note: !(document.getElementById('ctl-rollout-note') as HTMLElement).hidden,
      }));
    expect(await rollout()).toEqual({ disabled: true, note: true });
    await page.click('#ctl-set-encoder');
    await page.waitForFunction(() => (document.getElementById('ctl-set') as HTMLElement & { value: string }).value === 'encoder');
    expect(await rollout()).toEqual({ disabled: false, note: false });
    const dims = await page.$eval('.pane[data-view="matrix"] canvas.matrix-canvas:not(.overlay)', (c) => ({ ...(c as HTMLElement).dataset }));
    expect([Number(dims.rows), Number(dims.cols)]).toEqual([S, S]);
    expect((await lastOf(page, 'visibleHead'))?.layer).toBe(0);
    await setDropdown(page, 'ctl-layer', '1');
    await page.waitForFunction(() =>
      (window as unknown as { __posted: Array<{ type: string; layer?: number }> }).__posted.filter((m) => m.type === 'visibleHead').pop()?.layer === 1,
    );
    // Rollout within the encoder: rows of the source block sum to 1.
    await setDropdown(page, 'ctl-aggregate', 'rollout');
    await page.waitForSelector('.pane[data-view="matrix"] .matrix-canvas');
    await page.click('#ctl-set-decoder');
    await page.waitForFunction(() =>
      (window as unknown as { __posted: Array<{ type: string; layer?: number }> }).__posted.filter((m) => m.type === 'visibleHead').pop()?.layer === 3,
    );
    const dec = await page.$eval('.pane[data-view="matrix"] canvas.matrix-canvas:not(.overlay)', (c) => ({ ...(c as HTMLElement).dataset }));
    expect([Number(dec.rows), Number(dec.cols)]).toEqual([TARGET.length, TARGET.length]);
    // Back to Cross: rollout gives way to the mean.
    await page.click('#ctl-set-cross');
    await page.waitForFunction(() => (document.getElementById('ctl-aggregate') as HTMLElement & { value: string }).value === 'mean');
    expect((await lastOf(page, 'visibleHead'))?.layer).toBe(2 * L + 1);
    await setDropdown(page, 'ctl-aggregate', 'head');
    await setDropdown(page, 'ctl-layer', '0');
    expect(errors).toEqual([]);
  });

  it('the head view and the all-heads grid show the set: target on the left, source on the right; the set’s heads only', async () => {
    await page.click('#ctl-view-head');
    await page.waitForSelector('.pane[data-view="head"] .head-canvas');
    const data = await page.$eval('.pane[data-view="head"] canvas.head-canvas:not(.overlay)', (c) => ({ ...(c as HTMLElement).dataset }));
    expect([data.left, data.right]).toEqual([`${S}-${N}`, `0-${S}`]);
    await page.hover('.pane[data-view="head"] .canvas-wrap', { position: { x: 60, y: 8 + 16 * 2 + 8 } });
    await screenshot(page, 'translation-head');
    await page.click('#ctl-view-grid');
    await page.waitForSelector('.pane[data-view="grid"] .head-card');
    const cards = await page.$$eval('.head-card', (els) => els.map((e) => `${(e as HTMLElement).dataset.layer}.${(e as HTMLElement).dataset.head}`));
    expect(cards).toEqual(['4.0', '4.1', '5.0', '5.1']);
    await page.click('#ctl-view-stats');
    await page.waitForSelector('.stats-table tbody tr');
    expect(await page.$$eval('.stats-table tbody tr', (r) => r.length)).toBe(L * H);
  });

  it('the computation view under Cross names where Q and K, V come from, lists the source keys only, and checks', async () => {
    // Focus 苹果 (written by row S + 1) and open the computation view.
    await page.click('#ctl-view-text');
    await page.waitForSelector('.text-view .token');
    await page.focus(`.text-view [data-token-index="${S + 2}"]`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.pane[data-view="computation"]');
    const req = (await lastOf(page, 'requestVectors')) as unknown as { layer: number; head: number; generation: number };
    expect([req.layer, req.head]).toEqual([2 * L, 0]);
    expect((await posted(page)).some((m) => m.type === 'requestFormula')).toBe(false);
    await host(page, [vectors(generation, 2 * L, 0, 'cross', N)]);
    await page.waitForSelector('.comp-table tbody tr');
    const origin = await page.textContent('.qkv-origin');
    expect(origin).toMatch(/decoder/);
    expect(origin).toMatch(/encoder/);
    expect(await page.$eval('.computation h3', (e) => (e as HTMLElement).dataset.row)).toBe(String(S + 1));
    expect(await page.textContent('.computation h3')).toContain('writes “苹果”');
    const keys = await page.$$eval('.comp-table tbody tr', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.keyIndex)));
    expect(keys).toEqual(SOURCE.map((_, i) => i));
    expect(await page.$eval('.check', (e) => (e as HTMLElement).dataset.ok)).toBe('true');
    expect(await page.textContent('.formula-unavailable')).toContain('translation model');
    // Encoder self: its stream named, the source keys again.
    await page.click('#ctl-set-encoder');
    await page.waitForFunction(() => document.querySelector('.qkv-origin')?.getAttribute('data-set') === 'encoder');
    expect(await page.textContent('.qkv-origin')).toMatch(/encoder’s token stream/);
    await page.click('#ctl-set-cross');
    await page.waitForFunction(() => document.querySelector('.qkv-origin')?.getAttribute('data-set') === 'cross');
    await screenshot(page, 'translation-computation');
  });

  it('while the model writes: the translation grows, "writing…", the focus stays; then done with the stop reason', async () => {
    await page.click('#ctl-view-text');
    await page.waitForSelector('.text-view .token');
    await page.hover(`.text-view [data-token-index="${S + 2}"]`);
    generation++;
    await host(page, analysis(generation, TARGET.slice(0, 3), { partial: true, stop: undefined }));
    await page.waitForSelector('.translation-status[data-state="writing"]');
    expect(await page.textContent('.translation-status')).toContain('Writing… (2 tokens so far)');
    expect(await page.textContent('.text-block[data-side="target"] .text-block-body')).toBe('<s>红苹果…');
    expect(await page.$eval('.text-view .token.focused', (e) => (e as HTMLElement).dataset.tokenIndex)).toBe(String(S + 2));
    generation++;
    await host(page, analysis(generation, TARGET, { partial: false, stop: 'eos' }));
    await page.waitForSelector('.translation-status[data-state="done"]');
    expect(await page.$eval('.translation-status', (e) => (e as HTMLElement).dataset.stop)).toBe('eos');
    expect(await page.textContent('.translation-status')).toContain('Done: 3 tokens; the model wrote its end token.');
    expect(await page.textContent('.translation-status')).toContain('English → 中文');
    // The chosen attention survived the new analyses.
    expect(await page.evaluate(() => (document.getElementById('ctl-set') as HTMLElement & { value: string }).value)).toBe('cross');
  });

  it('your own translation: Enter posts translate with the target; a forced analysis says so; the model’s again; the other direction', async () => {
    await page.fill('#ctl-own-target', '红色的苹果。');
    await page.focus('#ctl-own-target');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'translate'));
    expect(await lastOf(page, 'translate')).toEqual({ type: 'translate', slot: 0, to: 'zh', target: '红色的苹果。' });
    generation++;
    await host(page, analysis(generation, TARGET, { forced: true, stop: 'forced' }));
    await page.waitForSelector('.translation-forced:not([hidden])');
    expect(await page.textContent('.text-block[data-side="target"] .text-block-label')).toBe('Your translation (aligned by the model)');
    expect(await page.inputValue('#ctl-own-target')).toBe('红色的苹果。');
    await page.click('#ctl-own-clear');
    await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.filter((m) => m.type === 'translate').length === 2);
    expect(await lastOf(page, 'translate')).toEqual({ type: 'translate', slot: 0, to: 'zh', target: null });
    await page.click('#ctl-to-en');
    await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.filter((m) => m.type === 'translate').length === 3);
    expect(await lastOf(page, 'translate')).toEqual({ type: 'translate', slot: 0, to: 'en', target: null });
    await screenshot(page, 'translation-text');
    expect(errors).toEqual([]);
  });

  it('the attention set is saved with setState and restored after a reload', async () => {
    await page.click('#ctl-set-decoder');
    await page.waitForTimeout(120);
    const state = await page.evaluate(() => (window as unknown as { __state: Record<string, unknown> }).__state);
    expect(state).toMatchObject({ attentionSet: 'decoder', layer: L });
    await page.context().close();
    ({ page, errors } = await open(state));
    await host(page, [INIT, ...analysis(generation + 1, TARGET)]);
    await page.waitForSelector('.text-view .token');
    expect(await page.evaluate(() => (document.getElementById('ctl-set') as HTMLElement & { value: string }).value)).toBe('decoder');
    // Decoder self: hovering 苹果 (row S + 1, causal) lights the tokens already there when it was written: <s> and 红.
    await page.hover(`.text-view [data-token-index="${S + 2}"]`);
    const lit = (await tokens(page)).filter((s) => s.weight !== null && s.weight > 0).map((s) => s.index);
    expect(lit).toEqual([S, S + 1]);
    expect(errors).toEqual([]);
  });
});

describe('a translation in a standalone page (no model to run)', () => {
  it('shows the translation and its attention, and says that translating again needs VS Code', async () => {
    const file = path.join(CACHE, 'translation-standalone.html');
    writeFileSync(
      file,
      renderStandaloneHtml({
        nonce: 'pagenonce',
        scriptText: readFileSync(path.join(DIST, 'webview.js'), 'utf8'),
        styleText: readFileSync(path.join(DIST, 'webview.css'), 'utf8'),
        messagesJson: serializeMessages([INIT, ...analysis(1, TARGET)]),
        lang: 'en',
        title: 'translation',
      }),
    );
    const { page, errors } = await openPage(browser, file);
    await page.waitForSelector('.translation-bar:not([hidden])');
    const state = await page.evaluate(() => ({
      toEn: document.getElementById('ctl-to-en')?.hasAttribute('disabled'),
      box: (document.getElementById('ctl-own-target') as HTMLTextAreaElement).disabled,
      apply: document.getElementById('ctl-own-apply')?.hasAttribute('disabled'),
      note: document.querySelector('.translation-standalone')?.textContent,
    }));
    expect(state).toMatchObject({ toEn: true, box: true, apply: true });
    expect(state.note).toContain('needs the panel in VS Code');
    await page.hover(`.text-view [data-token-index="${S + 1}"]`);
    const strongest = (await tokens(page)).filter((x) => x.index < S).reduce((a, b) => ((b.weight ?? 0) > (a.weight ?? 0) ? b : a));
    expect(strongest.index).toBe(ALIGN[0]);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
