/**
 * `npm run package` (scripts/package.mjs): the linux-x64 VSIX holds what the installed extension runs and only
 * that platform's onnxruntime binaries — and what it holds works on its own: the packed inference worker loads
 * the packed onnxruntime-node and runs a packed model, and the packed CLI analyses a file, from the unpacked
 * VSIX with no repository around it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASKED_BIAS } from '../../src/common/mask';
import { REPO_ROOT } from '../helpers/bundled';
import type { WorkerReply, WorkerRequest } from '../../src/model/workerClient';
import { loadManifest } from '../../src/model/modelManifest';

const run = promisify(execFile);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'al-vsix-'));
const vsix = path.join(tmp, 'attention-lens-linux-x64.vsix');
const unpacked = path.join(tmp, 'unpacked');
const ext = path.join(unpacked, 'extension');
let files: string[] = [];

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))],
  );
}

beforeAll(async () => {
  await run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package.mjs'), 'linux-x64', vsix], { cwd: REPO_ROOT, maxBuffer: 1 << 26 });
  await run('python3', ['-m', 'zipfile', '-e', vsix, unpacked]);
  files = listFiles(ext);
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('VSIX (linux-x64)', () => {
  it('holds the extension, its worker, the webview, both models and only the linux-x64 runtime', () => {
    for (const f of [
      'package.json',
      'package.nls.zh-cn.json',
      // The translations of the host's and the webview's strings (VS Code loads them; the host forwards them).
      'l10n/bundle.l10n.zh-cn.json',
      'dist/extension.js',
      // The extension's working part, required by dist/extension.js on the first command (src/extension.ts).
      'dist/extensionMain.js',
      'dist/inferenceWorker.js',
      'dist/cli.js',
      'dist/webview.js',
      'dist/webview.css',
      'models/encoder/model.onnx',
      'models/causal/model.onnx',
      'models/encoder/tokenizer.json',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'node_modules/onnxruntime-common/package.json',
    ]) {
      expect(files, f).toContain(f);
    }
    const otherPlatforms = files.filter((f) => /napi-v6\/(darwin|win32|linux\/arm64)\//.test(f));
    expect(otherPlatforms).toEqual([]);
    // Nothing of the sources, tests or training work is shipped.
    expect(files.filter((f) => /^(src|test|bench|scripts|models\/training)\//.test(f) || f.endsWith('.map'))).toEqual([]);
    const mib = statSync(vsix).size / 2 ** 20;
    console.log(`VSIX linux-x64: ${mib.toFixed(1)} MiB, ${files.length} files`);
    expect(mib).toBeLessThan(80);
  });

  it('its inference worker runs a packed model with the packed onnxruntime', async () => {
    const folder = path.join(ext, 'models', 'causal');
    const manifest = await loadManifest(folder);
    const n = 6;
    const bias = new Float32Array(n * n);
    for (let q = 0; q < n; q++) for (let k = q + 1; k < n; k++) bias[q * n + k] = MASKED_BIAS;
    const worker = new Worker(path.join(ext, 'dist', 'inferenceWorker.js'));
    try {
      const reply = await new Promise<WorkerReply>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        const request: WorkerRequest = { id: 1, manifest, ids: [10, 20, 30, 40, 50, 60], bias, options: {} };
        worker.postMessage(request);
      });
      expect(reply.ok, JSON.stringify(reply).slice(0, 300)).toBe(true);
      if (!reply.ok) return;
      const a = reply.outputs.attentions;
      expect(a.length).toBe(manifest.layers * manifest.heads * n * n);
      // Row 2 of the first head: visible keys sum to 1, masked keys are exactly 0.
      expect(Math.abs(a[2 * n] + a[2 * n + 1] + a[2 * n + 2] - 1)).toBeLessThan(1e-5);
      expect(a[2 * n + 3]).toBe(0);
    } finally {
      await worker.terminate();
    }
  });

  it('its CLI analyses a file on its own', async () => {
    const file = path.join(tmp, 'in.txt');
    writeFileSync(file, 'Packed and still reading: 注意力 😀.');
    const { stdout } = await run(process.execPath, [path.join(ext, 'dist', 'cli.js'), 'analyze', file, '--model', 'causal', '--json'], { cwd: tmp, maxBuffer: 1 << 26 });
    const out = JSON.parse(stdout) as { model: string; mask: string; tokens: Array<{ text: string }>; attention: number[][][][] };
    expect(out.model).toBe('causal');
    expect(out.mask).toBe('causal');
    expect(out.tokens.length).toBeGreaterThan(5);
    expect(out.attention[0][0][0][1]).toBe(0);
  });
});
