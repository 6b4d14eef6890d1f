/** `--predictions K` and `generate` on Hugging Face folders through the built CLI (real onnxruntime, fixtures). */
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

interface P {
  id: number;
  text: string;
  p: number;
}

async function cli(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--cache-dir', cache], { maxBuffer: 1 << 28 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function textFile(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'al-hf-predict-'));
  cache = path.join(dir, 'cache');
});

describe('analyze --model PATH --predictions K --json', () => {
  it('tiny-gpt2: the last position’s list = softmax of PyTorch’s logits', async () => {
    const ref = reference('tiny-gpt2');
    const out = await cli('analyze', await textFile('gpt2.txt', ref.text), '--model', hfFolder('tiny-gpt2'), '--predictions', '3', '--json');
    const predictions = out.predictions as P[][];
    expect(predictions).toHaveLength(ref.input_ids.length);
    const logits = ref.logits_last as number[];
    const max = Math.max(...logits);
    const sum = logits.reduce((s, x) => s + Math.exp(x - max), 0);
    const last = predictions[predictions.length - 1];
    expect(last[0].id).toBe(logits.indexOf(max));
    for (const t of last) expect(Math.abs(t.p - Math.exp(logits[t.id] - max) / sum)).toBeLessThan(1e-4);
  });

  it('tiny-bert: fillers at word positions, none at [CLS] and [SEP]', async () => {
    const out = await cli('analyze', await textFile('bert.txt', 'the cat sat on the mat'), '--model', hfFolder('tiny-bert'), '--predictions', '2', '--json');
    const predictions = out.predictions as P[][];
    const tokens = out.tokens as { special?: boolean }[];
    expect(predictions).toHaveLength(tokens.length);
    for (const [i, t] of tokens.entries()) expect(predictions[i]).toHaveLength(t.special ? 0 : 2);
  });
});

describe('generate --model PATH', () => {
  it('tiny-llama: greedy tokens follow the prompt (after <s>), repeat, and their attention is in the JSON', async () => {
    const file = await textFile('llama.txt', 'The cat sat on the');
    const args = ['generate', file, '--model', hfFolder('tiny-llama'), '--tokens', '3', '--temperature', '0', '--json'];
    const a = await cli(...args);
    const b = await cli(...args);
    const generated = a.generated as { id: number; text: string; position: number }[];
    expect(generated.map((g) => g.id)).toEqual((b.generated as typeof generated).map((g) => g.id));
    const tokens = a.tokens as { special?: boolean }[];
    expect(tokens[0].special).toBe(true);
    expect(a.firstGenerated).toBe(tokens.length - generated.length);
    for (const [i, g] of generated.entries()) expect(g.position).toBe((a.firstGenerated as number) + i);
    expect(a.generatedText).toBe(generated.map((g) => g.text).join(''));
  });

  it('tiny-gpt2: a seeded sample repeats; the plain output is the text plus its continuation', async () => {
    const file = await textFile('gpt2-gen.txt', 'The cat sat on the');
    const args = ['generate', file, '--model', hfFolder('tiny-gpt2'), '--tokens', '4', '--temperature', '0.9', '--seed', '5'];
    const { stdout: a } = await run(process.execPath, [CLI, ...args, '--cache-dir', cache]);
    const { stdout: b } = await run(process.execPath, [CLI, ...args, '--cache-dir', cache]);
    expect(a).toBe(b);
    expect(a.startsWith('The cat sat on the')).toBe(true);
  });
});
