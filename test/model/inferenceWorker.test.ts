/** Inference in the worker thread (as the extension runs it) gives exactly the numbers of the in-process run. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from '../../src/model/modelRunner';
import { InferenceWorkerClient } from '../../src/model/workerClient';
import { buildAttentionBias } from '../../src/attention/mask';
import { bundledRegistry, REPO_ROOT } from '../helpers/bundled';
import { builtWorkerClient } from '../helpers/build';

const registry = bundledRegistry();

let worker: InferenceWorkerClient;

beforeAll(() => {
  worker = builtWorkerClient();
});

afterAll(() => worker.dispose());

describe('inference worker', () => {
  it('returns the same outputs as the in-process run, and keeps the event loop turning meanwhile', async () => {
    const manifest = await registry.get('causal');
    const tokens = (await registry.tokenizer(manifest)).encode('The worker runs the model while the host keeps answering. '.repeat(20));
    const ids = tokens.map((t) => t.id);
    const bias = buildAttentionBias(ids.length, 'causal');
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const inWorker = await worker.run(manifest, ids, bias);
    clearInterval(ticker);
    const here = await runModel(manifest, ids, bias);
    expect(Array.from(inWorker.attentions)).toEqual(Array.from(here.attentions));
    expect(Array.from(inWorker.values)).toEqual(Array.from(here.values));
    // The main thread ran timers while the worker computed (a blocking run would allow at most one turn).
    expect(turns).toBeGreaterThan(1);
  });

  it('reports a broken model from the worker with the same clear message', async () => {
    const manifest = { ...(await registry.get('causal')), modelPath: path.join(REPO_ROOT, 'models', 'causal', 'missing.onnx') };
    await expect(worker.run(manifest, [1, 2, 3], buildAttentionBias(3, 'full'))).rejects.toThrow(/missing.onnx: the model file is missing/);
  });
});
