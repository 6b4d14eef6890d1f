/**
 * Global setup of the e2e project: make sure code-server is installed (.cache/code-server/, one time ~1 min)
 * and the extension is built (dist/), then check Chromium is there. Runs once per `vitest run`, before any
 * e2e file, and only when the e2e project has files to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromiumPath, codeServerEntry, repoRoot } from './codeServer';

function step(label: string, args: string[]): void {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  if (r.status !== 0) throw new Error(`e2e setup: ${label} failed (exit ${r.status ?? r.signal}); see the output above`);
  process.stderr.write(`[e2e setup] ${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

export default function setup(): void {
  step('ensure code-server', [path.join(repoRoot, 'scripts', 'ensure-code-server.mjs')]);
  if (!existsSync(codeServerEntry)) throw new Error(`e2e setup: ${codeServerEntry} missing after install`);
  // scripts/test.mjs builds first and sets ATTENTION_LENS_SKIP_BUILD=1 so the build is not run twice.
  if (process.env.ATTENTION_LENS_SKIP_BUILD !== '1') {
    step('build', [path.join(repoRoot, 'scripts', 'build.mjs')]);
    if (!existsSync(path.join(repoRoot, 'dist', 'extension.js'))) throw new Error('e2e setup: dist/extension.js missing after the build');
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(`e2e setup: Chromium not found at ${chromiumPath}; apt-get install -y chromium (or set ATTENTION_LENS_CHROMIUM)`);
  }
}
