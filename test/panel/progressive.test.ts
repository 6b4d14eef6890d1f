/**
 * Progressive first paint through the session and the streamer: when the backend hands the visible layer over
 * before the whole run ends, that layer's heads are posted at once (the visible head first), every other head is
 * posted exactly once after the whole result, then analysisComplete; requests for heads or vectors that are not
 * computed yet are answered when they are; a newer selection supersedes everything of the older generation. The
 * backend is the real model (runModel) behind a gate the test opens, so the order is the test's to decide.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisSession, type TextSource } from '../../src/panel/analysisSession';
import { encodeHead, type HostToWebview } from '../../src/protocol/messages';
import { runModel, type InferenceBackend, type ModelOutputs } from '../../src/model/modelRunner';
import { bundledRegistry } from '../helpers/bundled';

const registry = bundledRegistry();
const source = (text: string): TextSource => ({ uri: 'file:///a.txt', version: 1, text, startOffset: 0, label: 'a.txt' });

/** A backend that runs the real model, hands `firstLayer` over, then waits for `open()` before answering. */
function gatedBackend(): { backend: InferenceBackend; open: () => void; handedOver: Promise<void>; whole: () => ModelOutputs | undefined } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let handed!: () => void;
  const handedOver = new Promise<void>((r) => (handed = r));
  let last: ModelOutputs | undefined;
  const backend: InferenceBackend = {
    run: async (manifest, ids, bias, options = {}) => {
      const whole = await runModel(manifest, ids, bias);
      last = whole;
      const layer = options.firstLayer;
      if (layer !== undefined && options.onLayer) {
        const n = ids.length;
        const per = manifest.heads * n * n;
        const perVec = manifest.heads * n * manifest.headDim;
        const at = <T extends Float32Array>(a: T, size: number): Float32Array => a.subarray(layer * size, (layer + 1) * size);
        void options.onLayer({ layer, attentions: at(whole.attentions, per), queries: at(whole.queries, perVec), keys: at(whole.keys, perVec), values: at(whole.values, perVec), inferenceMs: 1 });
        handed();
        await gate;
      }
      return whole;
    },
    dispose: async () => undefined,
  };
  return { backend, open, handedOver, whole: () => last };
}

type Posted = Extract<HostToWebview, { type: 'headData' }>;
const heads = (posted: HostToWebview[], generation?: number): Posted[] =>
  posted.filter((m): m is Posted => m.type === 'headData' && (generation === undefined || m.generation === generation));

