#!/usr/bin/env node
// `npm start`: a real VS Code (code-server) in your browser with Attention Lens loaded and a sample document open.
//
//   npm start                       sample workspace (a copy of test/fixtures/sample-workspace/)
//   npm start -- /path/to/folder    another folder
//   PORT=9000 npm start             another port (default 8080, or a free one if 8080 is taken)
//
// Builds the extension, installs code-server into .cache/code-server/ if needed (one time, ~1 min), starts it on
// 127.0.0.1 with --auth none, prints the URL, and runs until Ctrl+C. Everything code-server writes (settings,
// logs, HOME) lives in .cache/start/. The extension is linked, not copied: rebuild (`npm run build`) and
// reload the window (F1 → "Developer: Reload Window") to pick up changes.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer } from './ensure-code-server.mjs';
import { anyFreePort, portIsFree } from './ports.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const state = path.join(root, '.cache', 'start');

function fail(msg) {
  process.stderr.write(`\n[start] ERROR: ${msg}\n`);
  process.exit(1);
}

// 1. build (ATTENTION_LENS_SKIP_BUILD=1 skips it, e.g. when dist/ is already fresh)
if (process.env.ATTENTION_LENS_SKIP_BUILD !== '1') {
  process.stderr.write('[start] building the extension (node scripts/build.mjs)…\n');
  const b = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) fail('the build failed (see above)');
}
if (!existsSync(path.join(root, 'dist', 'extension.js'))) fail('dist/extension.js is missing: run `node scripts/build.mjs`');

// 2. code-server
let entry;
try {
  ({ entry } = await ensureCodeServer());
} catch (e) {
  fail(e?.message ?? String(e));
}

// 3. sandbox: HOME, XDG dirs, user data, extensions (a link to this repo), the sample workspace
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const dirs = {
  home: path.join(state, 'home'),
  config: path.join(state, 'xdg-config'),
  data: path.join(state, 'xdg-data'),
  cache: path.join(state, 'xdg-cache'),
  tmp: path.join(state, 'tmp'),
  userData: path.join(state, 'user-data'),
  extensions: path.join(state, 'extensions'),
};
for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
// Only this extension in the extensions folder: stale links from older versions are removed.
rmSync(dirs.extensions, { recursive: true, force: true });
mkdirSync(dirs.extensions, { recursive: true });
symlinkSync(root, path.join(dirs.extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`), 'dir');

// User settings that keep the first minute about the extension. Merged into an existing settings file on every
// start (a setting the user changed there wins), so that a .cache/start/ from an older version gets new ones too.
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  // The sample workspace's copy lives in .cache/ inside this repository: without this, the git extension asks
  // whether to open "the git repository found in the parent folders" (ours), which has nothing to do with the sample.
  'git.openRepositoryInParentFolders': 'never',
};
const settingsFile = path.join(dirs.userData, 'User', 'settings.json');
mkdirSync(path.dirname(settingsFile), { recursive: true });
let userSettings = {};
if (existsSync(settingsFile)) {
  try {
    userSettings = JSON.parse(readFileSync(settingsFile, 'utf8'));
  } catch {
    // Edited by hand into JSON with comments: leave it as it is rather than lose the user's changes.
    userSettings = null;
    process.stderr.write(`[start] ${path.relative(root, settingsFile)} is not plain JSON; left unchanged\n`);
  }
}
if (userSettings) writeFileSync(settingsFile, JSON.stringify({ ...QUIET_SETTINGS, ...userSettings }, null, 2) + '\n');

let folder = process.argv[2] ? path.resolve(process.argv[2]) : null;
let openFile = null;
if (!folder) {
  folder = path.join(state, 'sample-workspace');
  // Files the sample gained since the copy was made are added; files already there (maybe edited) are kept.
  cpSync(path.join(root, 'test', 'fixtures', 'sample-workspace'), folder, { recursive: true, force: false, errorOnExist: false });
  openFile = path.join(folder, 'prose.md');
} else if (!existsSync(folder) || !lstatSync(folder).isDirectory()) {
  fail(`not a folder: ${folder}`);
}

let port = Number(process.env.PORT ?? 8080);
if (!(await portIsFree(port))) {
  const other = await anyFreePort();
  process.stderr.write(`[start] port ${port} is busy; using ${other}\n`);
  port = other;
}

// 4. run
const args = [
  entry,
  '--auth', 'none',
  '--bind-addr', `127.0.0.1:${port}`,
  '--disable-telemetry',
  '--disable-update-check',
  '--disable-workspace-trust',
  '--disable-getting-started-override',
  '--user-data-dir', dirs.userData,
  '--extensions-dir', dirs.extensions,
  '--config', path.join(state, 'config.yaml'),
  folder,
];
writeFileSync(path.join(state, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
const env = {
  ...process.env,
  HOME: dirs.home,
  XDG_CONFIG_HOME: dirs.config,
  XDG_DATA_HOME: dirs.data,
  XDG_CACHE_HOME: dirs.cache,
  TMPDIR: dirs.tmp,
};
const server = spawn(process.execPath, args, { cwd: state, env, stdio: ['ignore', 'pipe', 'pipe'] });
server.stdout.on('data', (c) => process.stderr.write(`[code-server] ${c}`));
server.stderr.on('data', (c) => process.stderr.write(`[code-server] ${c}`));

let url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`;
if (openFile) {
  const payload = JSON.stringify([['openFile', `vscode-remote://127.0.0.1:${port}${openFile}`]]);
  url += `&payload=${encodeURIComponent(payload)}`;
}

const t0 = Date.now();
let healthy = false;
while (!healthy && Date.now() - t0 < 60_000 && server.exitCode === null) {
  try {
    healthy = (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  } catch {}
  if (!healthy) await new Promise((r) => setTimeout(r, 200));
}
if (!healthy) {
  server.kill('SIGTERM');
  fail(`code-server did not come up on 127.0.0.1:${port} (see its output above)`);
}

process.stdout.write(
  `\n  Attention Lens is running in VS Code (code-server ${JSON.parse(readFileSync(path.join(path.dirname(path.dirname(path.dirname(entry))), 'package.json'), 'utf8')).version}).\n\n` +
    `  Open:  ${url}\n\n` +
    (openFile
      ? `  It opens ${path.basename(openFile)}: select a sentence or two and press Ctrl+Alt+A\n` +
        '  (or right-click → "Attention Lens: Show Attention for Selection"). chinese.md and example.ts are there too.\n'
      : '  Select text in the editor and press Ctrl+Alt+A (or right-click → "Attention Lens: Show Attention for Selection").\n') +
    `  Logs:  ${path.relative(root, path.join(dirs.userData, 'logs'))}/   Stop: Ctrl+C\n` +
    '  Remote machine? Forward the port first: ssh -L ' +
    `${port}:127.0.0.1:${port} <host>\n\n`,
);

let stopping = false;
const stop = (sig) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\n[start] ${sig}: stopping code-server (pid ${server.pid})…\n`);
  server.kill('SIGTERM');
  setTimeout(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  }, 5000).unref();
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
server.on('exit', (code, signal) => {
  if (!stopping) process.stderr.write(`[start] code-server exited (${code ?? signal})\n`);
  process.exit(stopping ? 0 : code ?? 1);
});
