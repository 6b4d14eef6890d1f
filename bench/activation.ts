/**
 * Activation cost of dist/extension.js, two ways:
 * - `benchActivation`: outside VS Code, a fresh node process loads the bundle with a stand-in `vscode` module
 *   (every API a no-op) and calls activate(). This is what VS Code's "activation time" counts for our code
 *   (loading the `main` module + activate(); the Running Extensions view shows code loading + the activate call);
 *   the extension host's own bookkeeping is not included. dist/extension.js is only the registrations: the rest of
 *   the extension (dist/extensionMain.js) is required by the first command, so the same process then runs one
 *   command (Show Attention for Selection with no editor open: it loads the rest, then only shows a warning) and
 *   times it, and once more to tell the load from the command (`firstCommand`).
 * - `benchActivationInCodeServer`: VS Code's own figure, read from Developer: Show Running Extensions after a
 *   fresh code-server start in which a command of ours activated the extension; median of several starts (each
 *   start is a new server, browser and extension host, so the module is loaded cold every time).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCodeServer, type CodeServer } from '../test/e2e/codeServer';
import { log, repoRoot, summarize, type Summary } from './common';

/** The command the stand-in runs after activation (as in code-server, the one a person activates with). */
const FIRST_COMMAND = 'attentionLens.showSelection';

const CHILD = `
const Module = require('module');
const path = require('path');
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
const file = process.argv[2];
const mainBundle = path.join(path.dirname(file), 'extensionMain.js');
// A plain object with every name the bundles read from 'vscode' (esbuild's ESM interop copies own keys).
const vscode = {};
for (const f of [file, mainBundle]) {
  let source = '';
  try { source = require('fs').readFileSync(f, 'utf8'); } catch {}
  for (const m of source.matchAll(/vscode\\d*\\.([A-Za-z_$][\\w$]*)/g)) vscode[m[1]] = stub();
}
const commands = new Map();
const serializers = [];
const errors = [];
Object.assign(vscode, {
  workspace: stub({ getConfiguration: () => config, workspaceFolders: undefined, isTrusted: true }),
  l10n: stub({ t: (s) => s }),
  window: stub({
    activeTextEditor: undefined,
    registerWebviewPanelSerializer: (viewType) => { serializers.push(viewType); return stub(); },
    // The command's errors go to the log and an error message: a failed first command is reported, not timed.
    createOutputChannel: () => stub({ error: (e) => errors.push(String((e && e.message) || e)) }),
  }),
  commands: stub({
    registerCommand: (id, fn) => { commands.set(id, fn); return stub(); },
    executeCommand: async () => undefined,
  }),
});
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'vscode') return vscode;
  return load.apply(this, arguments);
};
const loaded = (part) => Object.keys(require.cache).some((k) => k.includes(part));
(async () => {
  const t0 = performance.now();
  const ext = require(file);
  const t1 = performance.now();
  const context = { subscriptions: [], extensionPath: process.argv[3], extensionUri: stub(), globalState: stub(), workspaceState: stub(), globalStorageUri: stub() };
  ext.activate(context);
  const t2 = performance.now();
  const atActivation = { ortLoaded: loaded('onnxruntime'), mainLoaded: loaded(mainBundle), commands: [...commands.keys()], serializers };
  const command = commands.get(process.argv[4]);
  const t3 = performance.now();
  await command();
  const t4 = performance.now();
  await command();
  const t5 = performance.now();
  process.stdout.write(JSON.stringify({
    loadMs: t1 - t0, activateMs: t2 - t1, totalMs: t2 - t0, ...atActivation, subscriptions: context.subscriptions.length,
    firstCommandMs: t4 - t3, secondCommandMs: t5 - t4, mainLoadedAfterCommand: loaded(mainBundle), errors,
  }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

export interface ActivationResult {
  method: string;
  /** what VS Code's activation time counts: require(dist/extension.js) + activate() */
  totalMs: Summary;
  moduleLoadMs: Summary;
  activateCallMs: Summary;
  /**
   * The cost activation no longer pays, moved to the first command: its time from the call to its end (it requires
   * dist/extensionMain.js and builds the extension's state, then only warns that no editor is open), the same
   * command run again, and the difference (the lazy load).
   */
  firstCommand: { command: string; firstRunMs: Summary; secondRunMs: Summary; lazyLoadMs: Summary };
  /** bytes of the activation bundle and of the bundle loaded on first use */
  bundleBytes: { extension: number; extensionMain: number | null };
  onnxruntimeLoadedAtActivation: boolean;
  /** dist/extensionMain.js loaded by activation (must be false: it is loaded on first use) */
  mainBundleLoadedAtActivation: boolean;
  /** commands activate() registered (package.json contributes them all) and the serializer's view types */
  commandsRegistered: number;
  serializers: string[];
  runs: number;
  error?: string;
}

export function benchActivation(runs = 7): ActivationResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-activation-'));
  const script = path.join(dir, 'activate.cjs');
  writeFileSync(script, CHILD);
  const bundle = path.join(repoRoot, 'dist', 'extension.js');
  const mainBundle = path.join(repoRoot, 'dist', 'extensionMain.js');
  const load: number[] = [];
  const act: number[] = [];
  const total: number[] = [];
  const first: number[] = [];
  const second: number[] = [];
  const lazy: number[] = [];
  let ort = false;
  let mainAtActivation = false;
  let commandsRegistered = 0;
  let serializers: string[] = [];
  let error: string | undefined;
  try {
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(process.execPath, [script, bundle, repoRoot, FIRST_COMMAND], { encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) {
        error = (r.stderr || r.stdout || `exit ${r.status}`).split('\n').slice(0, 3).join(' ');
        break;
      }
      const j = JSON.parse(r.stdout) as {
        loadMs: number;
        activateMs: number;
        totalMs: number;
        ortLoaded: boolean;
        mainLoaded: boolean;
        commands: string[];
        serializers: string[];
        firstCommandMs: number;
        secondCommandMs: number;
        mainLoadedAfterCommand: boolean;
        errors: string[];
      };
      if (j.errors.length || !j.mainLoadedAfterCommand) {
        error = `first command: ${j.errors[0] ?? 'dist/extensionMain.js was not loaded'}`;
        break;
      }
      load.push(j.loadMs);
      act.push(j.activateMs);
      total.push(j.totalMs);
      first.push(j.firstCommandMs);
      second.push(j.secondCommandMs);
      lazy.push(j.firstCommandMs - j.secondCommandMs);
      ort ||= j.ortLoaded;
      mainAtActivation ||= j.mainLoaded;
      commandsRegistered = j.commands.length;
      serializers = j.serializers;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const size = (f: string): number | null => {
    try {
      return statSync(f).size;
    } catch {
      return null;
    }
  };
  return {
    method:
      'fresh node process per run: require(dist/extension.js) + activate(context) with a no-op vscode stand-in; then the first command (it requires dist/extensionMain.js) and the same command again',
    totalMs: summarize(total, 2),
    moduleLoadMs: summarize(load, 2),
    activateCallMs: summarize(act, 2),
    firstCommand: { command: FIRST_COMMAND, firstRunMs: summarize(first, 2), secondRunMs: summarize(second, 2), lazyLoadMs: summarize(lazy, 2) },
    bundleBytes: { extension: size(bundle) ?? 0, extensionMain: size(mainBundle) },
    onnxruntimeLoadedAtActivation: ort,
    mainBundleLoadedAtActivation: mainAtActivation,
    commandsRegistered,
    serializers,
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
