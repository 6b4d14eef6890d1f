/**
 * An analysis's output arrays go back to the inference worker once the panel shows them no more, and later runs
 * write into them (src/panel/outputRecycler.ts, src/model/outputPool.ts). What must hold: the result on screen, and
 * one held by work in progress, keep their numbers; a result replaced on screen is given back (detached here);
 * and a run into given-back buffers — still holding an earlier text's numbers — gives exactly a fresh run's
 * outputs, for whole runs and for progressive (split) runs. Real model, real worker thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisSession, type TextSource } from '../../src/panel/analysisSession';
import { OutputRecycler } from '../../src/panel/outputRecycler';
import { emptyOutputPool, giveBackBuffers, MAX_POOLED_BYTES, outputArray, pooledOutputBytes } from '../../src/model/outputPool';
import { runModel } from '../../src/model/modelRunner';
import type { InferenceWorkerClient } from '../../src/model/workerClient';
import type { AnalysisResult } from '../../src/pipeline/analyze';
import type { HostToWebview } from '../../src/protocol/messages';
import { bundledRegistry } from '../helpers/bundled';
import { builtWorkerClient } from '../helpers/build';

const registry = bundledRegistry();
const source = (text: string): TextSource => ({ uri: 'file:///a.txt', version: 1, text, startOffset: 0, label: 'a.txt' });

let worker: InferenceWorkerClient;
beforeAll(() => {
  worker = builtWorkerClient();
});
afterAll(() => worker.dispose());

/** A session on the real worker, with what it posted and the timelines it traced (progressive runs name firstLayer). */
function workerSession(): { session: AnalysisSession; posted: HostToWebview[]; timelines: Record<string, unknown>[] } {
  const posted: HostToWebview[] = [];
  const timelines: Record<string, unknown>[] = [];
  const session = new AnalysisSession({
    registry: () => registry,
    inference: worker,
    post: (m) => posted.push(m),
    maxTokens: () => 4096,
    defaultModel: () => 'encoder',
    trace: (line) => {
      if (line.startsWith('analysis timeline ')) timelines.push(JSON.parse(line.slice('analysis timeline '.length)) as Record<string, unknown>);
    },
  });
  return { session, posted, timelines };
}

const shownResult = (session: AnalysisSession): AnalysisResult => {
  const r = session.streamer.currentResult(0);
  if (!r) throw new Error('nothing shown');
  return r;
};

/** The same text run in this thread into fresh memory: what every result must equal, bit for bit. */
async function expectFreshNumbers(r: AnalysisResult): Promise<void> {
  const fresh = await runModel(r.manifest, r.ids, r.bias);
  for (const k of ['attentions', 'queries', 'keys', 'values'] as const) {
    expect(r[k].length, k).toBe(fresh[k].length);
    expect(Buffer.from(r[k].buffer, r[k].byteOffset, r[k].byteLength).equals(Buffer.from(fresh[k].buffer, fresh[k].byteOffset, fresh[k].byteLength)), k).toBe(true);
  }
}

// The same words in other orders after the same first word: the same token count (the tokenizer splits before
// each space), other numbers, so
// each later run lands in the buffers an earlier one gave back, still full of that run's numbers.
const WORDS = 'rivers carry silt down to the sea every spring while clocks count hours and bakers knead dough'.split(' ');
const shuffled = (seed: number): string => {
  const w = [...WORDS];
  for (let i = w.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [w[i], w[j]] = [w[j], w[i]];
  }
  return w.join(' ');
};
const text = (seed: number): string => `The ${Array.from({ length: 8 }, (_, i) => shuffled(seed * 100 + i)).join(' ')}`;
const TEXT_A = text(1);
const TEXT_B = text(2);
const TEXT_C = text(3);

