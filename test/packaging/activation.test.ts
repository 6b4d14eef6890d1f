/**
 * Activation stays small (issue 14: activation ≤ 20 ms): VS Code loads dist/extension.js and calls activate(); that
 * bundle must hold only the registrations (src/extension.ts, src/activationContributions.ts), and everything heavy —
 * dist/extensionMain.js with the panels, analysis, models and tokenizers, and onnxruntime-node — is loaded by the
 * first command. Checked on the built bundles: esbuild's metafile of the activation bundle, and a fresh node process
 * that loads it with a stand-in `vscode` module, activates it and looks at what was loaded and registered.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_IDS, RESTORED_PANEL_VIEW_TYPE } from '../../src/activationContributions';
import { DIST, ensureBuilt } from '../helpers/build';
import { REPO_ROOT } from '../helpers/bundled';

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  main: string;
  activationEvents: string[];
  contributes: { commands: Array<{ command: string }> };
};
const contributed = pkg.contributes.commands.map((c) => c.command);
const panelEvents = pkg.activationEvents.filter((e) => e.startsWith('onWebviewPanel:')).map((e) => e.slice('onWebviewPanel:'.length));

/**
 * Runs in a fresh node process: require(dist/extension.js) + activate() with a `vscode` whose every API is a no-op
 * (registerCommand and the serializer are recorded), then the first command (no editor is open, so it only loads the
 * rest and warns). Prints what was loaded at each point.
 */
const CHILD = `
const Module = require('module');
const path = require('path');
const handler = {
  get(t, p) { if (p === 'then') return undefined; if (p === Symbol.toPrimitive) return () => ''; if (p in t) return t[p]; return stub(); },
  apply() { return stub(); },
  construct() { return stub(); },
};
function stub(extra) { return new Proxy(Object.assign(function () {}, extra || {}), handler); }
const commands = new Map();
const serializers = [];
const warnings = [];
const config = { get: () => undefined, inspect: () => undefined, update: async () => undefined, has: () => false };
// node -e: process.argv is [node, ...args]
const [dist, extensionPath] = process.argv.slice(-2);
// A plain object with every name the bundles read from 'vscode' (esbuild's ESM interop copies its own keys).
const vscode = {};
for (const f of ['extension.js', 'extensionMain.js']) {
  for (const m of require('fs').readFileSync(path.join(dist, f), 'utf8').matchAll(/vscode\\d*\\.([A-Za-z_$][\\w$]*)/g)) vscode[m[1]] = stub();
}
Object.assign(vscode, {
  workspace: stub({ getConfiguration: () => config, workspaceFolders: undefined, isTrusted: true }),
  l10n: stub({ t: (s) => s }),
  window: stub({
    activeTextEditor: undefined,
    registerWebviewPanelSerializer: (viewType) => { serializers.push(viewType); return stub(); },
    showWarningMessage: async (m) => { warnings.push(m); },
    showErrorMessage: async (m) => { warnings.push('error: ' + m); },
    createOutputChannel: () => stub({ error: (e) => warnings.push('logged: ' + ((e && e.stack) || e)) }),
  }),
  commands: stub({ registerCommand: (id, fn) => { commands.set(id, fn); return stub(); }, executeCommand: async () => undefined }),
});
const load = Module._load;
Module._load = function (request) { return request === 'vscode' ? vscode : load.apply(this, arguments); };
const cached = () => Object.keys(require.cache);
(async () => {
  const ext = require(path.join(dist, 'extension.js'));
  const context = { subscriptions: [], extensionPath, extensionUri: stub(), globalState: stub(), workspaceState: stub(), globalStorageUri: stub() };
  ext.activate(context);
  const atActivation = cached();
  await commands.get('attentionLens.showSelection')();
  const afterCommand = cached();
  process.stdout.write(JSON.stringify({
    atActivation, afterCommand, commands: [...commands.keys()], serializers, warnings,
    subscriptions: context.subscriptions.length,
  }));
})().catch((e) => { process.stderr.write(String((e && e.stack) || e)); process.exit(1); });
`;

interface ChildReport {
  atActivation: string[];
  afterCommand: string[];
  commands: string[];
  serializers: string[];
  warnings: string[];
  subscriptions: number;
}

let report: ChildReport;

beforeAll(() => {
  ensureBuilt();
  const r = spawnSync(process.execPath, ['-e', CHILD, DIST, REPO_ROOT], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  report = JSON.parse(r.stdout) as ChildReport;
}, 120_000);

describe('activation bundle (dist/extension.js)', () => {
  it('is what package.json names as main', () => {
    expect(path.normalize(pkg.main)).toBe(path.normalize('./dist/extension.js'));
  });

  it('bundles only the registrations: no panel, model, tokenizer or runtime code', () => {
    const meta = JSON.parse(readFileSync(path.join(DIST, 'extension.meta.json'), 'utf8')) as {
      outputs: Record<string, { inputs: Record<string, unknown>; imports: Array<{ path: string; external?: boolean }> }>;
    };
    const out = meta.outputs['dist/extension.js'];
    expect(Object.keys(out.inputs).sort()).toEqual(['src/activationContributions.ts', 'src/extension.ts']);
    expect(out.imports.map((i) => i.path).sort()).toEqual(['node:path', 'vscode']);
    // A tenth of what the single bundle was (≈ 400 KB) would still be a regression; today it is ≈ 4 KB.
    expect(statSync(path.join(DIST, 'extension.js')).size).toBeLessThan(16 * 1024);
  });

  it('activate() loads nothing heavy: not the rest of the extension, onnxruntime-node nor the tokenizers', () => {
    const ours = report.atActivation.filter((f) => !f.startsWith('node:') && f !== '[eval]');
    expect(ours).toEqual([path.join(DIST, 'extension.js')]);
    expect(report.atActivation.some((f) => /onnxruntime|@huggingface|extensionMain/.test(f))).toBe(false);
  });

  it('activate() registers every contributed command and the panel serializer', () => {
    expect([...report.commands].sort()).toEqual([...contributed].sort());
    expect([...COMMAND_IDS].sort()).toEqual([...contributed].sort());
    expect(panelEvents).toEqual([RESTORED_PANEL_VIEW_TYPE]);
    // The panels the loaded part creates carry this view type too: panelController's PANEL_VIEW_TYPE is this constant.
    expect(report.serializers).toEqual([RESTORED_PANEL_VIEW_TYPE]);
  });

  it('the first command loads the rest (dist/extensionMain.js) and runs', () => {
    expect(report.afterCommand).toContain(path.join(DIST, 'extensionMain.js'));
    // No editor is open in the stand-in: the command's own answer, not a failed load.
    expect(report.warnings).toEqual(['Attention Lens: open a file and select some text first.']);
    expect(report.afterCommand.some((f) => /onnxruntime/.test(f))).toBe(false);
  });
});
