/**
 * The panel page as VS Code loads it (renderWebviewHtml: the built dist/webview.js and .css under the webview CSP),
 * for browser tests that play the host themselves through a fake `acquireVsCodeApi`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { renderWebviewHtml } from '../../src/panel/panelHtml';
import type { HostToWebview } from '../../src/protocol/messages';
import { serializeMessages } from '../../src/protocol/serialize';
import { DIST } from './build';

/** The page's script and stylesheet: the only files it may load besides itself. */
export const PANEL_SCRIPT_URI = pathToFileURL(path.join(DIST, 'webview.js')).href;
export const PANEL_STYLE_URI = pathToFileURL(path.join(DIST, 'webview.css')).href;

/** Writes the panel page to `file` with the script nonce `nonce`. */
export function writePanelPage(file: string, nonce: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    renderWebviewHtml({
      cspSource: 'file:',
      nonce,
      scriptUri: PANEL_SCRIPT_URI,
      styleUri: PANEL_STYLE_URI,
      lang: 'en',
      title: 'Attention Lens',
    }),
  );
}

/**
 * A script for `page.addInitScript` (it runs before the page's own): `acquireVsCodeApi` records every message the
 * page posts in `window.__posted` and keeps its state in `window.__state` (starting from `savedState`);
 * `window.__host(json)` delivers host messages serialised by src/protocol/serialize.ts (ArrayBuffers as base64).
 */
export function fakeVsCodeApi(savedState: unknown = null): string {
  return `
    window.__posted = [];
    window.__state = ${JSON.stringify(savedState ?? null)};
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => window.__state,
      setState: (s) => { window.__state = s; },
    });
    window.__host = (json) => {
      const msgs = JSON.parse(json, (k, v) => {
        if (v && typeof v === 'object' && '$base64' in v) {
          const bin = atob(v.$base64);
          const bytes = new Uint8Array(bin.length);
          for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
          return bytes.buffer;
        }
        return v;
      });
      for (const m of msgs) window.postMessage(m, '*');
    };`;
}

/**
 * The panel page (writePanelPage) in a new browser context under the fake VS Code API, once its script has said
 * `ready`; page errors and console errors are collected in `errors`.
 */
export async function openFakeVsCodePanel(browser: Browser, pageFile: string, savedState?: unknown): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.addInitScript({ content: fakeVsCodeApi(savedState) });
  await page.goto(pathToFileURL(pageFile).href);
  await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
  return { page, errors };
}

/** Delivers host messages to the page as VS Code would, then waits two frames for it to draw them. */
export async function postFromHost(page: Page, messages: HostToWebview[]): Promise<void> {
  await page.evaluate((json) => (window as unknown as { __host(j: string): void }).__host(json), serializeMessages(messages));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Every message the page posted to the (fake) host so far. */
export async function postedByPage<T = Record<string, unknown>>(page: Page): Promise<T[]> {
  return page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted) as Promise<T[]>;
}
