/** `analyze --predictions K` and `generate`, as a person runs them: the built dist/cli.js, the real models. */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAttentionBias } from '../../src/attention/mask';
import { runModel } from '../../src/model/modelRunner';
import { bundledRegistry, REPO_ROOT } from '../helpers/bundled';
import { ensureBuilt } from '../helpers/build';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const registry = bundledRegistry();
let file: string;

beforeAll(async () => {
  ensureBuilt();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'al-cli-predict-'));
  file = path.join(dir, 'in.txt');
  await writeFile(file, 'The old man walked to the river');
});

interface P {
  id: number;
  text: string;
  p: number;
}

async function cli(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { maxBuffer: 1 << 28 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('analyze --predictions', () => {
  it('causal: the top-K next tokens per position, p = softmax of the model logits at T = 1', async () => {
    const out = await cli('analyze', file, '--model', 'causal', '--predictions', '4', '--json');
    const tokens = out.tokens as unknown[];
    const predictions = out.predictions as P[][];
    expect(predictions).toHaveLength(tokens.length);
    for (const row of predictions) {
      expect(row).toHaveLength(4);
      for (let i = 1; i < row.length; i++) expect(row[i - 1].p).toBeGreaterThanOrEqual(row[i].p);
    }
    const manifest = await registry.get('causal');
    const ids = (await registry.tokenizer(manifest)).encode('The old man walked to the river').map((t) => t.id);
    const { logits } = await runModel(manifest, ids, buildAttentionBias(ids.length, 'causal'), { logits: true });
    const vocab = manifest.vocabSize as number;
    const pos = 2;
    const rowLogits = Array.from((logits as Float32Array).subarray(pos * vocab, (pos + 1) * vocab));
    const max = Math.max(...rowLogits);
    const sum = rowLogits.reduce((s, x) => s + Math.exp(x - max), 0);
    for (const pred of predictions[pos]) expect(pred.p).toBeCloseTo(Math.exp(rowLogits[pred.id] - max) / sum, 6);
    expect(predictions[pos][0].id).toBe(rowLogits.indexOf(max));
  });

  it('encoder: the fillers if each position were masked', async () => {
    const out = await cli('analyze', file, '--predictions', '2', '--json');
    const predictions = out.predictions as P[][];
    expect(predictions).toHaveLength((out.tokens as unknown[]).length);
    expect(predictions[0][0].text.length).toBeGreaterThan(0);
  });

  it('needs --json', async () => {
    await expect(run(process.execPath, [CLI, 'analyze', file, '--predictions', '2', '--html', '/tmp/x.html'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/--predictions goes with --json/),
    });
  });
});

describe('generate', () => {
  it('prints the generated tokens and the whole sequence in the shape of analyze --json; a seed repeats it', async () => {
    const args = ['generate', file, '--tokens', '8', '--temperature', '0.8', '--top-k', '30', '--seed', '11', '--json'];
    const a = await cli(...args);
    const b = await cli(...args);
    const generated = a.generated as Array<{ id: number; text: string; position: number }>;
    expect(generated).toHaveLength(8);
    expect(generated.map((g) => g.id)).toEqual((b.generated as typeof generated).map((g) => g.id));
    expect(a.model).toBe('causal');
    expect(a.mask).toBe('causal');
    expect(a.kvCache).toBe(false);
    const tokens = a.tokens as Array<{ text: string }>;
    const first = a.firstGenerated as number;
    expect(tokens).toHaveLength(first + 8);
    expect(tokens.slice(first).map((t) => t.text)).toEqual(generated.map((g) => g.text));
    const attention = a.attention as number[][][][];
    const n = tokens.length;
    for (const row of attention[3][5].slice(first)) {
      expect(row).toHaveLength(n);
      expect(Math.abs(row.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-5);
    }
    attention[0][0].forEach((row, q) => row.forEach((w, k) => k > q && expect(w).toBe(0)));
  });

  it('prints the continued text without --json, and refuses the encoder clearly', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'generate', file, '--tokens', '3', '--temperature', '0']);
    expect(stdout.startsWith('The old man walked to the river')).toBe(true);
    await expect(run(process.execPath, [CLI, 'generate', file, '--tokens', '3', '--model', 'encoder'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/only a causal model continues a text/),
    });
    await expect(run(process.execPath, [CLI, 'generate', file])).rejects.toMatchObject({ stderr: expect.stringMatching(/--tokens N/) });
  });
});
