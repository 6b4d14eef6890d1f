/**
 * Compare mode (encoder and causal model on the same text, side by side, in sync, plus the difference view),
 * hostile selection text shown as text, exports, and the standalone page's honesty about changing models.
 */
import { readFile } from 'node:fs/promises';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStandaloneHtml } from '../../src/export/standalonePage';
import { analyzeText } from '../../src/pipeline/analyze';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { CACHE, DIST, MODELS_DIR, REPO_ROOT, SAMPLE_TEXT, analyzeWithCli, ensureBuilt, launchBrowser, openPage, pickView, screenshot, setDropdown } from './harness';

let browser: Browser;

beforeAll(async () => {
  ensureBuilt();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('compare mode', () => {
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const registry = new ModelRegistry([MODELS_DIR]);
    const encoder = await analyzeText(registry, SAMPLE_TEXT, { modelId: 'encoder' });
    const causal = await analyzeText(registry, SAMPLE_TEXT, { modelId: 'causal' });
    const html = await buildStandaloneHtml([encoder, causal], { distDir: DIST, sourceLabel: 'compare.txt' });
    mkdirSync(CACHE, { recursive: true });
    const file = path.join(CACHE, 'compare.html');
    writeFileSync(file, html);
    ({ page, errors } = await openPage(browser, file, { width: 1500 }));
  });

  it('shows both analyses side by side, focus kept in sync', async () => {
    expect(await page.$$eval('.pane', (ps) => ps.map((p) => (p as HTMLElement).dataset.slot))).toEqual(['0', '1']);
    await page.hover('.pane[data-slot="0"] .text-view [data-token-index="9"]');
    const focused = await page.$$eval('.text-view .token.focused', (els) => els.map((e) => (e as HTMLElement).dataset.tokenIndex));
    expect(focused).toEqual(['9', '9']);
    // The causal side masks later tokens; the encoder side sees them all.
    const maskedLeft = await page.$$eval('.pane[data-slot="0"] .token[data-masked]', (e) => e.length);
    const maskedRight = await page.$$eval('.pane[data-slot="1"] .token[data-masked]', (e) => e.length);
    expect(maskedLeft).toBe(0);
    expect(maskedRight).toBeGreaterThan(0);
    const status = await page.textContent('.status');
    expect(status).toContain('Slot 1');
    expect(status).toContain('Slot 2');
    await screenshot(page, 'compare-text');
  });

  it('difference view draws left minus right', async () => {
    // Both panes open on the encoder's default head (4.8), where the two models differ by almost 1 (0.998 rounds
    // to 1.000 once quantised); layer 1, head 1 gives a difference the legend prints as 0.xxx.
    await setDropdown(page, 'ctl-layer', '0');
    await setDropdown(page, 'ctl-head', '0');
    await pickView(page, 'diff');
    const legend = await page.textContent('.pane[data-view="diff"] .legend');
    expect(legend).toMatch(/max \|Δ\| = 0\.\d{3}/);
    expect(await page.$$eval('.matrix-canvas', (c) => c.length)).toBe(1);
    await screenshot(page, 'compare-diff');
    expect(errors).toEqual([]);
  });
});

describe('localised UI (init.strings, 简体中文)', () => {
  it('shows the host-sent strings', async () => {
    const registry = new ModelRegistry([MODELS_DIR]);
    const result = await analyzeText(registry, SAMPLE_TEXT, { modelId: 'encoder' });
    const strings = JSON.parse(readFileSync(path.join(REPO_ROOT, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    const file = path.join(CACHE, 'zh.html');
    writeFileSync(file, await buildStandaloneHtml([result], { distDir: DIST, sourceLabel: 'zh.txt', strings, lang: 'zh-cn' }));
    const { page, errors } = await openPage(browser, file);
    expect(await page.textContent('#ctl-view-text')).toContain('文本');
    expect(await page.textContent('.status')).toContain('个词元');
    await page.hover('.text-view [data-token-index="2"]');
    expect(await page.getAttribute('.text-view [data-token-index="2"]', 'aria-label')).toContain('最关注');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('hostile text and the standalone page', () => {
  const HOSTILE =
    'Look: <img src=x onerror=alert(1)> and </script><script>alert(2)</script> & "quotes" \'too\'\n<b>bold?</b> 注意力 👩‍👩‍👧‍👦 café';
  let page: Page;
  let tokenCount: number;
  let requests: string[];
  let errors: string[];

  beforeAll(async () => {
    const made = analyzeWithCli('hostile', HOSTILE, ['--model', 'encoder']);
    tokenCount = made.json.tokens.length;
    ({ page, requests, errors } = await openPage(browser, made.html));
  });

  it('shows markup in the selection as text, never as elements (CJK and emoji split tokens too)', async () => {
    expect(await page.$eval('.text-view', (e) => e.textContent)).toBe(HOSTILE);
    expect(await page.$$eval('.text-view [data-token-index]', (e) => e.length)).toBe(tokenCount);
    expect(await page.$$eval('#app img, #app b, #app script', (e) => e.length)).toBe(0);
    await page.hover('.text-view [data-token-index="3"]');
    await pickView(page, 'matrix');
    await pickView(page, 'computation');
    await pickView(page, 'text');
    expect(errors).toEqual([]);
  });

  it('says that changing the model is unavailable in a standalone page', async () => {
    // This page embeds one analysis only: the what-if mask cannot be computed here, and the page says so.
    await setDropdown(page, 'ctl-mask', 'whatIf');
    await page.waitForSelector('.banner-info');
    expect(await page.textContent('.banner')).toContain('unavailable in a standalone page');
  });

  it('exports SVG and PNG of the current view', async () => {
    const [svgDownload] = await Promise.all([page.waitForEvent('download'), page.click('#ctl-export-svg')]);
    const svg = await readFile((await svgDownload.path()) as string, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('&#60;');
    expect(svg).not.toContain('<img');
    expect(svg).not.toContain('<script');
    await pickView(page, 'matrix');
    const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.click('#ctl-export-png')]);
    const png = await readFile((await pngDownload.path()) as string);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.click('#ctl-export-json')]);
    const data = JSON.parse(await readFile((await jsonDownload.path()) as string, 'utf8')) as { tokens: unknown[]; attention: number[][][][] };
    expect(data.tokens.length).toBe(data.attention[0][0].length);
  });

  it('requested nothing outside the page', () => {
    const outside = requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
  });
});
