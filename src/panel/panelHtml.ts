/**
 * The HTML shell of the panel, for the VS Code webview and for the standalone page.
 * Both load the same `webview.js`/`webview.css`; only how they are referenced and the CSP differ.
 *
 * CSP: `default-src 'none'`; the script and the style sheet are allowed by nonce (standalone) or by the
 * webview's own resource origin + nonce (VS Code). No `unsafe-inline`, no `unsafe-eval`, no remote origin.
 * Canvas images exported as PNG are made with `toDataURL`, which needs no `img-src`.
 */
import { randomBytes } from 'node:crypto';

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface WebviewHtmlOptions {
  /** `webview.cspSource` */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  /** BCP-47 language of the UI, e.g. `en` or `zh-cn`. */
  lang: string;
  title: string;
}

export function webviewCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

export function renderWebviewHtml(o: WebviewHtmlOptions): string {
  return `<!DOCTYPE html>
<html lang="${escapeHtml(o.lang)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${webviewCsp(o.cspSource, o.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)}</title>
<link rel="stylesheet" nonce="${o.nonce}" href="${escapeHtml(o.styleUri)}">
</head>
<body>
<div id="app" data-host="vscode"></div>
<script nonce="${o.nonce}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>`;
}

export interface StandaloneHtmlOptions {
  nonce: string;
  scriptText: string;
  styleText: string;
  /** Output of `serializeMessages`: the recorded host→webview stream the page replays. */
  messagesJson: string;
  lang: string;
  title: string;
}

export function standaloneCsp(nonce: string): string {
  return ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, 'img-src data:'].join('; ');
}

/** Embedded text must not be able to close the element it lives in. */
function escapeForScriptElement(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export function renderStandaloneHtml(o: StandaloneHtmlOptions): string {
  // The data is JSON inside a non-executed script element; the JSON itself only ever holds strings, numbers and
  // base64, and `<` is escaped so selection text such as `</script>` cannot end the element early.
  const data = o.messagesJson.replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="${escapeHtml(o.lang)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${standaloneCsp(o.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)}</title>
<style nonce="${o.nonce}">${escapeForScriptElement(o.styleText)}</style>
</head>
<body class="standalone">
<div id="app" data-host="standalone"></div>
<script type="application/json" id="attention-lens-data">${data}</script>
<script nonce="${o.nonce}">${escapeForScriptElement(o.scriptText)}</script>
</body>
</html>`;
}
