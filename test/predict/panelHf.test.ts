/**
 * The panel's predictions and "Continue text" on Hugging Face folders, host side (no browser): a real
 * AnalysisSession analyses a selection with a fixture model, and PanelPredictions answers as it does in VS Code.
 */
import { describe, expect, it } from 'vitest';
import { runHfModel } from '../../src/hfModel/hfRunner';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { AnalysisSession } from '../../src/panel/analysisSession';
import { PanelPredictions } from '../../src/panel/panelPredictions';
import type { HostToWebview, PredictionsMessage } from '../../src/protocol/messages';
import { hfFolder, tempCache } from '../hfModel/hfFixtures';
import path from 'node:path';

const NO_LOGITS = path.join(__dirname, 'fixtures', 'bert-no-logits');

async function panel(folder: string, text: string) {
  const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache() });
  const manifest = await registry.getByFolder(folder);
  const posted: HostToWebview[] = [];
  const errors: string[] = [];
  const session = new AnalysisSession({ registry: () => registry, post: (m) => posted.push(m), maxTokens: () => 4096, defaultModel: () => manifest.id });
  await session.analyzeSource({ uri: 'file:///t.txt', version: 1, text, startOffset: 0, label: 't.txt' }, 'single');
  const predict = new PanelPredictions(session, { ...session.runtime(), logError: (m) => errors.push(m) });
  const result = session.streamer.currentResult(0);
  if (!result) throw new Error('no analysis on screen');
  const generation = (posted.filter((m) => m.type === 'analysisComplete').pop() as { generation: number }).generation;
  const ask = async (token: number): Promise<PredictionsMessage> => {
    await predict.requestPredictions({ type: 'requestPredictions', generation, slot: 0, token, temperature: 1, k: 5 });
    return posted.filter((m): m is PredictionsMessage => m.type === 'predictions').pop() as PredictionsMessage;
  };
  return { manifest, result, posted, errors, predict, ask };
}

const softmaxAt = (logits: Float32Array, row: number, vocab: number, id: number): number => {
  const xs = logits.subarray(row * vocab, (row + 1) * vocab);
  const max = Math.max(...xs);
  let sum = 0;
  for (const x of xs) sum += Math.exp(x - max);
  return Math.exp(xs[id] - max) / sum;
};

describe('panel predictions for Hugging Face folders', () => {
  it('tiny-gpt2: the next-token list at a token = softmax of the test’s own logits there', async () => {
    const { manifest, result, ask, errors } = await panel(hfFolder('tiny-gpt2'), 'The cat sat on the mat.');
    const reply = await ask(2);
    expect(reply.unavailable).toBeUndefined();
    expect(reply.kind).toBe('next');
    expect(reply.top).toHaveLength(5);
    const out = await runHfModel(manifest, result.ids, new Float32Array(result.n * result.n), { logits: true });
    const vocab = (out.logits as Float32Array).length / result.n;
    for (const t of reply.top) expect(Math.abs(t.p - softmaxAt(out.logits as Float32Array, 2, vocab, t.id))).toBeLessThan(1e-6);
    expect(errors).toEqual([]);
  });

  it('tiny-bert: fillers at a word, the reason at [CLS]; an export without logits says so in one sentence', async () => {
    const bert = await panel(hfFolder('tiny-bert'), 'the cat sat on the mat');
    expect((await bert.ask(1)).top).toHaveLength(5);
    const cls = await bert.ask(0);
    expect(cls.top).toEqual([]);
    expect(cls.unavailable).toMatch(/\[CLS\], a special token/);
    const bare = await panel(NO_LOGITS, 'the cat sat');
    const reply = await bare.ask(1);
    expect(reply.top).toEqual([]);
    expect(reply.unavailable).toMatch(/^Predictions are not available for model .* has no "logits" output/);
    expect([...bert.errors, ...bare.errors]).toEqual([]); // replies, not failures in the log
  });

  it('tiny-llama: "Continue text" adds tokens after the prompt (its <s> stays prompt) and finishes', async () => {
    const { posted, predict, errors } = await panel(hfFolder('tiny-llama'), 'The cat sat on the');
    await predict.generate({ type: 'generate', tokens: 3, temperature: 0, topK: 0, seed: 0 });
    const states = posted.filter((m) => m.type === 'generationState') as { state: string; generated: number; text: string }[];
    expect(errors).toEqual([]);
    const last = states[states.length - 1];
    expect(last.state).toBe('done');
    expect(last.generated).toBeGreaterThan(0);
    const starts = posted.filter((m) => m.type === 'analysisStart') as { firstGenerated?: number; tokens: unknown[] }[];
    const shown = starts[starts.length - 1];
    expect(shown.firstGenerated).toBe(shown.tokens.length - last.generated);
    expect(predict.generatedText()?.text ?? '').toBe(last.text);
  });
});
