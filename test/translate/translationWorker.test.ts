/** A translation through the extension's backend: each forward pass in the inference worker, as the panel runs it. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceWorkerClient } from '../../src/model/workerClient';
import { translate } from '../../src/translate/greedyTranslate';
import { trainedTranslationBiases } from '../../src/translate/translationBiases';
import { runTranslation } from '../../src/translate/translationRunner';
import { bundledRegistry, REPO_ROOT } from '../helpers/bundled';
import { builtWorkerClient } from '../helpers/build';
import { translationReference } from './reference';

const registry = bundledRegistry();
let worker: InferenceWorkerClient;

beforeAll(() => {
  worker = builtWorkerClient();
});

afterAll(() => worker.dispose());

describe('translation in the inference worker', () => {
  it('one pass gives exactly the in-process outputs', async () => {
    const m = await registry.get('translation');
    const tok = await registry.translationTokenizer(m);
    const source = tok.encodeSource('Check for updates').ids;
    const decoder = [tok.startId('zh'), ...tok.encodeTarget('检查更新')];
    const biases = trainedTranslationBiases(source.length, decoder.length);
    const there = await worker.runTranslation(m, source, decoder, biases, { logits: 'all' });
    const here = await runTranslation(m, source, decoder, biases, { logits: 'all' });
    for (const set of ['encoder', 'decoder', 'cross'] as const) {
      for (const part of ['attentions', 'queries', 'keys', 'values'] as const) expect(Array.from(there[set][part])).toEqual(Array.from(here[set][part]));
    }
    expect(Array.from(there.logits ?? [])).toEqual(Array.from(here.logits ?? []));
    // The caller's biases stay its own (the worker got copies).
    expect(biases.decoder.length).toBe(decoder.length ** 2);
  });

  it('greedy decoding through the worker writes the reference tokens', async () => {
    const ref = translationReference();
    const m = await registry.get('translation');
    const r = await translate(m, await registry.translationTokenizer(m), ref.pair.en, { to: 'zh', inference: worker });
    expect(r.target.ids.slice(1)).toEqual(ref.greedy.tokens);
  });

  it('a broken translation model is reported from the worker with its file', async () => {
    const m = { ...(await registry.get('translation')), modelPath: path.join(REPO_ROOT, 'models', 'translation', 'missing.onnx') };
    await expect(worker.runTranslation(m, [1, 2], [3], trainedTranslationBiases(2, 1))).rejects.toThrow(/missing.onnx: the model file is missing \(named by "files.model"/);
  });
});
