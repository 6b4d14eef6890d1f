/**
 * End-to-end harness: a real VS Code (code-server 4.100.3, installed by scripts/ensure-code-server.mjs into
 * .cache/code-server/) with our extension loaded, driven through the UI by playwright-core and Debian's Chromium.
 *
 * Everything the server writes (HOME, XDG dirs, TMPDIR, user data, logs) lives in one sandbox folder under the OS
 * temp dir, removed by stop() unless ATTENTION_LENS_E2E_KEEP=1. One server per test file; stop() ends it by PID.
 *
 *   const vs = await startCodeServer();
 *   await vs.openFile('prose.md');
 *   await vs.selectLines(1, 2);
 *   await vs.runCommand('Attention Lens: Show Attention for Selection');
 *   const panel = vs.webviewFrame();
 *   ...
 *   await vs.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { consoleOrigin, describeErrors, errorLines, isWorkbenchOwn, type ConsoleEntry, type ExtensionError } from './errorSources';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CODE_SERVER_VERSION = '4.100.3';
export const codeServerEntry = path.join(repoRoot, '.cache', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const chromiumPath = process.env.ATTENTION_LENS_CHROMIUM ?? '/usr/bin/chromium';
export const sampleWorkspace = path.join(repoRoot, 'test', 'fixtures', 'sample-workspace');
export const resultsDir = path.join(repoRoot, 'test-results', 'e2e');
/**
 * ATTENTION_LENS_E2E_MODELS_DIR: an extra models folder for the run (user setting `attentionLens.modelsPath`;
 * tests pass it to the CLI as `--models-dir`). For checking the harness or a candidate model; unset, only the
 * bundled models/ are used.
 */
export const extraModelsDir = process.env.ATTENTION_LENS_E2E_MODELS_DIR ? path.resolve(process.env.ATTENTION_LENS_E2E_MODELS_DIR) : undefined;

/** Settings that keep the workbench quiet and deterministic. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'chat.commandCenter.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'editor.minimap.enabled': false,
  // No soft wrap: Home/End/Shift+Down then act on logical lines, so selectLines() selects exactly those lines
  // however narrow the editor gets when a panel opens beside it (Markdown wraps by default).
  'editor.wordWrap': 'off',
  '[markdown]': { 'editor.wordWrap': 'off' },
  '[plaintext]': { 'editor.wordWrap': 'off' },
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.hover.enabled': false,
  'editor.occurrencesHighlight': 'off',
  'editor.selectionHighlight': false,
  'files.autoSave': 'off',
  'git.enabled': false,
  'typescript.tsserver.experimental.enableProjectDiagnostics': false,
};

export interface StartOptions {
  /** Folder to open; it is copied into the sandbox so tests may edit files freely. Default: test/fixtures/sample-workspace. */
  workspace?: string;
  /** Folder of the extension to load (holds its package.json). Default: the repo root. */
  extensionPath?: string;
  /** `publisher.name-version` of the link in --extensions-dir; read from the extension's package.json by default. */
  extensionId?: string;
  /**
   * `disabled` (default): --disable-workspace-trust, trust off in settings.
   * `untrusted`: workspace trust enabled and the folder left untrusted (restricted mode), no startup prompt.
   */
  workspaceTrust?: 'disabled' | 'untrusted';
  /** Extra user settings, merged over QUIET_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Browser viewport. Default 1600×1000. */
  viewport?: { width: number; height: number };
  /** Run Chromium headed (needs a display). Default: headless unless ATTENTION_LENS_E2E_HEADED=1. */
  headed?: boolean;
}

export type { ConsoleEntry, ConsoleOrigin, ExtensionError } from './errorSources';

/** Counts of what had been seen at a moment, so a later check looks only at what came after it. */
export interface ErrorCheckpoint {
  console: number;
  pageErrors: number;
  outputChannelErrors: number;
  extensionHostErrors: number;
}

export interface Timings {
  /** spawn → GET /healthz answers 200 */
  serverHealthyMs: number;
  /** chromium.launch() */
  browserLaunchMs: number;
  /** page.goto → the explorer lists the workspace and the status bar is up */
  workbenchReadyMs: number;
}

export class CodeServer {
  readonly consoleEntries: ConsoleEntry[] = [];
  readonly pageErrors: string[] = [];
  timings: Timings = { serverHealthyMs: NaN, browserLaunchMs: NaN, workbenchReadyMs: NaN };
  browser!: Browser;
  context!: BrowserContext;
  page!: Page;
  private stopped = false;
  /** File name last opened with openFile(); the editor the selection helpers act on. */
  currentFile: string | undefined;

