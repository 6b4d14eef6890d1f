#!/usr/bin/env node
// Walks through the first minute of `npm run quickstart` the way a newcomer would, in Debian's Chromium driven by
// playwright-core, and says what is wrong with it; makes the README's screenshot of a Chinese selection on the way.
//
//   node scripts/quickstart-check.mjs            uses the existing .cache/start/ (what a second `npm start` sees)
//   node scripts/quickstart-check.mjs --fresh    removes .cache/start/ first (what a clean clone sees)
//
// Runs `node scripts/start.mjs` on a free port (ATTENTION_LENS_SKIP_BUILD=1 skips its build, as for start.mjs),
// opens the address it prints and checks: the sample document is open, no notification asks anything for 20 s,
// an analysis of a selection opens the panel, every view fits the panel's width. Screenshots go to
// test-results/quickstart/; the Chinese one also to test/artifacts/quickstart-zh.png (the README shows it).
// Exit status 1 when a check fails. It stops the server it started.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { anyFreePort } from './ports.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outDir = path.join(root, 'test-results', 'quickstart');
const CHROMIUM = process.env.ATTENTION_LENS_CHROMIUM ?? '/usr/bin/chromium';
// The e2e tests' viewport: the panel opens beside the editor, so it gets about half of what the sidebar leaves.
const VIEWPORT = { width: 1600, height: 1000 };
const VIEWS = ['text', 'head', 'matrix', 'grid', 'computation', 'stats'];

const problems = [];
const problem = (msg) => {
  problems.push(msg);
  process.stderr.write(`[quickstart-check] PROBLEM: ${msg}\n`);
};
const log = (msg) => process.stderr.write(`[quickstart-check] ${msg}\n`);


if (process.argv.includes('--fresh')) rmSync(path.join(root, '.cache', 'start'), { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const port = await anyFreePort();
const server = spawn(process.execPath, [path.join(root, 'scripts', 'start.mjs')], {
  cwd: root,
  env: { ...process.env, PORT: String(port) },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let printed = '';
server.stdout.on('data', (c) => (printed += c));
server.stderr.on('data', () => undefined);
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('start.mjs printed no address within 180 s')), 180_000);
  server.stdout.on('data', () => {
    const m = /Open:\s+(\S+)/.exec(printed);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  server.on('exit', (code) => reject(new Error(`start.mjs exited (${code}) before printing an address`)));
});
log(`start.mjs printed:\n${printed}`);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
  const shot = (name) => page.screenshot({ path: path.join(outDir, `${name}.png`) });
  await page.goto(url);
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });

  // 1. The sample document is open.
  const prose = page.locator('.tabs-container .tab.active[data-resource-name="prose.md"]');
  if (!(await prose.waitFor({ timeout: 15_000 }).then(() => true, () => false))) problem('prose.md is not open');

  // 2. Nothing asks the newcomer anything: extensions (git among them) activate in the first seconds.
  await page.waitForTimeout(20_000);
  const notes = await page.locator('.notification-list-item-message').allTextContents();
  if (notes.length) problem(`notifications shown: ${JSON.stringify(notes)}`);
  await shot('1-first-minute');

  // 3. Analyse a selection in prose.md (lines 3–4) as the printed instructions say.
  const editorOf = (name) => page.locator(`.monaco-editor[data-uri$="/${name}"]`).first();
  const selectLines = async (name, from, to) => {
    const guard = editorOf(name).locator('.overflow-guard').first();
    const box = await guard.boundingBox();
    await guard.click({ position: { x: box ? Math.max(80, box.width / 2) : 80, y: 8 } });
    await page.keyboard.press('Control+G');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${from}:1`);
    await page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden' });
    for (let i = from; i < to; i++) await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+End');
    await page.locator('.statusbar-item', { hasText: /selected/ }).first().waitFor({ timeout: 10_000 });
  };
  await selectLines('prose.md', 3, 4);
  await page.keyboard.press('Control+Alt+A');
  const frame = page.locator('iframe.webview.ready').last().contentFrame().frameLocator('#active-frame');
  await frame.locator('[data-token-index]').first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1500);
  const status = ((await frame.locator('.status').first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
  log(`panel status: ${status}`);
  await shot('2-panel');

  // 4. Every view fits the panel's width: nothing reaches past the right edge of the page.
  for (const view of VIEWS) {
    await frame.locator(`#ctl-view-${view}`).click();
    await frame.locator(`.pane[data-view="${view}"]`).first().waitFor({ timeout: 15_000 });
    if (view === 'grid') {
      await frame
        .locator('.card-label', { hasText: '…' })
        .first()
        .waitFor({ state: 'detached', timeout: 30_000 })
        .catch(() => undefined);
    }
    await page.waitForTimeout(800);
    const fit = await frame.locator('body').evaluate((body) => {
      const width = document.documentElement.clientWidth;
      const over = [...body.querySelectorAll('*')]
        .filter((e) => {
          const r = e.getBoundingClientRect();
          // Inside a scrolled box (a canvas wrapper that scrolls on purpose) the box itself is what must fit.
          return r.width > 0 && r.right > width + 1 && !e.parentElement?.closest('.canvas-wrap');
        })
        .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} right ${Math.round(e.getBoundingClientRect().right)}`);
      return { width, scrollWidth: document.documentElement.scrollWidth, over: over.slice(0, 5) };
    });
    log(`${view}: panel ${fit.width}px, content ${fit.scrollWidth}px`);
    if (fit.scrollWidth > fit.width + 1 || fit.over.length) problem(`${view} view is wider than the panel (${fit.width}px): ${fit.over.join('; ')}`);
    await shot(`3-view-${view}`);
  }
  await frame.locator('#ctl-view-text').click();

  // 5. A Chinese selection (the README's screenshot): open chinese.md beside nothing else, analyse two lines.
  await page.keyboard.press('Escape');
  await page.locator('.editor-group-container').first().click({ position: { x: 200, y: 200 } });
  await page.keyboard.press('Control+P');
  const quick = page.locator('.quick-input-widget input');
  await quick.waitFor({ state: 'visible' });
  await quick.fill('chinese.md');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'chinese.md' }).first().waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active[data-resource-name="chinese.md"]').first().waitFor({ timeout: 20_000 });
  await selectLines('chinese.md', 3, 4);
  await page.keyboard.press('Control+Alt+A');
  await frame.locator('[data-token-index]').filter({ hasText: /[\u4e00-\u9fff]/ }).first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  // Hover a token in the middle of the second line so the picture shows what it attends to.
  const tokens = frame.locator('.text-view [data-token-index]');
  const n = await tokens.count();
  await tokens.nth(Math.floor((n * 3) / 4)).hover();
  await page.waitForTimeout(800);
  await shot('4-chinese');
  copyFileSync(path.join(outDir, '4-chinese.png'), path.join(root, 'test', 'artifacts', 'quickstart-zh.png'));
} catch (e) {
  problem(`the walk-through stopped: ${e?.message ?? e}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((r) => (server.exitCode === null ? server.once('exit', r) : r()));
}

log(problems.length ? `${problems.length} problem(s); screenshots in ${path.relative(root, outDir)}/` : `all good; screenshots in ${path.relative(root, outDir)}/`);
process.exit(problems.length ? 1 : 0);
