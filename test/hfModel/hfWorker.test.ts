/** The extension runs models in the inference worker: a Hugging Face folder runs there too, with the same result. */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { runModel } from '../../src/model/modelRunner';
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
