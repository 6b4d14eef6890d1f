/** The extension runs models in the inference worker: a Hugging Face folder runs there too, with the same result. */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { runModel } from '../../src/model/modelRunner';
import { readySplit } from '../../src/model/splitRunner';
import { InferenceWorkerClient } from '../../src/model/workerClient';
import { DIST, ensureBuilt } from '../helpers/build';
import { hfFolder, reference, tempCache } from './hfFixtures';

beforeAll(() => ensureBuilt());

describe('Hugging Face folders in the inference worker', () => {
  it.each(['tiny-gpt2', 'tiny-bert'])('%s: the worker gives the in-process attention, bit for bit', async (name) => {
    const folder = hfFolder(name);
    const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache() });
    const m = await registry.getByFolder(folder);
    const ids = reference(name).input_ids;
    const bias = new Float32Array(ids.length * ids.length);
    const worker = new InferenceWorkerClient(path.join(DIST, 'inferenceWorker.js'));
    try {
      const [inWorker, here] = await Promise.all([worker.run(m, ids, bias), runModel(m, ids, bias)]);
      expect(inWorker.attentions.length).toBe(m.layers * m.heads * ids.length * ids.length);
      expect(Buffer.from(inWorker.attentions.buffer).equals(Buffer.from(here.attentions.buffer))).toBe(true);
      expect(inWorker.queries.length).toBe(0);
    } finally {
      await worker.dispose();
    }
  });
});

describe('progressive runs', () => {
  it('a Hugging Face folder runs whole when a first layer is asked for, and no split is prepared for it', async () => {
    const folder = hfFolder('tiny-gpt2');
    const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache() });
    const m = await registry.getByFolder(folder);
    const ids = reference('tiny-gpt2').input_ids;
    const out = await runModel(m, ids, new Float32Array(ids.length * ids.length), { firstLayer: 0 });
    expect(out.attentions.length).toBe(m.layers * m.heads * ids.length * ids.length);
    await new Promise((resolve) => setImmediate(resolve));
    // Long enough for a background split of this tiny graph to have failed and left its reason (it did before).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(readySplit(m, 0)).toBeUndefined();
  });
});
