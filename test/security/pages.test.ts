/**
 * Security of the two pages the extension renders, in Debian's Chromium (playwright-core):
 *  - the standalone page (`node dist/cli.js analyze FILE --html OUT`), opened from file://;
 *  - the panel page as VS Code loads it (renderWebviewHtml: external script and style under the webview CSP)
 *    with a fake `acquireVsCodeApi`, fed the host's own recording of a real analysis.
 * For a selection holding `<img src=x onerror=alert(1)>`, `</script>`, `javascript:` URLs, an `<svg onload>`,
 * and bidi override / isolate characters (U+202E, U+2066…):
 *  - zero network requests outside the page's own file(s) (every request of the browser context recorded);
 *  - the text is shown as text: the text view's textContent equals the input, the tokens concatenate to it, and
 *    no element made from it exists (no img/script/iframe/a/svg in the text view, no on* attribute anywhere,
 *    no javascript: URL in any attribute);
 *  - nothing runs: no dialog event, no page error, no console error, while every view is opened and tokens hovered.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMessages } from '../../src/export/standalonePage';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { analyzeText } from '../../src/pipeline/analyze';
import { serializeMessages } from '../../src/protocol/serialize';
import { DIST, ensureBuilt } from '../helpers/build';
import { fakeVsCodeApi, PANEL_SCRIPT_URI, PANEL_STYLE_URI, writePanelPage } from '../helpers/panelPage';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const MODELS_DIR = path.join(REPO_ROOT, 'models');
const CHROMIUM = process.env.ATTENTION_LENS_CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT = 120_000;

export const HOSTILE = [
  'Click <img src=x onerror=alert(1)> here, then',
  'end </script><script>alert(2)</script> of tag & "quotes" \'too\'',
  '<a href="javascript:alert(3)">link</a> and javascript:alert(4) bare, <iframe src="javascript:alert(5)"></iframe>',
  '<svg onload=alert(6)></svg> <b onmouseover=alert(7)>bold</b>',
  'bidi \u202Eevil.exe\u202C and \u2066isolated\u2069 and \u202Dforced\u202C done',
].join('\n');

interface Watch {
  page: Page;
  context: BrowserContext;
  requests: string[];
  dialogs: string[];
  errors: string[];
}

async function watch(browser: Browser): Promise<Watch> {
  const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
  const w: Watch = { page: await context.newPage(), context, requests: [], dialogs: [], errors: [] };
  // Context level: requests of every page, frame and worker.
  context.on('request', (r) => w.requests.push(r.url()));
  w.page.on('dialog', (d) => {
    w.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  w.page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
  w.page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(`console: ${m.text()}`);
  });
  return w;
}

/** Opens every view and hovers tokens, so that each renderer sees the hostile text. */
async function exercise(page: Page, n: number): Promise<void> {
  const tokens = page.locator('.text-view [data-token-index]');
  for (const i of [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1]) await tokens.nth(i).hover();
  for (const view of ['head', 'matrix', 'grid', 'computation', 'stats', 'text']) {
    const radio = page.locator(`#ctl-view-${view}`);
    if ((await radio.count()) === 0) continue;
    await radio.click();
    await page.waitForSelector(`.pane[data-view="${view}"]`);
  }
  await tokens.nth(Math.floor(n / 2)).hover();
  await tokens.nth(Math.floor(n / 2)).focus();
  await page.keyboard.press('Enter'); // computation view for that token
  await page.waitForSelector('.computation');
  await page.locator('#ctl-view-text').click();
  await page.waitForSelector('.pane[data-view="text"]');
}

/** Asserts the hostile text is shown as text and made no element. */
async function expectShownAsText(page: Page, expectedTokens: string[]): Promise<void> {
  expect(await page.locator('.text-view').first().textContent()).toBe(HOSTILE);
  const texts = await page.locator('.text-view [data-token-index]').allTextContents();
  expect(texts).toEqual(expectedTokens);
  expect(texts.join('')).toBe(HOSTILE);
  expect(await page.locator('.text-view img, .text-view script, .text-view iframe, .text-view a, .text-view svg, .text-view b').count()).toBe(0);
  expect(await page.locator('#app img, #app iframe, #app script, #app a[href]').count()).toBe(0);
  const bad = await page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        if (/^on/i.test(a.name)) out.push(`${el.tagName} ${a.name}=${a.value}`);
        if (/^\s*javascript:/i.test(a.value) && /^(href|src|action|formaction|xlink:href|data)$/i.test(a.name)) out.push(`${el.tagName} ${a.name}=${a.value}`);
      }
    }
    return out;
  });
  expect(bad, 'event-handler attributes or javascript: URLs in the DOM').toEqual([]);
  // The bidi controls are kept as characters of their tokens (text equality above), not interpreted as markup.
  expect(texts.some((t) => t.includes('\u202E'))).toBe(true);
  // …and they do not reorder what follows them (Trojan Source): on every line, the tokens appear left to right
  // in reading order, so "evil.exe" after U+202E is not shown as "exe.live".
  const boxes = await page.locator('.text-view [data-token-index]').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { i: Number((e as HTMLElement).dataset.tokenIndex), x: r.left, y: Math.round(r.top), w: r.width, text: e.textContent ?? '' };
    }),
  );
  const reversed: string[] = [];
  for (let k = 1; k < boxes.length; k++) {
    const a = boxes[k - 1];
    const b = boxes[k];
    if (a.y !== b.y || a.w === 0 || b.w === 0 || a.text.includes('\n') || b.text.includes('\n')) continue;
    if (b.x < a.x) reversed.push(`${JSON.stringify(a.text)}→${JSON.stringify(b.text)}`);
  }
  expect(reversed, 'tokens drawn right-to-left after a bidi override').toEqual([]);
}

