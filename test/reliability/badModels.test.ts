/**
 * Broken models get a clear error naming the file and what is wrong, and the other model keeps working.
 * Every broken model here is made from the real bundled files: renamed graph inputs/outputs are same-length
 * byte edits of the real model.onnx, so onnxruntime sees a consistent graph with the wrong names.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { analyzeText } from '../../src/pipeline/analyze';
import { MODELS_DIR } from '../helpers/bundled';

let root: string;
let onnx: Buffer;

async function makeModel(id: string, edit: { onnx?: (b: Buffer) => Buffer | null; json?: (o: any) => void; tokenizer?: string | null }): Promise<void> {
  const dir = path.join(root, id);
  await mkdir(dir, { recursive: true });
  const json = JSON.parse(await readFile(path.join(MODELS_DIR, 'causal', 'model.json'), 'utf8'));
  json.id = id;
  edit.json?.(json);
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
  const bytes = edit.onnx ? edit.onnx(Buffer.from(onnx)) : onnx;
  if (bytes) await writeFile(path.join(dir, 'model.onnx'), bytes);
  if (edit.tokenizer === undefined) await copyFile(path.join(MODELS_DIR, 'causal', 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
  else if (edit.tokenizer !== null) await writeFile(path.join(dir, 'tokenizer.json'), edit.tokenizer);
}

/** Replaces every occurrence of `from` by `to` (same byte length) in a copy of `b`. */
function rename(b: Buffer, from: string, to: string): Buffer {
  expect(Buffer.byteLength(from)).toBe(Buffer.byteLength(to));
  const out = Buffer.from(b);
  const needle = Buffer.from(from);
  let count = 0;
  for (let i = out.indexOf(needle); i >= 0; i = out.indexOf(needle, i + 1)) {
    out.write(to, i);
    count++;
  }
  expect(count).toBeGreaterThan(0);
  return out;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'al-bad-models-'));
  onnx = await readFile(path.join(MODELS_DIR, 'causal', 'model.onnx'));
  await makeModel('good', {});
  await makeModel('missingfile', { onnx: () => null });
  await makeModel('truncated', { onnx: (b) => b.subarray(0, Math.floor(b.length * 0.4)) });
  await makeModel('garbage', { onnx: (b) => Buffer.from(b.map((_, i) => (i * 2654435761) >>> 24)) });
  await makeModel('badinput', { onnx: (b) => rename(b, 'input_ids', 'input_idz') });
  await makeModel('badoutput', { onnx: (b) => rename(b, 'attentions', 'attentionz') });
  await makeModel('wrongheads', { json: (o) => ((o.heads = o.heads / 2), (o.head_dim = o.head_dim * 2)) });
  await makeModel('wronglayers', { json: (o) => (o.layers = o.layers + 2) });
  await makeModel('vocabmismatch', { json: (o) => (o.vocab_size = 9000) });
  await makeModel('notokenizer', { tokenizer: null });
  await makeModel('badtokenizer', { tokenizer: '{"model": {"type": "Unigram"}}' });
  await makeModel('nokind', { json: (o) => delete o.kind });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const cases: [string, RegExp][] = [
  ['missingfile', /missingfile\/model.onnx: the model file is missing \(named by "files.model"/],
  ['truncated', /truncated\/model.onnx: is not a loadable ONNX model/],
  ['garbage', /garbage\/model.onnx: is not a loadable ONNX model/],
  ['badinput', /badinput\/model.onnx: missing input\(s\) input_ids; unexpected input\(s\) input_idz/],
  ['badoutput', /badoutput\/model.onnx: missing output\(s\) attentions/],
  ['wrongheads', /wrongheads\/model.onnx: output "attentions" has shape \[\d+, 8, \d+, \d+\], expected \[\d+, 4, /],
  ['wronglayers', /wronglayers\/model.onnx: output "attentions" has shape \[4, .*\], expected \[6, /],
  ['vocabmismatch', /vocabmismatch\/tokenizer.json: field "model.vocab" holds 8192 tokens but .*model.json says vocab_size 9000/],
  ['notokenizer', /notokenizer\/tokenizer.json: cannot be read \(ENOENT\)/],
  ['badtokenizer', /badtokenizer\/tokenizer.json: model.type: expected "BPE"/],
  ['nokind', /nokind\/model.json: field "kind" must be "encoder", "causal" or "encoder-decoder" \(it is missing\)/],
];

describe('bad models', () => {
  for (const [id, pattern] of cases) {
    it(`${id}: a clear error naming the file, and the good model still works`, async () => {
      const registry = new ModelRegistry([root]);
      const err = await analyzeText(registry, 'The other model keeps working.', { modelId: id }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(pattern);
      const ok = await analyzeText(registry, 'The other model keeps working.', { modelId: 'good' });
      expect(ok.n).toBeGreaterThan(3);
    });
  }

  it('lists the broken folder with its reason and keeps the others', async () => {
    const { models, problems } = await new ModelRegistry([root]).list();
    expect(models.map((m) => m.id)).toContain('good');
    expect(problems.map((p) => path.basename(p.folder))).toEqual(['nokind']);
  });
});
