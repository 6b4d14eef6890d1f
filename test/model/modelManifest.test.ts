import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile, mkdir, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parseManifest, ModelConfigError, toModelInfo } from '../../src/model/modelManifest';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { MODELS_DIR } from '../helpers/bundled';
import { VALID_MANIFEST } from '../helpers/manifests';

const valid = VALID_MANIFEST;

describe('model.json validation', () => {
  it('accepts the contract and resolves files inside the folder', () => {
    const m = parseManifest(valid, '/x/m/model.json', '/x/m');
    expect(m.modelPath).toBe('/x/m/model.onnx');
    expect(m.displayName).toBe('M');
  });

  const cases: [string, (o: any) => void, RegExp][] = [
    ['missing kind', (o) => delete o.kind, /field "kind" must be "encoder", "causal" or "encoder-decoder" \(it is missing\)/],
    ['wrong kind', (o) => (o.kind = 'decoder'), /field "kind" must be "encoder", "causal" or "encoder-decoder" \(got "decoder"\)/],
    ['layers not an integer', (o) => (o.layers = 'four'), /field "layers" must be a positive integer \(got "four"\)/],
    ['heads zero', (o) => (o.heads = 0), /field "heads" must be a positive integer/],
    ['head_dim mismatch', (o) => (o.head_dim = 16), /field "head_dim" × heads must equal d_model/],
    ['no files', (o) => delete o.files, /field "files" must be an object/],
    ['files.model missing', (o) => delete o.files.model, /field "files.model"/],
    ['file escaping the folder', (o) => (o.files.tokenizer = '../../etc/passwd'), /field "files.tokenizer" must stay inside the model folder/],
    ['max_positions negative', (o) => (o.max_positions = -1), /field "max_positions"/],
  ];
  for (const [name, mutate, pattern] of cases) {
    it(`names the file and field: ${name}`, () => {
      const o = JSON.parse(JSON.stringify(valid));
      mutate(o);
      let error: unknown;
      try {
        parseManifest(o, '/x/m/model.json', '/x/m');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ModelConfigError);
      expect((error as Error).message).toMatch(/^\/x\/m\/model.json: /);
      expect((error as Error).message).toMatch(pattern);
    });
  }

  it('lists broken model folders with their error and keeps the good ones', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'al-models-'));
    await mkdir(path.join(root, 'good'));
    for (const f of ['model.json', 'model.onnx', 'tokenizer.json']) await copyFile(path.join(MODELS_DIR, 'causal', f), path.join(root, 'good', f));
    const goodJson = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(path.join(MODELS_DIR, 'causal', 'model.json'), 'utf8')));
    goodJson.id = 'good';
    await writeFile(path.join(root, 'good', 'model.json'), JSON.stringify(goodJson));
    await mkdir(path.join(root, 'broken'));
    await writeFile(path.join(root, 'broken', 'model.json'), '{"id": "broken", "kind": 3}');
    await mkdir(path.join(root, 'notjson'));
    await writeFile(path.join(root, 'notjson', 'model.json'), '{');
    const reg = new ModelRegistry([root]);
    const { models, problems } = await reg.list();
    expect(models.map((m) => m.id)).toEqual(['good']);
    expect(problems.map((p) => path.basename(p.folder)).sort()).toEqual(['broken', 'notjson']);
    await expect(reg.get('broken')).rejects.toThrow(/broken\/model.json: field "kind"/);
    await expect(reg.get('notjson')).rejects.toThrow(/notjson\/model.json: is not valid JSON/);
    await expect(reg.get('nope')).rejects.toThrow(/No model "nope" \(available: good\)/);
  });
});

