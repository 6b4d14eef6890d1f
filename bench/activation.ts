/**
 * Activation cost of dist/extension.js, two ways:
 * - `benchActivation`: outside VS Code, a fresh node process loads the bundle with a stand-in `vscode` module
 *   (every API a no-op) and calls activate(). This is what VS Code's "activation time" counts for our code
 *   (module load + activate()); the extension host's own bookkeeping is not included.
 * - `benchActivationInCodeServer`: VS Code's own figure, read from Developer: Show Running Extensions after a
 *   fresh code-server start in which a command of ours activated the extension; median of several starts (each
 *   start is a new server, browser and extension host, so the module is loaded cold every time).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCodeServer, type CodeServer } from '../test/e2e/codeServer';
import { log, repoRoot, summarize, type Summary } from './common';

const CHILD = `
const Module = require('module');
const { performance } = require('perf_hooks');
const handler = {
  get(target, prop) {
    if (prop === 'then') return undefined;
    if (prop === Symbol.toPrimitive) return () => '';
    if (prop in target) return target[prop];
    return stub();
  },
  apply() { return stub(); },
  construct() { return stub(); },
};
function stub(extra) { return new Proxy(Object.assign(function () {}, extra || {}), handler); }
const config = { get: () => undefined, inspect: () => undefined, update: async () => undefined, has: () => false };
// A plain object with every name the bundle reads from 'vscode' (esbuild's ESM interop copies own keys).
const vscode = {};
const source = require('fs').readFileSync(process.argv[2], 'utf8');
for (const m of source.matchAll(/vscode\\d*\\.([A-Za-z_$][\\w$]*)/g)) vscode[m[1]] = stub();
Object.assign(vscode, {
  workspace: stub({ getConfiguration: () => config, workspaceFolders: undefined, isTrusted: true }),
  l10n: stub({ t: (s) => s }),
});
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'vscode') return vscode;
  return load.apply(this, arguments);
};
const file = process.argv[2];
const t0 = performance.now();
const ext = require(file);
const t1 = performance.now();
const context = { subscriptions: [], extensionPath: process.argv[3], extensionUri: stub(), globalState: stub(), workspaceState: stub() };
ext.activate(context);
const t2 = performance.now();
const ortLoaded = Object.keys(require.cache).some((k) => k.includes('onnxruntime'));
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, activateMs: t2 - t1, totalMs: t2 - t0, ortLoaded, subscriptions: context.subscriptions.length }));
`;

export interface ActivationResult {
  method: string;
  totalMs: Summary;
  moduleLoadMs: Summary;
  activateCallMs: Summary;
  onnxruntimeLoadedAtActivation: boolean;
  runs: number;
  error?: string;
}

export function benchActivation(runs = 7): ActivationResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-activation-'));
  const script = path.join(dir, 'activate.cjs');
  writeFileSync(script, CHILD);
  const load: number[] = [];
  const act: number[] = [];
  const total: number[] = [];
  let ort = false;
  let error: string | undefined;
  try {
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(process.execPath, [script, path.join(repoRoot, 'dist', 'extension.js'), repoRoot], { encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) {
        error = (r.stderr || r.stdout || `exit ${r.status}`).split('\n').slice(0, 3).join(' ');
        break;
      }
      const j = JSON.parse(r.stdout) as { loadMs: number; activateMs: number; totalMs: number; ortLoaded: boolean };
      load.push(j.loadMs);
      act.push(j.activateMs);
      total.push(j.totalMs);
      ort ||= j.ortLoaded;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    method: 'fresh node process per run: require(dist/extension.js) + activate(context) with a no-op vscode stand-in',
    totalMs: summarize(total, 2),
    moduleLoadMs: summarize(load, 2),
    activateCallMs: summarize(act, 2),
    onnxruntimeLoadedAtActivation: ort,
    runs: total.length,
    ...(error ? { error } : {}),
  };
}

/** The command a person activates the extension with (on a selection of an open file). */
const ACTIVATING_COMMAND = 'Attention Lens: Show Attention for Selection';

export interface CodeServerActivation {
  /** VS Code's activation time per start, as the Running Extensions view shows it */
  perStartMs: number[];
  /** the view's text per start (e.g. "12ms"), or why it was not read */
  shown: string[];
  medianMs: number | null;
  starts: number;
  method: string;
}

/** Reads Attention Lens's activation time from Developer: Show Running Extensions; null when the view has none. */
async function runningExtensionsActivation(cs: CodeServer): Promise<string | null> {
  await cs.runCommand('Developer: Show Running Extensions');
  const row = cs.page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: 'Attention Lens' }).first();
  await row.waitFor({ timeout: 20_000 });
  const text = ((await row.locator('.activation-time').first().textContent({ timeout: 10_000 })) ?? '').trim();
  return text || null;
}

export async function benchActivationInCodeServer(starts = 3): Promise<CodeServerActivation> {
  const perStartMs: number[] = [];
  const shown: string[] = [];
  for (let i = 0; i < starts; i++) {
    const ws = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-activation-ws-'));
    writeFileSync(path.join(ws, 'note.txt'), 'Attention Lens activation.\n');
    let cs: CodeServer | undefined;
    try {
      cs = await startCodeServer({ workspace: ws });
      await cs.openFile('note.txt');
      await cs.selectAll();
      await cs.runCommand(ACTIVATING_COMMAND);
      // The panel opens and takes the keyboard focus (F1 inside a webview does not reach the workbench): once it
      // is up, put the focus back into the editor before opening the command palette again.
      await cs.page.locator('iframe.webview.ready').last().waitFor({ state: 'attached', timeout: 60_000 });
      await cs.focusEditor('note.txt');
      const text = await runningExtensionsActivation(cs);
      const ms = text && /(\d+(?:\.\d+)?)\s*ms/.exec(text);
      if (ms) perStartMs.push(Number(ms[1]));
      shown.push(text ?? 'no activation time shown');
      log(`code-server start ${i + 1}/${starts}: activation ${text ?? 'not shown'}`);
    } catch (e) {
      shown.push(`not read: ${(e as Error).message.split('\n')[0]}`);
      const shot = cs ? await cs.screenshot(`bench-activation-failure-${i + 1}`).catch(() => '') : '';
      log(`code-server start ${i + 1}/${starts}: activation not read (${(e as Error).stack ?? e}); screenshot ${shot}`);
    } finally {
      await cs?.stop();
      rmSync(ws, { recursive: true, force: true });
    }
  }
  return {
    perStartMs,
    shown,
    medianMs: perStartMs.length ? summarize(perStartMs, 1).median : null,
    starts,
    method: `${starts} fresh code-server starts (test/e2e/codeServer.ts); in each, "${ACTIVATING_COMMAND}" on a selection activates the extension, then Developer: Show Running Extensions is read`,
  };
}
