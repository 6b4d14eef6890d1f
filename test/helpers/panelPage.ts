/**
 * The panel page as VS Code loads it (renderWebviewHtml: the built dist/webview.js and .css under the webview CSP),
 * for browser tests that play the host themselves through a fake `acquireVsCodeApi`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderWebviewHtml } from '../../src/panel/panelHtml';
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
