/**
 * The rewritten graph is cached outside the model folder, keyed by the source file's identity: the model folder is
 * never written to, a second open reads the cache, and a changed file is rewritten again.
 */
import { copyFile, mkdtemp, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedGraph, fileIdentity } from '../../src/hfModel/graphCache';
import { exposeAttention } from '../../src/hfModel/attentionGraph';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { releaseSessions } from '../../src/model/modelRunner';
import { analyzeText } from '../../src/pipeline/analyze';
import { hfFolder, tempCache } from './hfFixtures';

/** Every file under `dir` with its size and modification time. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    const s = await stat(p);
    out.push(`${path.relative(dir, p)} ${s.size} ${s.mtimeMs}`);
  }
  return out.sort();
}

describe('graph cache', () => {
  it.each(['tiny-gpt2', 'tiny-gpt2-external'])('%s: the model folder is left as it was; the cache holds the graph; a second open reads it', async (name) => {
    const folder = hfFolder(name);
    const before = await snapshot(folder);
    const cache = tempCache();
    const open = async (): Promise<number> => {
      await releaseSessions();
      const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: cache });
      const m = await registry.getByFolder(folder);
      const t0 = performance.now();
      const r = await analyzeText(registry, 'The cat sat on the mat.', { modelId: m.id });
      expect(r.attentions.length).toBe(m.layers * m.heads * r.n * r.n);
      return performance.now() - t0;
    };
    const first = await open();
    const cached = (await readdir(cache)).sort();
    expect(cached).toHaveLength(1);
    expect(cached[0]).toMatch(/^[0-9a-f]{32}\.onnx$/);
    const cachedStat = await stat(path.join(cache, cached[0]));
    const second = await open();
    console.log(`${name}: first open + analysis ${first.toFixed(0)} ms (rewrite, cache write), second ${second.toFixed(0)} ms (from the cache)`);
    // The second open used the cached file: nothing new was written and it was not rewritten.
    expect((await readdir(cache)).sort()).toEqual(cached);
    expect((await stat(path.join(cache, cached[0]))).mtimeMs).toBe(cachedStat.mtimeMs);
    expect(await snapshot(folder)).toEqual(before);
    await releaseSessions();
  });

  it('a cache folder inside the model folder is refused before anything is written', async () => {
    const folder = hfFolder('tiny-gpt2');
    const before = await snapshot(folder);
    await expect(
      cachedGraph(path.join(folder, 'onnx', 'model.onnx'), folder, path.join(folder, '.cache'), 'attention', (b) => b),
    ).rejects.toThrow(/inside the model folder.*never writes there/);
    expect(await snapshot(folder)).toEqual(before);
  });

  it('reads the cache on the second call and rewrites a file whose bytes or time changed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'al-hf-src-'));
    const file = path.join(dir, 'model.onnx');
    await copyFile(path.join(hfFolder('tiny-gpt2'), 'onnx', 'model.onnx'), file);
    const cache = tempCache();
    let made = 0;
    const make = (b: Uint8Array): Uint8Array => {
      made++;
      return exposeAttention(b, file, 3, { keepOutputs: [] }).bytes;
    };
    const t0 = performance.now();
    const a = await cachedGraph(file, dir, cache, 'attention', make);
    const t1 = performance.now();
    const b = await cachedGraph(file, dir, cache, 'attention', make);
    const t2 = performance.now();
    console.log(`tiny-gpt2 graph: rewrite + cache write ${(t1 - t0).toFixed(1)} ms, read from the cache ${(t2 - t1).toFixed(1)} ms`);
    expect([a.hit, b.hit, made]).toEqual([false, true, 1]);
    expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    // Another purpose is another entry.
    expect((await cachedGraph(file, dir, cache, 'logits', make)).hit).toBe(false);
    // Same size, new time: a new identity.
    const id = await fileIdentity(file, 'attention');
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    expect(await fileIdentity(file, 'attention')).not.toBe(id);
    expect((await cachedGraph(file, dir, cache, 'attention', make)).hit).toBe(false);
    // Not a model any more: the identity changes with the bytes.
    await writeFile(file, 'x');
    expect(await fileIdentity(file, 'attention')).not.toBe(id);
  });
});
