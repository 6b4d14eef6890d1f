/** The CLI on Hugging Face folders: `--model PATH` gives the same JSON shape as a bundled model, special tokens marked. */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/bundled';
import { ensureBuilt } from '../helpers/build';
import { hfFolder, reference } from '../hfModel/hfFixtures';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let dir: string;
let cache: string;
let file: string;

interface Json {
  model: string;
  kind: string;
  mask: string;
  layers: number;
  heads: number;
  tokens: { text: string; start: number; end: number; special?: boolean }[];
  attention: number[][][][];
}

const analyze = async (...args: string[]): Promise<Json> =>
  JSON.parse((await run(process.execPath, [CLI, 'analyze', file, '--json', '--cache-dir', cache, ...args], { maxBuffer: 1 << 28 })).stdout) as Json;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'al-hf-cli-'));
  cache = path.join(dir, 'cache');
  file = path.join(dir, 'in.txt');
  await writeFile(file, reference('tiny-gpt2').text);
});

describe('attention-lens analyze --model PATH', () => {
  it('tiny-gpt2: the JSON of a bundled model, with PyTorch’s attention', async () => {
    const [hf, bundled] = await Promise.all([analyze('--model', hfFolder('tiny-gpt2')), analyze('--model', 'causal')]);
    expect(Object.keys(hf)).toEqual(Object.keys(bundled));
    expect([hf.model, hf.kind, hf.mask, hf.layers, hf.heads]).toEqual(['tiny-gpt2', 'causal', 'causal', 3, 4]);
    const text = reference('tiny-gpt2').text;
    for (const t of hf.tokens) expect(text.slice(t.start, t.end)).toBe(t.text);
    const ref = reference('tiny-gpt2').attentions;
    let max = 0;
    ref.forEach((l, li) => l.forEach((h, hi) => h.forEach((row, q) => row.forEach((v, k) => (max = Math.max(max, Math.abs(v - hf.attention[li][hi][q][k])))))));
    expect(max).toBeLessThan(1e-4);
  });

  it('tiny-bert: [CLS] and [SEP] are in the tokens, marked special, named, standing for no text', async () => {
    const out = await analyze('--model', hfFolder('tiny-bert'));
    const text = reference('tiny-bert').text;
    expect(out.tokens.length).toBe(reference('tiny-bert').input_ids.length);
    const first = out.tokens[0];
    const last = out.tokens[out.tokens.length - 1];
    expect(first).toEqual({ text: '[CLS]', start: 0, end: 0, special: true });
    expect(last).toMatchObject({ text: '[SEP]', special: true });
    expect(last.start).toBe(last.end);
    expect(out.tokens.slice(1, -1).every((t) => t.special === undefined && t.end > t.start)).toBe(true);
    expect(out.attention[0][0]).toHaveLength(out.tokens.length);
    expect(text.length).toBeGreaterThan(0);
  });

  it('--variant picks a model file; models --model PATH says what was read', async () => {
    const fp16 = await analyze('--model', hfFolder('tiny-gpt2'), '--variant', 'model_fp16.onnx');
    expect(fp16.layers).toBe(3);
    const { stdout } = await run(process.execPath, [CLI, 'models', '--model', hfFolder('tiny-llama'), '--cache-dir', cache]);
    expect(stdout).toContain('layers × heads\t2 × 4 (2 key/value heads)');
    expect(stdout).toContain('kind\tcausal');
    expect(stdout).toMatch(/queries\/keys\/values\tno/);
  });

  it('a what-if mask on a plain export and a broken folder fail with exit code 1 and say why', async () => {
    await expect(run(process.execPath, [CLI, 'analyze', file, '--json', '--model', hfFolder('tiny-gpt2'), '--mask', 'full', '--cache-dir', cache])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/applies only its own causal mask/),
    });
    const bad = path.join(hfFolder('bad'), 'fused-attention');
    await expect(run(process.execPath, [CLI, 'analyze', file, '--json', '--model', bad, '--cache-dir', cache])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/com\.microsoft\.Attention/),
    });
  });
});
