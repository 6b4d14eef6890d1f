#!/usr/bin/env node
// Installs code-server (a full VS Code whose extension host runs our extension) into .cache/code-server/,
// offline-friendly, the way ../shared/notes/real-vscode-and-browser.md describes. Idempotent: a marker file
// written after a successful install makes later runs return at once. Like .vscode-test/, this is a cache,
// not a project dependency.
//
//   node scripts/ensure-code-server.mjs          install if missing, print the entry point
//   node scripts/ensure-code-server.mjs --force  wipe and reinstall
//
// Exported for the test harness: ensureCodeServer(), codeServerEntry(), CODE_SERVER_VERSION.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
// @vscode/ripgrep as pinned inside code-server 4.100.3's bundled VS Code, and the rg release it fetches.
const VSCODE_RIPGREP_VERSION = '1.15.11';
const RIPGREP_RELEASE = 'v13.0.0-10';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const installDir = path.join(root, '.cache', 'code-server');
const marker = path.join(installDir, `.installed-${CODE_SERVER_VERSION}`);
const lockDir = path.join(root, '.cache', 'code-server.lock');

/** Absolute path of code-server's node entry point (run it with `node <entry> ...`). */
export function codeServerEntry() {
  return path.join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

export function isInstalled() {
  return existsSync(marker) && existsSync(codeServerEntry());
}

function log(msg) {
  process.stderr.write(`[ensure-code-server] ${msg}\n`);
}

class SetupError extends Error {}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function preflight() {
  const problems = [];
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20) {
    problems.push(`node ${process.versions.node}: code-server ${CODE_SERVER_VERSION} needs node 20 (engines.node); later code-server releases need node 22+.`);
  }
  if (process.platform !== 'linux') problems.push(`platform ${process.platform}: this script supports Linux only.`);
  const needs = [
    ['rg', 'ripgrep'],
    ['make', 'build-essential'],
    ['g++', 'build-essential'],
    ['python3', 'python3'],
    ['krb5-config', 'libkrb5-dev'],
  ];
  const missingPkgs = new Set();
  for (const [cmd, pkg] of needs) if (!has(cmd)) missingPkgs.add(pkg);
  for (const [header, pkg] of [
    ['/usr/include/X11/extensions/XKBfile.h', 'libxkbfile-dev'],
    ['/usr/include/libsecret-1/libsecret/secret.h', 'libsecret-1-dev'],
    ['/usr/include/X11/Xlib.h', 'libx11-dev'],
    ['/usr/include/node/node.h', 'nodejs headers (Debian: libnode-dev / nodejs from nodesource ships them)'],
  ]) {
    if (!existsSync(header)) missingPkgs.add(pkg);
  }
  if (missingPkgs.size) {
    problems.push(
      `missing build prerequisites: ${[...missingPkgs].join(', ')}.\n` +
        '  Install them with: apt-get install -y build-essential python3 libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev ripgrep',
    );
  }
  if (problems.length) throw new SetupError(problems.join('\n'));
}

function rgTriple() {
  switch (process.arch) {
    case 'x64':
      return 'x86_64-unknown-linux-musl';
    case 'arm64':
      return 'aarch64-unknown-linux-musl';
    default:
      throw new SetupError(`unsupported CPU architecture ${process.arch} for the ripgrep cache trick`);
  }
}

