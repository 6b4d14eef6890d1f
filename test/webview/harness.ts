/**
 * Shared harness of the webview tests: the standalone page made from REAL model output (the CLI's --html and
 * --json for the same text, or buildStandaloneHtml for compare mode), opened in Debian's Chromium through
 * playwright-core. One browser per test file; every request the page makes is recorded.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DIST, ensureBuilt } from '../helpers/build';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export { DIST };
export const CACHE = path.join(REPO_ROOT, '.cache', 'webview-tests');
export const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const CHROMIUM = process.env.ATTENTION_LENS_CHROMIUM ?? '/usr/bin/chromium';
/** The bundled models by default; ATTENTION_LENS_MODELS_DIR points the tests at another model folder. */
export const MODELS_DIR = process.env.ATTENTION_LENS_MODELS_DIR ?? path.join(REPO_ROOT, 'models');

/** What `attention-lens analyze FILE --json` prints. */
export interface CliJson {
  model: string;
  kind: string;
  mask: string;
  layers: number;
  heads: number;
  tokens: Array<{ text: string; start: number; end: number }>;
  attention: number[][][][];
}

export { ensureBuilt };

/** Runs the CLI on `text`: returns the standalone page's path and the JSON of the very same analysis. */
export function analyzeWithCli(name: string, text: string, args: string[] = []): { html: string; json: CliJson } {
  ensureBuilt();
  mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `${name}.txt`);
  const html = path.join(CACHE, `${name}.html`);
  writeFileSync(file, text);
  const cliArgs = [path.join(DIST, 'cli.js'), 'analyze', file, ...args, '--models-dir', MODELS_DIR, '--json', '--html', html];
  // stdout goes to a file, not a pipe: a pipe may be cut short when the CLI exits before Node flushed it.
  const outFile = path.join(CACHE, `${name}.json`);
  const fd = openSync(outFile, 'w');
  try {
    execFileSync(process.execPath, cliArgs, { cwd: REPO_ROOT, stdio: ['ignore', fd, 'pipe'] });
  } finally {
    closeSync(fd);
  }
  const out = readFileSync(outFile, 'utf8');
  return { html, json: JSON.parse(out) as CliJson };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export interface OpenedPage {
  page: Page;
  /** Every URL the page asked for, the page itself included. */
  requests: string[];
  /** Page errors and console errors (CSP violations show up here). */
  errors: string[];
}

export async function openPage(
  browser: Browser,
  htmlPath: string,
  options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {},
): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1200, height: options.height ?? 900 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(pathToFileURL(htmlPath).href);
  await page.waitForSelector('[data-token-index]');
  return { page, requests, errors };
}

/** Clicks a toolkit radio/checkbox/option by id and waits for the app to re-render. */
export async function pickView(page: Page, view: string): Promise<void> {
  await page.click(`#ctl-view-${view}`);
  await page.waitForSelector(`.pane[data-view="${view}"]`);
}

/** Sets a toolkit dropdown's value the way a person's choice would (value + change event). */
export async function setDropdown(page: Page, id: string, value: string): Promise<void> {
  await page.evaluate(
    ([sel, v]) => {
      const el = document.getElementById(sel) as HTMLElement & { value: string };
      el.value = v;
      el.dispatchEvent(new Event('change', { bubbles: true }));
    },
    [id, value] as const,
  );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Alpha of a computed CSS colour: `rgba(…, a)`, `color(srgb r g b / a)`, or 1 / 0 for opaque / transparent. */
export function alphaOf(css: string): number {
  if (css === 'transparent' || css === '') return 0;
  const slash = /\/\s*([\d.e-]+)\s*\)$/.exec(css);
  if (slash) return Number(slash[1]);
  const rgba = /^rgba\([^,]+,[^,]+,[^,]+,\s*([\d.e-]+)\)$/.exec(css);
  if (rgba) return Number(rgba[1]);
  return 1;
}

export const SAMPLE_TEXT =
  'The quick brown fox jumps over the lazy dog.\nThen the dog, annoyed, chased the fox into the woods, barking loudly.';
