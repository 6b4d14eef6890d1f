/**
 * A model folder from the internet is untrusted: each broken fixture under test/fixtures/hf/bad gives its own clear
 * error naming the file, and never hides the good models beside it.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { analyzeText } from '../../src/pipeline/analyze';
import { HF_DIR, hfFolder, tempCache } from './hfFixtures';

const bad = (name: string): string => path.join(HF_DIR, 'bad', name);

/** Opens the folder and analyses a short text; resolves to the error it fails with. */
async function failureOf(folder: string): Promise<Error> {
  const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache() });
  try {
    const m = await registry.getByFolder(folder);
    await analyzeText(registry, 'The cat sat on the mat.', { modelId: m.id });
  } catch (e) {
    return e as Error;
  }
  throw new Error(`${folder} opened and ran without an error`);
}

const CASES: [string, string, RegExp][] = [
  ['missing-config', 'config.json', /is missing: a Hugging Face model folder needs its config\.json/],
  ['missing-tokenizer', 'tokenizer.json', /is missing: a Hugging Face model folder needs its tokenizer\.json/],
  ['vocab-mismatch', 'tokenizer.json', /ids up to 1499 .*vocab_size 1000.*does not match/],
  ['no-attention', 'onnx/model.onnx', /has no attention to show/],
  ['fused-attention', 'onnx/model.onnx', /com\.microsoft\.Attention.*optimum-cli export onnx.*without `--optimize`/],
  ['external-escape', 'onnx/model.onnx', /initializer "[^"]+" names external data "\.\.\/\.\.\/outside\.bin", outside the model folder/],
  ['catastrophic-regex', 'tokenizer.json', /\(a\+\)\+\$/],
  ['unsupported-component', 'tokenizer.json', /FancyUnicodeFolding.*not supported/],
];

describe('broken Hugging Face folders', () => {
  it.each(CASES)('%s: the error names %s and says what is wrong', async (name, file, message) => {
    const e = await failureOf(bad(name));
    expect(e.message).toContain(path.join(bad(name), file));
    expect(e.message).toMatch(message);
  });

  it('a merged decoder (attention inside an If) says so and what to open instead', async () => {
    const e = await failureOf(hfFolder('tiny-gpt2-merged'));
    expect(e.message).toContain('decoder_model_merged.onnx');
    expect(e.message).toMatch(/inside the subgraphs of the If node .*decoder_model\.onnx or model\.onnx/);
  });

  it('an encoder-decoder folder is listed as a problem saying it is not yet supported', async () => {
    const e = await failureOf(hfFolder('tiny-marian'));
    expect(e.message).toMatch(/encoder_model\.onnx: is an encoder-decoder model \(marian\); .*not yet supported/);
  });

  it('a truncated model file is named, and said not to be a loadable ONNX model', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'al-hf-trunc-'));
    await cp(hfFolder('tiny-bert'), dir, { recursive: true });
    const onnx = path.join(dir, 'onnx', 'model.onnx');
    await writeFile(onnx, (await readFile(onnx)).subarray(0, 5000));
    const e = await failureOf(dir);
    expect(e.message).toContain(onnx);
    expect(e.message).toMatch(/malformed protobuf|not a loadable ONNX model/);
  });

  it('a root with broken and good folders lists the good ones and reports each broken one', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'al-hf-root-'));
    await cp(bad('missing-tokenizer'), path.join(root, 'broken'), { recursive: true });
    await cp(hfFolder('tiny-gpt2'), path.join(root, 'good'), { recursive: true });
    const registry = new ModelRegistry([root], { cacheFolder: tempCache() });
    const { models, problems } = await registry.list();
    expect(models.map((m) => m.id)).toEqual(['good']);
    expect(problems.map((p) => path.basename(p.folder))).toEqual(['broken']);
    expect(problems[0].error.message).toContain('tokenizer.json');
    await expect(registry.get('broken')).rejects.toThrow(/tokenizer\.json/);
    const r = await analyzeText(registry, 'The cat sat.', { modelId: 'good' });
    expect(r.n).toBeGreaterThan(0);
  });
});