describe('output recycling (host ↔ worker)', () => {
  it('gives a replaced result back, keeps the shown and the held ones, and later runs into given-back buffers equal fresh runs', async () => {
    const { session } = workerSession();
    await session.analyzeSource(source(TEXT_A), 'single');
    const a = shownResult(session);
    await expectFreshNumbers(a);

    await session.analyzeSource(source(TEXT_B));
    const b = shownResult(session);
    // A is shown no more: its arrays went to the worker (moved, so empty here); B is intact.
    expect(a.attentions.length).toBe(0);
    expect(a.values.length).toBe(0);
    expect(b.n).toBe(a.n);
    await expectFreshNumbers(b);

    // Work in progress holds B (as the formula, predictions and the HTML export do across their awaits).
    const release = session.streamer.hold(b);
    await session.analyzeSource(source(TEXT_C));
    const c = shownResult(session);
    expect(b.attentions.length).toBeGreaterThan(0);
    await expectFreshNumbers(b); // untouched by C's run
    await expectFreshNumbers(c); // written into A's buffers
    release();
    expect(b.attentions.length).toBe(0); // given back when the hold ended
    expect(c.attentions.length).toBeGreaterThan(0);
  });

  it('progressive runs: the split into given-back buffers gives a whole run\'s numbers', async () => {
    const { session, timelines } = workerSession();
    session.view = { layer: 1, head: 2 };
    // The split sessions are made in the background after a whole run (slower on a loaded machine); run until three
    // runs have handed their layer over.
    const texts = [TEXT_A, TEXT_B, TEXT_C];
    let progressive = 0;
    for (let i = 0; i < 40; i++) {
      await session.analyzeSource(source(texts[i % 3]), i === 0 ? 'single' : undefined);
      const t = timelines[timelines.length - 1];
      if (t.firstLayer !== undefined) {
        progressive++;
        await expectFreshNumbers(shownResult(session));
        if (progressive === 3) break;
      } else {
        await new Promise((r) => setTimeout(r, 500)); // the split sessions are being made
      }
    }
    expect(progressive).toBe(3);
  }, 120_000);
});

describe('OutputRecycler', () => {
  it('gives back what it owns once retired and no longer held, once; never what it does not own', () => {
    const given: Float32Array[][] = [];
    const recycler = new OutputRecycler((arrays) => given.push([...arrays]));
    const owned = {};
    const arrays = [new Float32Array(4), new Float32Array(2)];
    recycler.own(owned, arrays);
    const stranger = {};
    recycler.retire(stranger);
    recycler.retire(undefined);
    expect(given).toEqual([]);

    const r1 = recycler.hold(owned);
    const r2 = recycler.hold(owned);
    recycler.retire(owned);
    expect(given).toEqual([]); // held twice
    r1();
    r1(); // a second call of the same release counts once
    expect(given).toEqual([]);
    r2();
    expect(given).toEqual([arrays]);
    recycler.retire(owned); // already given back
    expect(given).toHaveLength(1);
  });

  it('gives back at once what is retired while not held', () => {
    const given: Float32Array[][] = [];
    const recycler = new OutputRecycler((arrays) => given.push([...arrays]));
    const owner = {};
    const arrays = [new Float32Array(3)];
    recycler.own(owner, arrays);
    recycler.hold(owner)(); // held and released before retirement: nothing pending
    expect(given).toEqual([]);
    recycler.retire(owner);
    expect(given).toEqual([arrays]);
  });
});

describe('output pool', () => {
  it('hands a given-back buffer to an output of its size or up to a quarter smaller, never to a much smaller one', () => {
    emptyOutputPool();
    const big = new ArrayBuffer(4000);
    giveBackBuffers([big]);
    expect(pooledOutputBytes()).toBe(4000);
    const small = outputArray(100); // 400 bytes: far smaller, so fresh memory
    expect(small.buffer).not.toBe(big);
    const fits = outputArray(900); // 3,600 bytes of 4,000
    expect(fits.buffer).toBe(big);
    expect(fits.length).toBe(900);
    expect(fits.byteOffset).toBe(0);
    expect(pooledOutputBytes()).toBe(0);
    expect(outputArray(900).buffer).not.toBe(big); // taken once
  });

  it('skips detached and repeated buffers, and keeps at most its limit (the oldest go; the newest stays even alone past it)', () => {
    emptyOutputPool();
    const detached = new ArrayBuffer(64);
    structuredClone(detached, { transfer: [detached] });
    const b = new ArrayBuffer(1024);
    giveBackBuffers([detached, b, b]);
    expect(pooledOutputBytes()).toBe(1024);
    const huge = new ArrayBuffer(MAX_POOLED_BYTES);
    giveBackBuffers([huge]);
    expect(pooledOutputBytes()).toBe(MAX_POOLED_BYTES); // b went first
    expect(outputArray(256).buffer).not.toBe(b);
    const larger = new ArrayBuffer(MAX_POOLED_BYTES + 4096);
    giveBackBuffers([larger]);
    expect(pooledOutputBytes()).toBe(MAX_POOLED_BYTES + 4096); // the newest stays, alone
    emptyOutputPool();
  });
});