  constructor(
    readonly sandbox: string,
    readonly port: number,
    readonly userDataDir: string,
    readonly extensionsDir: string,
    readonly workspaceDir: string,
    readonly serverLogFile: string,
    private readonly server: ChildProcess,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  get pid(): number | undefined {
    return this.server.pid;
  }

  // ───────────────────────────── editor ─────────────────────────────

  /** Quick Open (Ctrl+P) a file of the workspace by name and wait for its editor tab to be active. */
  async openFile(name: string): Promise<void> {
    const page = this.page;
    await this.dismissNotifications();
    const base = path.basename(name);
    const existing = page.locator(`.tabs-container .tab[data-resource-name="${base}"]`);
    if ((await existing.count()) > 0) {
      // Already open (maybe in a group beside a panel): bring that editor forward rather than opening a second one.
      await existing.first().click();
      this.currentFile = base;
      await this.focusEditor();
      return;
    }
    // Quick Open opens in the active group, which may be a panel's: start from the first group.
    await this.runCommand('View: Focus First Editor Group');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(name);
    // Wait for the file search (ripgrep) to list the file before accepting.
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: path.basename(name) })
      .first()
      .waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.press('Enter');
    await page.locator(`.tabs-container .tab.active[data-resource-name="${base}"]`).first().waitFor({ timeout: 20_000 });
    this.currentFile = base;
    await this.focusEditor();
  }

  /**
   * Put keyboard focus into a text editor: the one showing `name` (default: the file last opened with openFile),
   * wherever its group is — a panel beside it may hold the focus. Clicks in its text area, so the cursor
   * moves; select after focusing.
   */
  async focusEditor(name: string | undefined = this.currentFile): Promise<void> {
    const editor = this.textEditor(name);
    await editor.waitFor({ state: 'visible' });
    // Click inside the editor's visible viewport (its text area may be scrolled), clear of the gutter.
    const guard = editor.locator('.overflow-guard').first();
    const box = await guard.boundingBox();
    await guard.click({ position: { x: box ? Math.max(80, box.width / 2) : 80, y: 8 } });
  }

  /** The Monaco editor showing `name` (matched on the end of its model URI), or the active group's editor. */
  textEditor(name: string | undefined = this.currentFile) {
    if (name) return this.page.locator(`.monaco-editor[data-uri$="/${path.basename(name)}"]`).first();
    return this.page.locator('.editor-group-container.active .monaco-editor[data-uri]').first();
  }

  /** Line numbers (1-based) on which the editor showing `name` draws extension decorations (`ced-*` elements). */
  async decoratedLines(name: string | undefined = this.currentFile): Promise<number[]> {
    return this.textEditor(name).evaluate((ed) => {
      const numbers = [...ed.querySelectorAll('.margin-view-overlays .line-numbers')].map((e) => {
        const r = e.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, line: Number(e.textContent) };
      });
      const out = new Set<number>();
      for (const d of ed.querySelectorAll('[class*="ced-"]')) {
        const r = d.getBoundingClientRect();
        const mid = r.top + r.height / 2;
        const hit = numbers.find((n) => mid >= n.top && mid < n.bottom);
        out.add(hit ? hit.line : -1);
      }
      return [...out].sort((a, b) => a - b);
    });
  }

  /** Go to a line (1-based) with Ctrl+G (Quick Open's `:line:column` mode); the cursor lands at that column. */
  async goToLine(line: number, column = 1): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    // The input opens holding ':'; fill() replaces it, so the prefix is typed again.
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden' });
  }

  /** Select from the start of line `from` to the end of line `to` (1-based, inclusive). */
  async selectLines(from: number, to: number = from): Promise<void> {
    await this.goToLine(from, 1);
    for (let i = from; i < to; i++) await this.page.keyboard.press('Shift+ArrowDown');
    await this.page.keyboard.press('Shift+End');
    await this.waitForSelectionStatus();
  }

  /** Select the whole document. */
  async selectAll(): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press('Control+A');
    await this.waitForSelectionStatus();
  }

  /** Waits until the status bar shows `(N selected)`; returns N. */
  async waitForSelectionStatus(): Promise<number> {
    const item = this.page.locator('.statusbar-item', { hasText: /\(\d+ selected\)/ }).first();
    await item.waitFor({ timeout: 10_000 });
    const m = /\((\d+) selected\)/.exec((await item.textContent()) ?? '');
    return m ? Number(m[1]) : NaN;
  }

  /** Run a command by its palette title (F1, `>title`, Enter on the exact match). */
  async runCommand(title: string): Promise<void> {
    const page = this.page;
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    // The row whose label is exactly `title` (not merely contains it: "Show X" vs "Show X in a New Panel").
    const exact = new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
    const row = page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: exact }) })
      .first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    await input.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
  }

  /** Close notification toasts that would cover the UI. */
  async dismissNotifications(): Promise<void> {
    const toasts = this.page.locator('.notifications-toasts .notification-toast');
    if ((await toasts.count()) > 0) {
      await this.page.keyboard.press('Escape').catch(() => undefined);
    }
  }

  /** A modal dialog (e.g. a command that threw), or null. */
  async dialogText(): Promise<string | null> {
    const box = this.page.locator('.monaco-dialog-box');
    if ((await box.count()) === 0) return null;
    return (await box.first().textContent()) ?? '';
  }

  /** Texts of the visible notification toasts and of the notification centre. */
  async notificationTexts(): Promise<string[]> {
    return this.page.locator('.notification-list-item-message').allTextContents();
  }

  // ───────────────────────────── webviews ─────────────────────────────

  /**
   * The content frame of a webview panel: the outer `iframe.webview.ready`, then its `#active-frame`.
   * `index` picks among several webviews (default: the last one, usually the newest).
   */
  webviewFrame(index: number | 'last' = 'last'): FrameLocator {
    const outers = this.page.locator('iframe.webview.ready');
    const outer = index === 'last' ? outers.last() : outers.nth(index);
    return outer.contentFrame().frameLocator('#active-frame');
  }

  /** How many webview iframes are in the page (ready or not). */
  async webviewCount(): Promise<number> {
    return this.page.locator('iframe.webview').count();
  }

  // ───────────────────────────── logs ─────────────────────────────

  private logRoots(): string[] {
    const logs = path.join(this.userDataDir, 'logs');
    if (!existsSync(logs)) return [];
    return readdirSync(logs)
      .map((d) => path.join(logs, d))
      .filter((d) => statSync(d).isDirectory())
      .sort();
  }

  /** All files below the logs folder whose path matches `test`. */
  logFiles(test: (relPath: string) => boolean): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (test(path.relative(this.userDataDir, p))) out.push(p);
      }
    };
    for (const r of this.logRoots()) walk(r);
    return out.sort();
  }

  /**
   * The extension's output channel log(s) (`createOutputChannel(name, { log: true })`), written to
   * `<user-data-dir>/logs/<time>/exthost1/<publisher.name>/<name>.log`. Concatenated; '' when none yet.
   */
  readExtensionLog(extensionId = 'attention-lens.attention-lens'): string {
    const files = this.logFiles((rel) => rel.split(path.sep).includes(extensionId) && rel.endsWith('.log'));
    return files.map((f) => readFileSync(f, 'utf8')).join('\n');
  }

  /** The (remote) extension host log: extension activation errors and their stacks land here. */
  readExtHostLog(): string {
    const files = this.logFiles((rel) => /exthost\d*[\\/]remoteexthost\.log$/.test(rel) || /[\\/]exthost\.log$/.test(rel));
    return files.map((f) => readFileSync(f, 'utf8')).join('\n');
  }

  /** code-server's own stdout/stderr. */
  readServerLog(): string {
    return existsSync(this.serverLogFile) ? readFileSync(this.serverLogFile, 'utf8') : '';
  }

  /** Lines at level error (`[error]`) in a VS Code log text. */
  static errorLines(logText: string): string[] {
    return errorLines(logText);
  }

  /** Page console lines the extension host forwarded (`[Extension Host] …`). */
  extensionHostConsole(): ConsoleEntry[] {
    return this.consoleEntries.filter((e) => e.origin === 'extension-host');
  }

  /** What has been seen so far; pass it to extensionErrors() to look only at what comes after. */
  checkpoint(): ErrorCheckpoint {
    return {
      console: this.consoleEntries.length,
      pageErrors: this.pageErrors.length,
      outputChannelErrors: errorLines(this.readExtensionLog()).length,
      extensionHostErrors: errorLines(this.readExtHostLog()).length,
    };
  }

  /**
   * Every error that is the extension's (see errorSources.ts): console errors from our webview, the extension host
   * or an unplaceable source, workbench console errors that name the extension, uncaught exceptions in the page,
   * and `[error]` lines in our output channel and the extension host log. Log files only grow and a reload's new
   * logs folder sorts after the old one, so counting lines is enough to skip what came before `since`.
   */
  extensionErrors(since?: ErrorCheckpoint): ExtensionError[] {
    const out: ExtensionError[] = [];
    for (const e of this.consoleEntries.slice(since?.console ?? 0)) {
      if (e.type === 'error' && !isWorkbenchOwn(e)) out.push({ source: `console:${e.origin}`, text: e.text, url: e.url });
    }
    for (const text of this.pageErrors.slice(since?.pageErrors ?? 0)) out.push({ source: 'page-error', text });
    for (const text of errorLines(this.readExtensionLog()).slice(since?.outputChannelErrors ?? 0)) out.push({ source: 'output-channel', text });
    for (const text of errorLines(this.readExtHostLog()).slice(since?.extensionHostErrors ?? 0)) out.push({ source: 'extension-host-log', text });
    return out;
  }

  /** Console errors the workbench's own scripts logged (not counted against the extension). */
  workbenchErrors(since?: ErrorCheckpoint): ConsoleEntry[] {
    return this.consoleEntries.slice(since?.console ?? 0).filter((e) => e.type === 'error' && isWorkbenchOwn(e));
  }

  /** Fails with every extension error seen (since `since`), each with its source, and the workbench errors ignored. */
  expectNoExtensionErrors(since?: ErrorCheckpoint): void {
    const ours = this.extensionErrors(since);
    expect(ours, describeErrors(ours, this.workbenchErrors(since))).toEqual([]);
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  /** Saves a screenshot to test-results/e2e/<name>.png; returns its path. Never throws. */
  async screenshot(name: string): Promise<string | undefined> {
    try {
      mkdirSync(resultsDir, { recursive: true });
      const file = path.join(resultsDir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
      await this.page.screenshot({ path: file });
      return file;
    } catch {
      return undefined;
    }
  }

  /** Copies the logs folder and server log into test-results/e2e/<name>/ for post-mortems. */
  saveLogs(name: string): string | undefined {
    try {
      const dest = path.join(resultsDir, name.replace(/[^\w.-]+/g, '_'));
      mkdirSync(dest, { recursive: true });
      const logs = path.join(this.userDataDir, 'logs');
      if (existsSync(logs)) cpSync(logs, path.join(dest, 'logs'), { recursive: true });
      if (existsSync(this.serverLogFile)) cpSync(this.serverLogFile, path.join(dest, 'code-server.log'));
      writeFileSync(path.join(dest, 'console.log'), this.consoleEntries.map((e) => `[${e.type}] [${e.origin}] ${e.text} (${e.url})`).join('\n') + '\n');
      return dest;
    } catch {
      return undefined;
    }
  }

  /** Closes the browser, ends code-server (its process group, by PID) and removes the sandbox. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.browser?.close().catch(() => undefined);
    await killTree(this.server);
    if (process.env.ATTENTION_LENS_E2E_KEEP !== '1') {
      rmSync(this.sandbox, { recursive: true, force: true, maxRetries: 3 });
    } else {
      process.stderr.write(`[e2e] sandbox kept: ${this.sandbox}\n`);
    }
  }
}

/** Process groups of servers still running; killed when this process exits, even if a test never reached stop(). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const g of liveGroups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    liveGroups.clear();
  };
  process.once('exit', killAll);
  // Ctrl+C / a CI timeout reach the test process but not the server (its own process group): end it too, then
  // let the signal do what it would have done.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
  }
}

async function killTree(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid) liveGroups.delete(pid);
  if (!pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The server was spawned detached, as the leader of its own process group: -pid reaches it and the
  // processes it started (extension host, file watcher, pty host), and nothing else.
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000));
  if ((await Promise.race([exited.then(() => 'exited' as const), timeout])) === 'timeout') signal('SIGKILL');
  // Stragglers in the group (e.g. an extension host that ignored SIGTERM).
  await new Promise((r) => setTimeout(r, 200));
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* group empty */
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealthz(port: number, server: ChildProcess, logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`code-server exited with code ${server.exitCode} before it was healthy:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String((e as Error).message);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`code-server not healthy after ${timeoutMs} ms (${last}):\n${tail(logFile)}`);
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server output)';
  }
}

function extensionIdOf(extensionPath: string): string {
  const pkg = JSON.parse(readFileSync(path.join(extensionPath, 'package.json'), 'utf8')) as {
    publisher: string;
    name: string;
    version: string;
  };
  return `${pkg.publisher}.${pkg.name}-${pkg.version}`;
}

/**
 * Starts code-server with the extension, launches Chromium, opens the workspace and waits for the workbench.
 * On any failure everything started so far is stopped again before the error is rethrown.
 */
export async function startCodeServer(opts: StartOptions = {}): Promise<CodeServer> {
  if (!existsSync(codeServerEntry)) {
    throw new Error(`code-server is not installed (${codeServerEntry} missing). Run: node scripts/ensure-code-server.mjs`);
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}. Install it with: apt-get install -y chromium (or set ATTENTION_LENS_CHROMIUM)`);
  }
  const extensionPath = path.resolve(opts.extensionPath ?? repoRoot);
  const extensionId = opts.extensionId ?? extensionIdOf(extensionPath);
  const trust = opts.workspaceTrust ?? 'disabled';

  const sandbox = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-e2e-'));
  const dirs = {
    home: path.join(sandbox, 'home'),
    config: path.join(sandbox, 'xdg-config'),
    data: path.join(sandbox, 'xdg-data'),
    cache: path.join(sandbox, 'xdg-cache'),
    tmp: path.join(sandbox, 'tmp'),
    userData: path.join(sandbox, 'user-data'),
    extensions: path.join(sandbox, 'extensions'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const workspaceDir = path.join(sandbox, 'workspace');
  cpSync(path.resolve(opts.workspace ?? sampleWorkspace), workspaceDir, { recursive: true });
  symlinkSync(extensionPath, path.join(dirs.extensions, extensionId), 'dir');

  const settings: Record<string, unknown> = { ...QUIET_SETTINGS };
  if (trust === 'untrusted') {
    Object.assign(settings, {
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.emptyWindow': false,
    });
  }
  if (extraModelsDir) settings['attentionLens.modelsPath'] = extraModelsDir;
  Object.assign(settings, opts.settings ?? {});
  mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));

  const port = await freePort();
  const configFile = path.join(sandbox, 'config.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    codeServerEntry,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
    '--config',
    configFile,
  ];
  if (trust === 'disabled') args.push('--disable-workspace-trust');
  args.push(workspaceDir);

  const serverLogFile = path.join(sandbox, 'code-server.log');
  const logStream = createWriteStream(serverLogFile);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: process.env.LANG ?? 'C.UTF-8',
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
  };
  const t0 = Date.now();
  const server = spawn(process.execPath, args, { env, cwd: sandbox, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (server.pid) trackGroup(server.pid);
  server.stdout!.pipe(logStream);
  server.stderr!.pipe(logStream);

  const cs = new CodeServer(sandbox, port, dirs.userData, dirs.extensions, workspaceDir, serverLogFile, server);
  try {
    await waitForHealthz(port, server, serverLogFile);
    cs.timings.serverHealthyMs = Date.now() - t0;

    const t1 = Date.now();
    cs.browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: !(opts.headed ?? process.env.ATTENTION_LENS_E2E_HEADED === '1'),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
      env: { ...process.env, HOME: dirs.home, XDG_CONFIG_HOME: dirs.config, XDG_CACHE_HOME: dirs.cache, TMPDIR: dirs.tmp },
    });
    cs.timings.browserLaunchMs = Date.now() - t1;
    cs.context = await cs.browser.newContext({ viewport: opts.viewport ?? { width: 1600, height: 1000 } });
    cs.page = await cs.context.newPage();
    cs.page.on('console', (m) => {
      const url = m.location().url ?? '';
      cs.consoleEntries.push({ type: m.type(), text: m.text(), url, origin: consoleOrigin(m.text(), url), at: Date.now() });
    });
    cs.page.on('pageerror', (e) => cs.pageErrors.push(String(e?.stack ?? e)));

    const t2 = Date.now();
    await cs.page.goto(`${cs.url}?folder=${encodeURIComponent(workspaceDir)}`);
    await cs.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await cs.page.locator('.part.statusbar').waitFor({ timeout: 60_000 });
    // The explorer listing the folder's files means the remote file system and the workbench are up.
    await cs.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
    cs.timings.workbenchReadyMs = Date.now() - t2;
    return cs;
  } catch (e) {
    await cs.screenshot('startup-failure');
    cs.saveLogs('startup-failure');
    await cs.stop();
    throw e;
  }
}