describe('model.json of kind encoder-decoder (translation)', () => {
  const translationJson = (): any => JSON.parse(readFileSync(path.join(MODELS_DIR, 'translation', 'model.json'), 'utf8'));

  it('the bundled translation model validates: special tokens by role, 3 × L stacked layers for the panel', () => {
    const m = parseManifest(translationJson(), '/x/translation/model.json', '/x/translation');
    expect(m.kind).toBe('encoder-decoder');
    expect(m.modelPath).toBe('/x/translation/model.onnx');
    expect(m.translation?.specialTokens).toEqual({ pad: '<pad>', bos: '<s>', eos: '</s>', to_zh: '<2zh>', to_en: '<2en>' });
    expect(Object.keys(m.translation?.specialTokenIds ?? {})).toEqual(['pad', 'bos', 'eos', 'to_zh', 'to_en']);
    const info = toModelInfo(m);
    expect(info.kind).toBe('encoder-decoder');
    expect(info.layers).toBe(3 * m.layers);
    expect(info.setLayers).toBe(m.layers);
  });

  const cases: [string, (o: any) => void, RegExp][] = [
    ['files.graph instead of files.model', (o) => (o.files = { graph: 'model.onnx', tokenizer: 'tokenizer.json' }), /field "files.model" is missing: .*"files.graph"; rename that key/],
    ['no special_tokens', (o) => delete o.special_tokens, /field "special_tokens" must be an object with the roles \{"pad", "bos", "eos", "to_zh", "to_en"\} \(it is missing\)/],
    ['a role without a token', (o) => delete o.special_tokens.to_en, /field "special_tokens.to_en" must name an added token/],
    ['no special_token_ids', (o) => delete o.special_token_ids, /field "special_token_ids" must be an object/],
    ['an id past the vocabulary', (o) => (o.special_token_ids.eos = 9000), /field "special_token_ids.eos" must be a token id from 0 to 8191 \(got 9000\)/],
    ['two roles on one id', (o) => (o.special_token_ids.to_en = o.special_token_ids.to_zh), /field "special_token_ids.to_en" is \d+, the id of "to_zh" as well/],
    ['no vocab_size', (o) => delete o.vocab_size, /field "vocab_size" must be a positive integer \(it is missing\)/],
    ['an input missing', (o) => (o.inputs = o.inputs.slice(1)), /field "inputs" must list the graph's inputs .*\(missing input_ids\)/],
    ['an unknown output', (o) => o.outputs.push('extra'), /field "outputs" must list .*\(unknown extra\)/],
    ['no outputs', (o) => delete o.outputs, /field "outputs" must list .*\(it is missing\)/],
    ['max_positions missing', (o) => delete o.max_positions, /field "max_positions" must be a positive integer/],
    ['default_head past the stacked layers', (o) => (o.default_head = { layer: 9, head: 0, reason: 'x' }), /field "default_head.layer" must be an integer from 0 to 8/],
  ];
  for (const [name, mutate, pattern] of cases) {
    it(`names the file and field: ${name}`, () => {
      const o = translationJson();
      mutate(o);
      expect(() => parseManifest(o, '/x/t/model.json', '/x/t')).toThrow(ModelConfigError);
      expect(() => parseManifest(o, '/x/t/model.json', '/x/t')).toThrow(/^\/x\/t\/model.json: /);
      expect(() => parseManifest(o, '/x/t/model.json', '/x/t')).toThrow(pattern);
    });
  }

  it('a cross-attention default head (stacked layer 2L + l) is accepted', () => {
    const o = translationJson();
    o.default_head = { layer: 2 * o.layers + 1, head: 3, reason: 'cross-attention that follows the source' };
    expect(parseManifest(o, '/x/t/model.json', '/x/t').defaultHead).toMatchObject({ layer: 2 * o.layers + 1, head: 3 });
  });

  it('the registry lists the translation model beside the others', async () => {
    const { models, problems } = await new ModelRegistry([MODELS_DIR]).list();
    expect(problems).toEqual([]);
    expect(models.map((m) => m.id)).toEqual(expect.arrayContaining(['encoder', 'causal', 'translation']));
  });
});
