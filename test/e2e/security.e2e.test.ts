/**
 * Security in a real VS Code (code-server), through the UI. One server, started WITH workspace trust enabled on
 * an untrusted folder (Restricted Mode) whose .vscode/settings.json points `attentionLens.modelsPath` at a
 * folder holding a valid copy of the encoder model under another id:
 *  - workspace trust: that model is not listed (Choose Model, the panel's model dropdown) nor used, and the
 *    extension says why (a warning containing "not trusted" in its log and as a notification); package.json
 *    declares capabilities.untrustedWorkspaces;
 *  - the live panel's CSP (the inner iframe's <meta http-equiv="Content-Security-Policy">): default-src 'none',
 *    scripts by nonce only, no 'unsafe-inline' / 'unsafe-eval', no remote origins — and it is enforced (an
 *    injected inline script does not run, a fetch to another origin is refused);
 *  - no telemetry: after the panel has run the model in the extension's inference worker, onnxruntime has left no
 *    device id or event queue in the server's cache folder (src/model/ortTelemetry.ts).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { CodeServer, repoRoot, sampleWorkspace, startCodeServer } from './codeServer';

const FILE = 'prose.md';
const COPY_ID = 'untrusted-copy';
const COPY_NAME = 'Untrusted workspace copy';

describe('security: workspace trust and the live panel CSP (code-server, Restricted Mode)', () => {
  let vs: CodeServer;
  let workspace: string;

  beforeAll(async () => {
    workspace = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-e2e-untrusted-'));
    cpSync(sampleWorkspace, workspace, { recursive: true });
    // A valid model (the encoder's files) under another id, in a folder named by the workspace settings.
    const copy = path.join(workspace, 'workspace-models', COPY_ID);
    mkdirSync(copy, { recursive: true });
    const src = path.join(repoRoot, 'models', 'encoder');
    const manifest = JSON.parse(readFileSync(path.join(src, 'model.json'), 'utf8')) as Record<string, unknown> & { files: { model: string; tokenizer: string } };
    for (const f of [manifest.files.model, manifest.files.tokenizer]) cpSync(path.join(src, f), path.join(copy, f));
    writeFileSync(path.join(copy, 'model.json'), JSON.stringify({ ...manifest, id: COPY_ID, display_name: COPY_NAME }, null, 2));
    mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    writeFileSync(
      path.join(workspace, '.vscode', 'settings.json'),
      JSON.stringify({ 'attentionLens.modelsPath': 'workspace-models', 'attentionLens.defaultModel': COPY_ID }, null, 2),
    );
    vs = await startCodeServer({ workspace, workspaceTrust: 'untrusted' });
    process.stderr.write(`[e2e security] timings: ${JSON.stringify(vs.timings)}\n`);
  });

  afterAll(async () => {
    await vs?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('package.json declares limited support for untrusted workspaces, restricting attentionLens.modelsPath', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      capabilities?: { untrustedWorkspaces?: { supported: unknown; restrictedConfigurations?: string[] } };
    };
    expect(pkg.capabilities?.untrustedWorkspaces?.supported).toBe('limited');
    expect(pkg.capabilities?.untrustedWorkspaces?.restrictedConfigurations).toContain('attentionLens.modelsPath');
  });

  it('ignores the workspace models path in an untrusted workspace and says why', async () => {
    onTestFailed(async () => {
      await vs.screenshot('security-trust-failure');
      vs.saveLogs('security-trust-failure');
    });
    // Restricted Mode is on (the harness leaves the folder untrusted).
    await expect.poll(() => vs.page.locator('.statusbar-item', { hasText: /Restricted Mode/i }).count(), { timeout: 20_000 }).toBeGreaterThan(0);

    const lines = readFileSync(path.join(sampleWorkspace, FILE), 'utf8').split('\n');
    const selected = lines.slice(2, 4).join('\n');
    await vs.openFile(FILE);
    await vs.selectLines(3, 4);
    await vs.runCommand('Attention Lens: Show Attention for Selection');
    const panel = vs.webviewFrame();
    await expect.poll(() => panel.locator('.text-view').textContent().catch(() => null), { timeout: 90_000 }).toBe(selected);

    // The reason, in the extension's log and as a notification.
    await expect.poll(() => vs.readExtensionLog(), { timeout: 15_000 }).toMatch(/\[warning\].*not trusted/);
    expect(vs.readExtensionLog()).toContain('workspace-models');
    await expect.poll(async () => (await vs.notificationTexts()).join('\n'), { timeout: 15_000 }).toMatch(/not trusted/);

    // Not used: the panel analysed with a bundled model, not the copy its settings asked for.
    const status = (await panel.locator('.status').textContent()) ?? '';
    expect(status).not.toContain(COPY_NAME);
    const modelOptions = await panel.locator('#ctl-model vscode-option').evaluateAll((os) => os.map((o) => `${o.getAttribute('value')} ${o.textContent}`));
    expect(modelOptions.length).toBeGreaterThan(0);
    expect(modelOptions.join('\n')).not.toContain(COPY_ID);
    expect(modelOptions.join('\n')).not.toContain(COPY_NAME);

    // Not listed: "Choose Model" shows the bundled models only.
    await vs.runCommand('Attention Lens: Choose Model');
    const rows = vs.page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: 15_000 });
    const items = await rows.allTextContents();
    await vs.page.keyboard.press('Escape');
    process.stderr.write(`[e2e security] Choose Model lists: ${JSON.stringify(items)}\n`);
    expect(items.join('\n')).toMatch(/encoder/);
    expect(items.join('\n')).not.toContain(COPY_ID);
    expect(items.join('\n')).not.toContain(COPY_NAME);

    vs.expectNoExtensionErrors();
  });

  it("the live panel's CSP: default-src 'none', scripts by nonce only, nothing unsafe, no remote origins; enforced", async () => {
    onTestFailed(async () => {
      await vs.screenshot('security-csp-failure');
      vs.saveLogs('security-csp-failure');
    });
    const panel = vs.webviewFrame();
    await panel.locator('.text-view [data-token-index]').first().waitFor({ timeout: 90_000 });
    const metas = await panel.locator('meta[http-equiv="Content-Security-Policy" i]').evaluateAll((ms) => ms.map((m) => m.getAttribute('content') ?? ''));
    expect(metas.length).toBe(1);
    const csp = metas[0];
    process.stderr.write(`[e2e security] live panel CSP: ${csp}\n`);
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([name, ...values]) => [name.toLowerCase(), values] as const),
    );
    expect(directives.get('default-src')).toEqual(["'none'"]);
    const scriptSrc = directives.get('script-src') ?? [];
    expect(scriptSrc.length).toBeGreaterThan(0);
    for (const v of scriptSrc) expect(v, 'script-src holds nonces only').toMatch(/^'nonce-[A-Za-z0-9+/=_-]{16,}'$/);
    expect(directives.has('script-src-elem')).toBe(false);
    expect(directives.has('script-src-attr')).toBe(false);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|wasm-unsafe-eval|strict-dynamic/);
    // No remote origins: every source is a keyword, a nonce, data:, or the webview's own resource origin.
    const pageOrigin = new URL(vs.url).origin;
    const webviewOrigin = await panel.locator('body').evaluate(() => location.origin);
    const allowed = (v: string): boolean =>
      /^'(none|self|nonce-[^']+)'$/.test(v) ||
      v === 'data:' ||
      v === pageOrigin ||
      v === webviewOrigin ||
      // VS Code's webview resource origin: served by the webview's service worker from the extension folder,
      // never fetched from the network (code-server: *.vscode-cdn.net style pseudo-host or its own origin).
      /^https:\/\/\*\.vscode-cdn\.net$/.test(v) ||
      /^https?:\/\/\*\.vscode-resource\.vscode-cdn\.net$/.test(v);
    for (const [name, values] of directives) {
      for (const v of values) expect(allowed(v), `${name} ${v} is not a remote origin`).toBe(true);
    }
    // The page's scripts carry the nonce.
    const nonces = await panel.locator('script[src]').evaluateAll((ss) => ss.map((s) => (s as HTMLScriptElement).nonce));
    expect(nonces.length).toBeGreaterThan(0);
    for (const n of nonces) expect(scriptSrc).toContain(`'nonce-${n}'`);

    // Enforced: an injected inline script (no nonce) does not run; a fetch to another origin is refused.
    const probe = await panel.locator('body').evaluate(async () => {
      const w = window as unknown as { __injected?: number };
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
      const s = document.createElement('script');
      s.textContent = 'window.__injected = 1';
      document.body.append(s);
      let fetched = 'refused';
      try {
        await fetch('http://127.0.0.1:9/x');
        fetched = 'allowed';
      } catch {
        /* refused by connect-src (default-src 'none') */
      }
      await new Promise((r) => setTimeout(r, 50));
      s.remove();
      return { ran: w.__injected === 1, fetched, violations };
    });
    expect(probe.ran, 'an inline script without the nonce ran').toBe(false);
    expect(probe.fetched).toBe('refused');
    expect(probe.violations.some((v) => v.startsWith('script-src'))).toBe(true);
    expect(probe.violations.some((v) => v.startsWith('connect-src') || v.startsWith('default-src'))).toBe(true);
  });

  it("no telemetry: onnxruntime's device id and event queue are never written", async () => {
    // The CSP test above waited for the panel's tokens, so the worker has run the model by now.
    const panel = vs.webviewFrame();
    await panel.locator('.text-view [data-token-index]').first().waitFor({ timeout: 90_000 });
    // VS Code itself keeps its own machine id in Microsoft/DeveloperTools/deviceid; onnxruntime's is one folder down.
    for (const cache of [path.join(vs.sandbox, 'xdg-cache'), path.join(vs.sandbox, 'home', '.cache')]) {
      const found = existsSync(cache) ? readdirSync(cache, { recursive: true }).map(String) : [];
      expect(found.filter((f) => /onnxruntime/i.test(f))).toEqual([]);
    }
  });
});

