import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InferenceWorkerClient } from '../../src/model/workerClient';
import { REPO_ROOT } from './bundled';

export const DIST = path.join(REPO_ROOT, 'dist');

let built = false;
/**
 * The tests that run the built bundles call this. `npm test` builds once before vitest and says so with
 * ATTENTION_LENS_SKIP_BUILD=1: then nothing is rebuilt while other test files read dist/ (a rebuild rewrites
 * files under their feet). A lone `vitest run` builds here, once per test file.
 */
export function ensureBuilt(): void {
  if (built) return;
  built = true;
  const needed = ['cli.js', 'extension.js', 'extensionMain.js', 'inferenceWorker.js', 'webview.js'];
  if (process.env.ATTENTION_LENS_SKIP_BUILD === '1' && needed.every((f) => existsSync(path.join(DIST, f)))) return;
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

/** The extension's inference worker, from the built bundle (built first if needed), as the extension starts it. */
export function builtWorkerClient(): InferenceWorkerClient {
  ensureBuilt();
  return new InferenceWorkerClient(path.join(DIST, 'inferenceWorker.js'));
}
