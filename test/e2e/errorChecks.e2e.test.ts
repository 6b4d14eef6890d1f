/**
 * The error check every e2e test ends with (`expectNoExtensionErrors`, errorSources.ts) in a real code-server:
 *  - the workbench's own errors during a window reload (its log writer racing shutdown) are not counted, and are
 *    recognised by the script they come from, not by their wording;
 *  - an error thrown in our webview fails the check;
 *  - an error thrown in our extension host code fails the check (a copy of the extension whose built bundle
 *    throws once after activation — the only change to it).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { repoRoot, sampleWorkspace, startCodeServer, type CodeServer } from './codeServer';

const PROSE = 'prose.md';
const SHOW = 'Attention Lens: Show Attention for Selection';

function proseLines(from: number, to: number): string {
  return readFileSync(path.join(sampleWorkspace, PROSE), 'utf8').split('\n').slice(from - 1, to).join('\n');
}

async function showProse(vs: CodeServer): Promise<void> {
  await vs.openFile(PROSE);
  await vs.selectLines(3, 4);
  await vs.runCommand(SHOW);
  await expect.poll(() => vs.webviewFrame().locator('.text-view').textContent().catch(() => null), { timeout: 90_000 }).toBe(proseLines(3, 4));
}

describe('error checks: the workbench\'s noise vs. the extension\'s errors (code-server)', () => {
  let vs: CodeServer;

  beforeAll(async () => {
    vs = await startCodeServer();
  });

  afterAll(async () => {
    await vs?.stop();
  });

  it('does not count the workbench\'s own errors during a reload, and knows them by their source', async () => {
    onTestFailed(() => void vs.saveLogs('errorChecks-reload-failure'));
    await showProse(vs);
    const since = vs.checkpoint();
    await vs.runCommand('Developer: Reload Window');
    await vs.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await expect.poll(() => vs.webviewFrame().locator('.text-view').textContent({ timeout: 1_000 }).catch(() => null), { timeout: 90_000 }).toBe(proseLines(3, 4));
    // The workbench logs its shutdown at level error on every reload in a browser: seen, placed, not counted.
    const workbench = vs.workbenchErrors(since);
    process.stderr.write(`[e2e errorChecks] workbench errors during the reload: ${JSON.stringify(workbench.map((e) => e.text.slice(0, 120)))}\n`);
    expect(workbench.length).toBeGreaterThan(0);
    for (const e of workbench) expect(e.url).toMatch(/\/static\/(out|node_modules)\//);
    vs.expectNoExtensionErrors(since);
  });

  it('fails on an error thrown in our webview', async () => {
    const since = vs.checkpoint();
    vs.expectNoExtensionErrors(since);
    await vs.webviewFrame().locator('.text-view').evaluate(() => {
      setTimeout(() => {
        throw new Error('e2e probe: thrown in the webview');
      }, 0);
    });
    // Seen as an uncaught exception in the page, and reported by the webview to our output channel.
    await expect.poll(() => vs.extensionErrors(since).map((e) => e.source), { timeout: 10_000 }).toEqual(expect.arrayContaining(['page-error', 'output-channel']));
    for (const e of vs.extensionErrors(since)) expect(e.text).toContain('e2e probe: thrown in the webview');
    expect(() => vs.expectNoExtensionErrors(since)).toThrow(/e2e probe: thrown in the webview/);
  });
});

describe('error checks: an error in our host code (code-server)', () => {
  let vs: CodeServer;
  let copy: string;

  beforeAll(async () => {
    // The extension as built, plus one uncaught throw from its host bundle after activation.
    copy = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-e2e-throwing-'));
    for (const f of ['package.json', 'package.nls.json', 'package.nls.zh-cn.json', 'l10n', 'dist', 'media']) {
      cpSync(path.join(repoRoot, f), path.join(copy, f), { recursive: true });
    }
    symlinkSync(path.join(repoRoot, 'models'), path.join(copy, 'models'));
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'));
    const bundle = path.join(copy, 'dist', 'extension.js');
    writeFileSync(
      bundle,
      readFileSync(bundle, 'utf8') +
        `\n;(() => { const built = module.exports; module.exports = { ...built, activate(context) {` +
        ` const r = built.activate(context); setTimeout(() => { throw new Error('e2e probe: thrown in host code'); }, 0); return r; } }; })();\n`,
    );
    vs = await startCodeServer({ extensionPath: copy });
  });

  afterAll(async () => {
    await vs?.stop();
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('fails on an error thrown in our extension host code', async () => {
    onTestFailed(() => void vs.saveLogs('errorChecks-host-failure'));
    await showProse(vs);
    await expect.poll(() => vs.extensionErrors().map((e) => e.text).join('\n'), { timeout: 30_000 }).toContain('e2e probe: thrown in host code');
    process.stderr.write(`[e2e errorChecks] host throw seen as: ${JSON.stringify(vs.extensionErrors().map((e) => e.source))}\n`);
    expect(() => vs.expectNoExtensionErrors()).toThrow(/e2e probe: thrown in host code/);
  });
});
