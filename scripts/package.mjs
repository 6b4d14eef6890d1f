#!/usr/bin/env node
// `npm run package [-- TARGET [OUT.vsix]]`: builds, then packs a VSIX for one platform (default linux-x64) with only that
// platform's onnxruntime binaries. .vscodeignore is an allow-list naming linux/x64; for another target this
// script packs with a copy of it that names that target's binary folder instead. Prints the VSIX's path and size.
//   targets: linux-x64 linux-arm64 darwin-arm64 win32-x64 win32-arm64 (the platforms onnxruntime-node ships)
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const TARGETS = { 'linux-x64': 'linux/x64', 'linux-arm64': 'linux/arm64', 'darwin-arm64': 'darwin/arm64', 'win32-x64': 'win32/x64', 'win32-arm64': 'win32/arm64' };
const target = process.argv[2] ?? 'linux-x64';
const outArg = process.argv[3]; // optional: where to write the VSIX (the packaging test uses a temporary folder)
if (!(target in TARGETS)) {
  console.error(`[package] unknown target "${target}"; one of: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
// `npm test` builds once before its tests (and says so with ATTENTION_LENS_SKIP_BUILD): no second build beside them.
if (!process.env.ATTENTION_LENS_SKIP_BUILD) run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]);

const ignore = readFileSync(path.join(root, '.vscodeignore'), 'utf8');
const binaries = '!node_modules/onnxruntime-node/bin/napi-v6/linux/x64/**';
if (!ignore.includes(binaries)) {
  console.error(`[package] .vscodeignore no longer names ${binaries}; update scripts/package.mjs with it`);
  process.exit(1);
}
const ignoreFile = path.join(root, `.vscodeignore.${target}`);
writeFileSync(ignoreFile, ignore.replace(binaries, `!node_modules/onnxruntime-node/bin/napi-v6/${TARGETS[target]}/**`));

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = outArg ? path.resolve(outArg) : path.join(root, `${pkg.name}-${target}-${pkg.version}.vsix`);
try {
  run(process.execPath, [
    path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
    'package',
    '--target', target,
    '--ignoreFile', ignoreFile,
    '--allow-missing-repository',
    '--skip-license',
    // README's screenshots are relative paths into test/artifacts/ (not packed); there is no public repository to
    // point them at, and the Marketplace page is not this build's concern.
    '--no-rewrite-relative-links',
    '--out', out,
  ]);
} finally {
  rmSync(ignoreFile, { force: true });
}
const bytes = statSync(out).size;
console.log(`[package] ${path.relative(root, out)}: ${(bytes / 2 ** 20).toFixed(1)} MiB (${bytes} bytes)`);
