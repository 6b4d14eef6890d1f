#!/usr/bin/env node
// THE test command (`npm test`, also run by .ci/run):
//   1. node scripts/build.mjs                 — esbuild bundles (extension host, CLI, webview)
//   2. tsc -p tsconfig.json --noEmit          — strict type check of src/, webview/, test/
//   3. eslint .                                — typescript-eslint rules (eslint.config.mjs)
//   4. vitest run                              — every project: unit, webview (Chromium), e2e (code-server)
// Extra arguments go to vitest, e.g. `npm test -- --project unit` or `npm test -- test/e2e/showSelection`.
// Exits non-zero if any step fails. A failed build stops the run (nothing downstream would mean anything);
// a failed type check or lint does not stop the tests, so one run reports them all.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const vitestArgs = process.argv.slice(2);

function bin(pkg, rel) {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`, { paths: [root] })), rel);
}

const results = [];
function step(name, args, env = {}) {
  process.stderr.write(`\n━━ ${name} ━━\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  const seconds = (Date.now() - t0) / 1000;
  results.push({ name, ok, seconds, code: r.status ?? r.signal });
  process.stderr.write(`━━ ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${seconds.toFixed(1)} s\n`);
  return ok;
}

function summary() {
  process.stderr.write('\n━━ summary ━━\n');
  for (const r of results) process.stderr.write(`  ${r.ok ? 'ok    ' : 'FAILED'} ${r.name} (${r.seconds.toFixed(1)} s)\n`);
  const failed = results.some((r) => !r.ok);
  process.stderr.write(failed ? 'npm test: FAILED\n' : 'npm test: all passed\n');
  process.exit(failed ? 1 : 0);
}

if (!step('build', [path.join(root, 'scripts', 'build.mjs')])) summary();
step('typecheck', [bin('typescript', 'bin/tsc'), '-p', path.join(root, 'tsconfig.json'), '--noEmit']);
step('lint', [bin('eslint', 'bin/eslint.js'), '.']);
step('vitest', [bin('vitest', 'vitest.mjs'), 'run', ...vitestArgs], {
  ATTENTION_LENS_SKIP_BUILD: '1', // built above; the e2e global setup need not build again
  VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true',
});
summary();
