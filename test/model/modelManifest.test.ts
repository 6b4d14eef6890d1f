import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile, mkdir, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseManifest, ModelConfigError } from '../../src/model/modelManifest';
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
    ['missing kind', (o) => delete o.kind, /field "kind" must be "encoder" or "causal" \(it is missing\)/],
    ['wrong kind', (o) => (o.kind = 'decoder'), /field "kind" must be "encoder" or "causal" \(got "decoder"\)/],
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
