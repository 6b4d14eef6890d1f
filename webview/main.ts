/**
 * Entry of the webview bundle (dist/webview.js), for the VS Code panel and the standalone page alike.
 * The shell (src/panel/panelHtml.ts) provides `<div id="app" data-host="vscode|standalone">`.
 */
import './cspNonce';
import { App } from './app';
import { createHostBridge } from './hostBridge';

function main(): void {
  const root = document.getElementById('app');
  if (!root) return;
  const app = new App(root, createHostBridge());
  app.start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