/**
 * What each token element should hold: its slice of the input, where the pieces of one character that a
 * byte-level BPE split over several tokens (e.g. U+202E, 3 UTF-8 bytes) share the character's UTF-16 range;
 * the page shows such a character once, in the first of those tokens, and the others empty.
 */
function shownPieces(tokens: readonly { start: number; end: number }[]): string[] {
  let shownTo = 0;
  return tokens.map((t) => {
    const from = Math.max(t.start, shownTo);
    const to = Math.max(from, t.end);
    shownTo = Math.max(shownTo, to);
    return HOSTILE.slice(from, to);
  });
}

let browser: Browser;
let workDir: string;

beforeAll(async () => {
  ensureBuilt();
  workDir = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-security-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('standalone page (CLI --html), hostile selection', () => {
  it(
    'requests nothing outside its own file, shows the markup as text, runs nothing',
    async () => {
      const input = path.join(workDir, 'hostile.txt');
      const html = path.join(workDir, 'hostile.html');
      const json = path.join(workDir, 'hostile.json');
      writeFileSync(input, HOSTILE);
      execFileSync(process.execPath, [path.join(DIST, 'cli.js'), 'analyze', input, '--models-dir', MODELS_DIR, '--html', html], { cwd: REPO_ROOT, stdio: 'ignore' });
      const fd = openSync(json, 'w');
      try {
        execFileSync(process.execPath, [path.join(DIST, 'cli.js'), 'analyze', input, '--models-dir', MODELS_DIR, '--json'], { cwd: REPO_ROOT, stdio: ['ignore', fd, 'pipe'] });
      } finally {
        closeSync(fd);
      }
      const ref = JSON.parse(readFileSync(json, 'utf8')) as { tokens: { start: number; end: number }[] };
      // The raw file: the hostile text never appears unescaped inside the page source.
      const source = readFileSync(html, 'utf8');
      expect(source).not.toContain('<img src=x onerror');
      expect(source.split('</script>').length - 1, 'only the page’s own two script elements close').toBe(2);

      const w = await watch(browser);
      const own = pathToFileURL(html).href;
      await w.page.goto(own);
      await w.page.waitForSelector('.text-view [data-token-index]');
      await exercise(w.page, ref.tokens.length);
      await expectShownAsText(
        w.page,
        shownPieces(ref.tokens),
      );
      const outside = w.requests.filter((u) => u !== own);
      process.stderr.write(`[security] standalone page: ${w.requests.length} request(s), ${outside.length} outside its file\n`);
      expect(outside, 'requests outside the page’s own file').toEqual([]);
      expect(w.dialogs, 'dialogs (script ran)').toEqual([]);
      expect(w.errors).toEqual([]);
      await w.context.close();
    },
    TIMEOUT,
  );
});

describe('panel page (webview HTML + CSP, fake VS Code API), hostile selection', () => {
  it(
    'requests only its own script and style, shows the markup as text, runs nothing',
    async () => {
      const registry = new ModelRegistry([MODELS_DIR]);
      const result = await analyzeText(registry, HOSTILE, { modelId: 'causal' });
      const stream = recordMessages([result], 'hostile.txt');
      const pageFile = path.join(workDir, 'panel.html');
      mkdirSync(workDir, { recursive: true });
      writePanelPage(pageFile, 'securitytestnonce42');

      const w = await watch(browser);
      await w.page.addInitScript({ content: fakeVsCodeApi() });
      const own = pathToFileURL(pageFile).href;
      await w.page.goto(own);
      await w.page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
      await w.page.evaluate((json) => (window as unknown as { __host(j: string): void }).__host(json), serializeMessages(stream));
      await w.page.waitForSelector('.text-view [data-token-index]');
      await exercise(w.page, result.n);
      await expectShownAsText(
        w.page,
        shownPieces(result.tokens),
      );
      const allowed = new Set([own, PANEL_SCRIPT_URI, PANEL_STYLE_URI]);
      const outside = w.requests.filter((u) => !allowed.has(u));
      process.stderr.write(`[security] panel page: ${w.requests.length} request(s), ${outside.length} outside its own files\n`);
      expect(outside, 'requests outside the panel’s own page, script and style').toEqual([]);
      expect(w.dialogs, 'dialogs (script ran)').toEqual([]);
      expect(w.errors).toEqual([]);
      await w.context.close();
    },
    TIMEOUT,
  );
});
