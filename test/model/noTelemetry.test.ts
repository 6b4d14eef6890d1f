/**
 * onnxruntime-node 1.30 queues usage telemetry under $XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime (a device
 * id and an SQLite event queue) unless ORT_DISABLE_TELEMETRY is set (src/model/ortTelemetry.ts). Child processes with
 * their own cache folder and an environment without the variable: the runtime on its own writes there (the control,
 * which shows the check can fail); the built CLI, which loads it through loadOrt, writes nothing.
 * The extension's worker thread is checked in code-server (test/e2e/security.e2e.test.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/bundled';
import { ensureBuilt } from '../helpers/build';

const run = promisify(execFile);
const roots: string[] = [];

/** A fresh HOME and cache folder, and an environment that names them and nothing about telemetry. */
function sandbox(): { env: NodeJS.ProcessEnv; written: () => string[] } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'al-telemetry-'));
  roots.push(root);
  const env = { PATH: process.env.PATH, HOME: path.join(root, 'home'), XDG_CACHE_HOME: path.join(root, 'cache') };
  const written = (): string[] => readdirSync(root, { recursive: true }).map(String).filter((f) => /onnxruntime/i.test(f));
  return { env, written };
}

beforeAll(() => ensureBuilt());
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe('onnxruntime telemetry stays off', () => {
  it('control: onnxruntime-node loaded directly writes a device id into the cache folder', async () => {
    const { env, written } = sandbox();
    const script = `const ort = require('onnxruntime-node');
      ort.InferenceSession.create(${JSON.stringify(path.join(REPO_ROOT, 'models', 'encoder', 'model.onnx'))}).then(() => process.exit(0));`;
    await run(process.execPath, ['-e', script], { env, cwd: REPO_ROOT });
    expect(existsSync(path.join(env.XDG_CACHE_HOME as string, 'Microsoft', 'DeveloperTools', '.onnxruntime', 'deviceid')), 'onnxruntime no longer writes telemetry by itself: this control and ortTelemetry.ts can go').toBe(true);
    expect(written().length).toBeGreaterThan(0);
  });

  it('the CLI runs the model and leaves nothing there', async () => {
    const { env, written } = sandbox();
    const { stdout } = await run(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'analyze', path.join(REPO_ROOT, 'test', 'fixtures', 'sample-workspace', 'prose.md'), '--json'], { env, maxBuffer: 1 << 30 });
    expect(JSON.parse(stdout).attention.length).toBeGreaterThan(0);
    expect(written()).toEqual([]);
  });
});