describe('progressive first paint', () => {
  it('posts the visible layer at once (visible head first), the rest once after the whole run, then analysisComplete', async () => {
    const posted: HostToWebview[] = [];
    const { backend, open, handedOver, whole } = gatedBackend();
    const session = new AnalysisSession({ registry: () => registry, inference: backend, post: (m) => posted.push(m), maxTokens: () => 4096, defaultModel: () => 'encoder' });
    session.view = { layer: 1, head: 5 };
    const done = session.analyzeSource(source('Each head of the visible layer arrives before the model has finished.'), 'single');
    await handedOver;
    await new Promise((r) => setTimeout(r, 50)); // let the layer's heads stream
    const start = posted.find((m) => m.type === 'analysisStart');
    expect(start).toBeDefined();
    const early = heads(posted);
    expect(early.map((h) => `${h.layer}.${h.head}`)).toEqual(['1.5', '1.0', '1.1', '1.2', '1.3', '1.4', '1.6', '1.7']);
    expect(posted.some((m) => m.type === 'analysisComplete')).toBe(false);

    // A head of another layer and vectors asked for now are answered once the whole result is here.
    const generation = early[0].generation;
    session.streamer.requestHeads({ type: 'requestHeads', generation, slot: 0, heads: [{ layer: 3, head: 2 }] });
    session.streamer.requestVectors({ type: 'requestVectors', generation, slot: 0, layer: 2, head: 4 });
    expect(heads(posted)).toHaveLength(8);
    expect(posted.some((m) => m.type === 'headVectors')).toBe(false);

    open();
    await done;
    const all = heads(posted);
    expect(all).toHaveLength(32);
    expect(new Set(all.map((h) => `${h.layer}.${h.head}`)).size).toBe(32);
    expect(`${all[8].layer}.${all[8].head}`).toBe('3.2'); // the requested head went first
    expect(posted.filter((m) => m.type === 'headVectors')).toHaveLength(1);
    expect(posted[posted.length - 1].type).toBe('analysisComplete');
    // Every payload is the model's own weights, encoded once.
    const out = whole() as ModelOutputs;
    const n = (start as Extract<HostToWebview, { type: 'analysisStart' }>).tokens.length;
    for (const h of all) {
      const offset = (h.layer * 8 + h.head) * n * n;
      const expected = encodeHead(out.attentions.subarray(offset, offset + n * n), n, 'full').data;
      expect(Buffer.from(h.data).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(true);
    }
  });

  it('a newer selection supersedes the older generation: none of its later heads is posted', async () => {
    const posted: HostToWebview[] = [];
    const first = gatedBackend();
    let backend = first.backend;
    const session = new AnalysisSession({
      registry: () => registry,
      inference: { run: (...a) => backend.run(...a), dispose: async () => undefined },
      post: (m) => posted.push(m),
      maxTokens: () => 4096,
      defaultModel: () => 'encoder',
    });
    session.view = { layer: 0, head: 0 };
    const older = session.analyzeSource(source('The older selection, shown layer by layer.'), 'single');
    await first.handedOver;
    await new Promise((r) => setTimeout(r, 50));
    const oldGeneration = heads(posted)[0].generation;
    const second = gatedBackend();
    backend = second.backend;
    const newer = session.analyzeSource(source('The newer selection replaces it.'), 'single');
    first.open(); // the older run ends after the newer request: its remaining heads must not be posted
    await second.handedOver;
    second.open();
    await Promise.all([older, newer]);
    expect(heads(posted, oldGeneration).every((h) => h.layer === 0)).toBe(true);
    expect(posted.some((m) => m.type === 'analysisComplete' && m.generation === oldGeneration)).toBe(false);
    const starts = posted.filter((m) => m.type === 'analysisStart');
    const newGeneration = starts[starts.length - 1].generation;
    expect(newGeneration).toBeGreaterThan(oldGeneration);
    expect(heads(posted, newGeneration)).toHaveLength(32);
    const lastOld = posted.map((m) => m.type === 'headData' && m.generation === oldGeneration).lastIndexOf(true);
    expect(lastOld).toBeLessThan(posted.indexOf(starts[starts.length - 1]));
  });

  it('waits for the webview to say it painted the visible head before the other heads go and the rest runs (bounded by paintWaitMs)', async () => {
    // A backend like the worker: part two starts only when onLayer's promise settles; the test records when.
    const partTwoAt: number[] = [];
    const backend: InferenceBackend = {
      run: async (manifest, ids, bias, options = {}) => {
        const whole = await runModel(manifest, ids, bias);
        const layer = options.firstLayer;
        if (layer !== undefined && options.onLayer) {
          const per = manifest.heads * ids.length * ids.length;
          const perVec = manifest.heads * ids.length * manifest.headDim;
          const at = (a: Float32Array, size: number): Float32Array => a.subarray(layer * size, (layer + 1) * size);
          await options.onLayer({ layer, attentions: at(whole.attentions, per), queries: at(whole.queries, perVec), keys: at(whole.keys, perVec), values: at(whole.values, perVec), inferenceMs: 1 });
          partTwoAt.push(performance.now());
        }
        return whole;
      },
      dispose: async () => undefined,
    };
    const posted: HostToWebview[] = [];
    const deps = { registry: () => registry, inference: backend, post: (m: HostToWebview) => posted.push(m), maxTokens: () => 4096, defaultModel: () => 'encoder' };

    // The webview answers: part two goes on at once, long before the wait's bound.
    const session = new AnalysisSession({ ...deps, paintWaitMs: 10_000 });
    session.view = { layer: 1, head: 0 };
    const t0 = performance.now();
    const done = session.analyzeSource(source('Painted first, then the other layers.'), 'single');
    await expect.poll(() => heads(posted).length).toBe(1);
    await new Promise((r) => setTimeout(r, 150));
    expect(partTwoAt, 'part two waits while the webview has not painted').toHaveLength(0);
    expect(heads(posted).map((h) => `${h.layer}.${h.head}`), 'only the visible head before the paint').toEqual(['1.0']);
    const paintedAt = performance.now();
    session.painted(0, heads(posted)[0].generation);
    await done;
    expect(partTwoAt).toHaveLength(1);
    expect(partTwoAt[0]).toBeGreaterThanOrEqual(paintedAt);
    expect(partTwoAt[0] - t0).toBeLessThan(5_000);
    expect(heads(posted)).toHaveLength(32);

    // No answer (a hidden webview): the rest runs after the bound.
    const quiet = new AnalysisSession({ ...deps, post: () => undefined, paintWaitMs: 200 });
    quiet.view = { layer: 1, head: 0 };
    const t1 = performance.now();
    await quiet.analyzeSource(source('Nobody paints this one.'), 'single');
    expect(partTwoAt).toHaveLength(2);
    expect(partTwoAt[1] - t1).toBeGreaterThanOrEqual(190);
  });
});
