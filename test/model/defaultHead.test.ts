/**
 * model.json `default_head` (models/README.md): optional, names a head of the model counted from 0 and says why in
 * one line; the bundled models name one, and it reaches the webview in ModelInfo.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelConfigError, parseManifest, toModelInfo } from '../../src/model/modelManifest';
import { MODELS_DIR } from '../helpers/bundled';
import { VALID_MANIFEST } from '../helpers/manifests';

const valid = VALID_MANIFEST;

function parseWith(defaultHead: unknown) {
  return parseManifest({ ...valid, default_head: defaultHead }, '/x/m/model.json', '/x/m');
}

describe('model.json default_head', () => {
  it('is optional: without it ModelInfo carries none', () => {
    const m = parseManifest(valid, '/x/m/model.json', '/x/m');
    expect(m.defaultHead).toBeUndefined();
    expect('defaultHead' in toModelInfo(m)).toBe(false);
  });

  it('reaches ModelInfo with its reason', () => {
    const m = parseWith({ layer: 3, head: 7, reason: ' a previous-token head ' });
    expect(toModelInfo(m).defaultHead).toEqual({ layer: 3, head: 7, reason: 'a previous-token head' });
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', 5, /field "default_head" must be an object/],
    ['layer past the model', { layer: 4, head: 0, reason: 'r' }, /field "default_head.layer" must be an integer from 0 to 3/],
    ['head negative', { layer: 0, head: -1, reason: 'r' }, /field "default_head.head" must be an integer from 0 to 7/],
    ['head counted from 1 by mistake', { layer: 0, head: 8, reason: 'r' }, /field "default_head.head"/],
    ['no reason', { layer: 0, head: 0 }, /field "default_head.reason" must be one line of text/],
    ['reason over two lines', { layer: 0, head: 0, reason: 'a\nb' }, /field "default_head.reason"/],
    ['reason too long', { layer: 0, head: 0, reason: 'x'.repeat(201) }, /at most 200 characters/],
  ];
  for (const [name, value, pattern] of bad) {
    it(`names the file and field: ${name}`, () => {
      expect(() => parseWith(value)).toThrow(ModelConfigError);
      expect(() => parseWith(value)).toThrow(pattern);
    });
  }

  it('the bundled models open on a head with structure, named in their census', () => {
    for (const id of ['encoder', 'causal']) {
      const raw = JSON.parse(readFileSync(path.join(MODELS_DIR, id, 'model.json'), 'utf8'));
      const m = parseManifest(raw, `${id}/model.json`, path.join(MODELS_DIR, id));
      const metrics = JSON.parse(readFileSync(path.join(MODELS_DIR, id, 'metrics.json'), 'utf8')) as {
        census: Array<{ layer: number; head: number; prev: number; label: string }>;
      };
      const row = metrics.census.find((c) => c.layer === m.defaultHead?.layer && c.head === m.defaultHead?.head);
      expect(row, id).toBeDefined();
      expect(row?.label, id).toMatch(/previous-token/);
      // The share the reason quotes is the census's.
      expect(m.defaultHead?.reason, id).toContain(`${Math.round((row?.prev ?? 0) * 100)}%`);
    }
  });

  it('the translation model opens on its best-aligned cross-attention head, with the share its card measured', () => {
    const dir = path.join(MODELS_DIR, 'translation');
    const m = parseManifest(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')), 'translation/model.json', dir);
    const alignment = (JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8')) as {
      alignment: { best_head: { layer: number; head: number }; best_head_share: number };
    }).alignment;
    // Stacked as the panel shows them: encoder 0…L−1, decoder self L…2L−1, cross 2L…3L−1.
    expect(m.defaultHead).toMatchObject({ layer: 2 * m.layers + alignment.best_head.layer, head: alignment.best_head.head });
    expect(m.defaultHead?.reason).toContain(`${Math.round(alignment.best_head_share * 100)}%`);
  });
});
