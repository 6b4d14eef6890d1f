/**
 * The panel as VS Code loads it (renderWebviewHtml: external script and style under the webview CSP), with the
 * test playing the host through a fake `acquireVsCodeApi`. The stream is the host's own recording of a real
 * analysis (recordMessages), replayed message by message so the test controls order and staleness:
 * ready first and nothing before init, heads requested when picked, stale generations never painted,
 * focus sent to the editor overlay with the weights shown, focusFromEditor, setState restore, errors.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMessages } from '../../src/export/standalonePage';
import { analyzeText } from '../../src/pipeline/analyze';
import { ModelRegistry } from '../../src/model/modelRegistry';
import type { HostToWebview, ModelInfo } from '../../src/protocol/messages';
import { openFakeVsCodePanel, postedByPage, postFromHost, writePanelPage } from '../helpers/panelPage';
import { CACHE, MODELS_DIR, SAMPLE_TEXT, ensureBuilt, launchBrowser, setDropdown } from './harness';

const NONCE = 'testnonce123';
let browser: Browser;
let pageFile: string;
let stream: HostToWebview[];
let n: number;
let heads: number;
let weights: (layer: number, head: number, q: number, k: number) => number;


const open = (savedState?: unknown): Promise<{ page: Page; errors: string[] }> => openFakeVsCodePanel(browser, pageFile, savedState);
const host = postFromHost;
const posted = (page: Page): Promise<Array<Record<string, unknown>>> => postedByPage(page);

const byType = (type: string) => (m: HostToWebview): boolean => m.type === type;

beforeAll(async () => {
  ensureBuilt();
  const registry = new ModelRegistry([MODELS_DIR]);
  const result = await analyzeText(registry, SAMPLE_TEXT, { modelId: 'causal' });
  n = result.n;
  heads = result.model.heads;
  weights = (l, h, q, k) => result.attentions[((l * heads + h) * n + q) * n + k];
  // These checks follow the panel from layer 1, head 1: the host they play offers a model without a default head
  // (model.json default_head; the panel's opening on it is checked in defaultHead.test.ts).
  const noDefault = (m: ModelInfo): ModelInfo => {
    const copy = { ...m };
    delete copy.defaultHead;
    return copy;
  };
  stream = recordMessages([result], 'sample.txt').map((m) =>
    m.type === 'init' ? { ...m, models: m.models.map(noDefault) } : m.type === 'analysisStart' ? { ...m, model: noDefault(m.model) } : m,
  );
  mkdirSync(CACHE, { recursive: true });
  pageFile = path.join(CACHE, 'vscode-panel.html');
  writePanelPage(pageFile, NONCE);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('the panel inside VS Code (fake acquireVsCodeApi, real model stream)', () => {
  let page: Page;
  let errors: string[];
  const start = (): Extract<HostToWebview, { type: 'analysisStart' }> => stream.find(byType('analysisStart')) as Extract<HostToWebview, { type: 'analysisStart' }>;
  const head = (layer: number, h: number, generation?: number): HostToWebview => {
    const m = stream.find((x) => x.type === 'headData' && x.layer === layer && x.head === h) as Extract<HostToWebview, { type: 'headData' }>;
    return generation === undefined ? m : { ...m, generation };
  };

  it('says ready first and posts nothing else before init', async () => {
    ({ page, errors } = await open());
    await page.waitForTimeout(100);
    const out = await posted(page);
    expect(out).toEqual([{ type: 'ready', protocolVersion: 1 }]);
    expect(await page.textContent('.banner')).toMatch(/\S/);
  });

  it('paints the visible head as soon as it arrives, and asks for a head picked before it arrived', async () => {
    await host(page, [stream.find(byType('init'))!, start(), head(0, 0)]);
    await page.waitForSelector('.text-view [data-token-index]');
    await page.hover('.text-view [data-token-index="6"]');
    const w = await page.$eval('.text-view [data-token-index="2"]', (e) => Number((e as HTMLElement).dataset.weight));
    expect(Math.abs(w - weights(0, 0, 6, 2))).toBeLessThanOrEqual(0.0026);
    await setDropdown(page, 'ctl-head', '3');
    await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'requestHeads'));
    // Head 0.0 arrived with the start, so only the picked head is asked for, once.
    const reqs = (await posted(page)).filter((m) => m.type === 'requestHeads');
    expect(reqs).toEqual([{ type: 'requestHeads', generation: start().generation, slot: 0, heads: [{ layer: 0, head: 3 }] }]);
    expect(await page.textContent('.legend')).toContain('Loading');
  });

  it('never paints a head of another generation', async () => {
    const g = start().generation;
    await host(page, [head(0, 3, g - 1), head(0, 3, g + 7)]);
    expect(await page.textContent('.legend')).toContain('Loading');
    await host(page, [head(0, 3)]);
    await page.hover('.text-view [data-token-index="9"]');
    const w = await page.$eval('.text-view [data-token-index="4"]', (e) => Number((e as HTMLElement).dataset.weight));
    expect(Math.abs(w - weights(0, 3, 9, 4))).toBeLessThanOrEqual(0.0026);
  });

  it('tells the editor overlay what it shows (focusToken with the weights)', async () => {
    await page.waitForFunction(() =>
      (window as unknown as { __posted: Array<{ type: string; tokenIndex?: number }> }).__posted.some((m) => m.type === 'focusToken' && m.tokenIndex === 9),
    );
    const focus = (await posted(page)).filter((m) => m.type === 'focusToken').pop() as { tokenIndex: number; layer: number; head: number; weights: number[] };
    expect(focus.tokenIndex).toBe(9);
    expect([focus.layer, focus.head]).toEqual([0, 3]);
    expect(focus.weights.length).toBe(n);
    focus.weights.forEach((w, k) => expect(Math.abs(w - weights(0, 3, 9, k))).toBeLessThanOrEqual(0.0026));
  });

  it('focusFromEditor moves the focus in the panel', async () => {
    await host(page, [{ type: 'focusFromEditor', generation: start().generation, tokenIndex: 3 }]);
    expect(await page.$eval('.text-view .token.focused', (e) => (e as HTMLElement).dataset.tokenIndex)).toBe('3');
    // A stale one is ignored.
    await host(page, [{ type: 'focusFromEditor', generation: start().generation - 1, tokenIndex: 7 }]);
    expect(await page.$eval('.text-view .token.focused', (e) => (e as HTMLElement).dataset.tokenIndex)).toBe('3');
  });

  it('keeps layer, head, focus and view with setState, and restores them after a reload', async () => {
    await page.click('#ctl-view-matrix');
    await page.waitForTimeout(120);
    const state = await page.evaluate(() => (window as unknown as { __state: Record<string, unknown> }).__state);
    expect(state).toMatchObject({ layer: 0, head: 3, focusedToken: 3, view: 'matrix', modelId: 'causal' });
    expect(errors).toEqual([]);
    await page.context().close();

    ({ page, errors } = await open(state));
    await host(page, [stream.find(byType('init'))!, start(), ...stream.filter(byType('headData'))]);
    await page.waitForSelector('.pane[data-view="matrix"] .matrix-canvas');
    const values = await page.evaluate(() => ({
      head: (document.getElementById('ctl-head') as HTMLElement & { value: string }).value,
      view: (document.getElementById('ctl-view') as HTMLElement & { value: string }).value,
    }));
    expect(values).toEqual({ head: '3', view: 'matrix' });
  });

  it('exports: PNG/SVG rendered here and sent with the export message; JSON/HTML left to the host', async () => {
    await page.click('#ctl-export-png');
    await page.click('#ctl-export-json');
    await page.click('#ctl-view-text');
    await page.click('#ctl-export-svg');
    await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.filter((m) => m.type === 'export').length === 3);
    const exports = (await posted(page)).filter((m) => m.type === 'export') as Array<{ format: string; payload?: string; suggestedName: string }>;
    expect(exports.map((e) => e.format)).toEqual(['png', 'json', 'svg']);
    expect(exports[0].payload?.startsWith('iVBORw0KGgo')).toBe(true);
    expect(exports[0].suggestedName).toBe('attention-matrix-L1H4.png');
    expect(exports[1].payload).toBeUndefined();
    expect(exports[2].payload?.startsWith('<svg')).toBe(true);
    expect(exports[2].payload).toContain('quick');
  });

  it('an error for a newer analysis replaces the old one with a clear banner, never a stale view', async () => {
    await host(page, [{ type: 'analysisError', generation: start().generation + 1, slot: 0, message: 'Model "causal" could not be loaded.' }]);
    expect(await page.textContent('.banner-error')).toContain('could not be loaded');
    expect(await page.$$eval('.pane', (p) => p.length)).toBe(0);
    // A late head of the old analysis does nothing.
    await host(page, [head(1, 1)]);
    expect(await page.$$eval('.pane', (p) => p.length)).toBe(0);
    expect(errors).toEqual([]);
  });
});