/** @vscode/ripgrep's postinstall downloads rg from GitHub unless it finds the asset in $TMPDIR/vscode-ripgrep-cache-<ver>/. */
function prepareRipgrepCache(tmpDir) {
  const cacheDir = path.join(tmpDir, `vscode-ripgrep-cache-${VSCODE_RIPGREP_VERSION}`);
  mkdirSync(cacheDir, { recursive: true });
  const asset = path.join(cacheDir, `ripgrep-${RIPGREP_RELEASE}-${rgTriple()}.tar.gz`);
  if (!existsSync(asset)) {
    const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim() || '/usr/bin/rg';
    const r = spawnSync('tar', ['-czf', asset, '-C', path.dirname(rg), path.basename(rg)], { stdio: 'inherit' });
    if (r.status !== 0) throw new SetupError(`could not create the ripgrep cache asset ${asset} from ${rg}`);
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** A directory lock, so `npm start` and a test run started together do not install twice into the same folder. */
async function withLock(fn) {
  mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {}
      const age = (() => {
        try {
          return Date.now() - statSync(lockDir).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if ((Number.isFinite(owner) && owner > 0 && !pidAlive(owner)) || (!Number.isFinite(owner) && age > 30_000)) {
        log(`removing stale lock ${lockDir}`);
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new SetupError(`timed out waiting for another install (lock ${lockDir}, pid ${owner})`);
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let tail = '';
    const keep = (chunk) => {
      tail = (tail + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', (c) => {
      keep(c);
      if (opts.verbose) process.stderr.write(c);
    });
    child.stderr.on('data', (c) => {
      keep(c);
      if (opts.verbose) process.stderr.write(c);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, tail }));
  });
}

/**
 * Installs code-server if it is not there yet. Returns { entry, installed: boolean, seconds }.
 * Throws with a readable message when a prerequisite is missing or npm fails.
 */
export async function ensureCodeServer({ force = false, verbose = !!process.env.ATTENTION_LENS_VERBOSE } = {}) {
  if (!force && isInstalled()) return { entry: codeServerEntry(), installed: false, seconds: 0 };
  return withLock(async () => {
    if (!force && isInstalled()) return { entry: codeServerEntry(), installed: false, seconds: 0 };
    preflight();
    const t0 = Date.now();
    log(`installing code-server@${CODE_SERVER_VERSION} into ${path.relative(root, installDir)}/ (one time, ~1 min, ~300 MB)`);
    rmSync(installDir, { recursive: true, force: true });
    mkdirSync(installDir, { recursive: true });
    // Its own package.json makes this folder npm's prefix, so the repo's package.json / lockfile / .npmrc stay out of it.
    writeFileSync(
      path.join(installDir, 'package.json'),
      JSON.stringify(
        {
          name: 'attention-lens-code-server-cache',
          private: true,
          description: 'test cache, not a project dependency',
          // npm 11's install-script policy: these two must run (code-server's postinstall installs its bundled
          // VS Code's modules; argon2 builds its binding). Approved explicitly so a stricter npm still runs them.
          allowScripts: { 'code-server': true, argon2: true },
        },
        null,
        2,
      ) + '\n',
    );
    const tmpDir = path.join(root, '.cache', 'code-server-tmp');
    mkdirSync(tmpDir, { recursive: true });
    prepareRipgrepCache(tmpDir);
    const env = {
      ...process.env,
      TMPDIR: tmpDir,
      npm_config_unsafe_perm: 'true', // its postinstall refuses to run as root otherwise
      npm_config_nodedir: '/usr', // node-gyp would download node headers otherwise
      npm_config_yes: 'true', // node-pty's postinstall runs `npx node-gyp`, which would prompt
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_update_notifier: 'false',
    };
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const res = await run(npm, ['install', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: installDir,
      env,
      verbose,
    });
    if (res.code !== 0 || !existsSync(codeServerEntry())) {
      throw new SetupError(
        `npm install code-server@${CODE_SERVER_VERSION} failed (exit ${res.code}${res.signal ? `, signal ${res.signal}` : ''}).\n` +
          '--- last output ---\n' +
          res.tail.split('\n').slice(-60).join('\n') +
          '\n--- hints ---\n' +
          '  * needs the npm registry (or a mirror / cache) and node 20;\n' +
          '  * native modules need: build-essential python3 libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev;\n' +
          '  * rerun with ATTENTION_LENS_VERBOSE=1 for the full log.',
      );
    }
    const rgBin = path.join(installDir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
    if (!existsSync(rgBin)) log(`warning: ${rgBin} is missing; search in code-server may not work`);
    const seconds = (Date.now() - t0) / 1000;
    writeFileSync(marker, JSON.stringify({ version: CODE_SERVER_VERSION, seconds, at: new Date().toISOString() }) + '\n');
    rmSync(tmpDir, { recursive: true, force: true });
    log(`code-server@${CODE_SERVER_VERSION} installed in ${seconds.toFixed(1)} s`);
    return { entry: codeServerEntry(), installed: true, seconds };
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const r = await ensureCodeServer({ force: process.argv.includes('--force'), verbose: process.argv.includes('--verbose') || undefined });
    if (!r.installed) log(`code-server@${CODE_SERVER_VERSION} already installed`);
    process.stdout.write(r.entry + '\n');
  } catch (e) {
    process.stderr.write(`\n[ensure-code-server] ERROR: ${e instanceof SetupError ? e.message : e?.stack ?? e}\n`);
    process.exit(1);
  }
}
