import { describe, expect, it } from 'vitest';
import { AnalysisStreamer } from '../../src/panel/analysisStreamer';
import { analyzeText, headWeights } from '../../src/pipeline/analyze';
import { inflateRawSync } from 'node:zlib';
import { decodeHead, dequantizeWeight, encodeHead, type HostToWebview } from '../../src/protocol/messages';
import { bundledRegistry } from '../helpers/bundled';

const registry = bundledRegistry();

describe('analysis streamer', () => {
  it('sends tokens, then the visible head first, then every other head exactly once', async () => {
    const r = await analyzeText(registry, 'The cat sat on the mat.', { modelId: 'causal' });
    const posted: HostToWebview[] = [];
    const s = new AnalysisStreamer((m) => posted.push(m));
    const g = s.begin(0);
    await s.show(0, g, r, { documentOffset: 10, sourceLabel: 'a.txt', firstHead: { layer: 2, head: 3 } });
    expect(posted[0].type).toBe('analysisStart');
    const heads = posted.filter((m) => m.type === 'headData');
    expect(heads[0]).toMatchObject({ layer: 2, head: 3 });
    const keys = heads.map((m) => (m.type === 'headData' ? `${m.layer}/${m.head}` : ''));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(r.model.layers * r.model.heads);
    expect(posted.at(-1)?.type).toBe('analysisComplete');
    // A causal head crosses as its lower triangle (n(n+1)/2 bytes); decoded, the bytes are the weights to within
    // 1/510, and the entries left out are the exact zeros above the diagonal.
    const m = heads[0] as Extract<HostToWebview, { type: 'headData' }>;
    expect(m.layout).toBe('lowerTriangle');
    expect(m.data.byteLength).toBe((r.n * (r.n + 1)) / 2);
    const bytes = decodeHead(m.data, r.n, m.layout) as Uint8Array;
    const w = headWeights(r, 2, 3);
    for (let i = 0; i < w.length; i++) expect(Math.abs(dequantizeWeight(bytes[i]) - w[i])).toBeLessThanOrEqual(1 / 510 + 1e-6);
    // Asking again for a head already sent sends nothing.
    const before = posted.length;
    s.requestHeads({ type: 'requestHeads', generation: g, slot: 0, heads: [{ layer: 2, head: 3 }] });
    expect(posted.length).toBe(before);
  });

  it('with paintWaitMs, holds the other heads until the webview painted the first; a picked head still goes at once', async () => {
    const r = await analyzeText(registry, 'The cat sat on the mat.', { modelId: 'encoder' });
    const posted: HostToWebview[] = [];
    const s = new AnalysisStreamer((m) => posted.push(m), { paintWaitMs: 10_000 });
    const g = s.begin(0);
    const shown = s.show(0, g, r, { documentOffset: 0, sourceLabel: 'a.txt', firstHead: { layer: 1, head: 2 } });
    await new Promise((res) => setTimeout(res, 100));
    const heads = (): string[] => posted.flatMap((m) => (m.type === 'headData' ? [`${m.layer}/${m.head}`] : []));
    expect(posted[0].type).toBe('analysisStart');
    expect(heads()).toEqual(['1/2']);
    s.requestHeads({ type: 'requestHeads', generation: g, slot: 0, heads: [{ layer: 3, head: 0 }] });
    expect(heads()).toEqual(['1/2', '3/0']);
    s.painted(0, g + 1); // another generation's paint changes nothing
    await new Promise((res) => setTimeout(res, 50));
    expect(heads()).toHaveLength(2);
    s.painted(0, g);
    await shown;
    expect(new Set(heads()).size).toBe(r.model.layers * r.model.heads);
    expect(posted.at(-1)?.type).toBe('analysisComplete');

    // Nobody paints: the rest follows after the bound.
    const quiet = new AnalysisStreamer(() => undefined, { paintWaitMs: 150 });
    const t0 = performance.now();
    await quiet.show(0, quiet.begin(0), r, { documentOffset: 0, sourceLabel: 'a.txt' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('compressed heads: the visible one is posted before show() returns, the rest after, every one inflating to its bytes', async () => {
    // Long enough that a head is over the 16 KiB below which heads go uncompressed.
    const text = 'The quick brown fox jumps over the lazy dog, and the dog sleeps on in the warm sun. '.repeat(9);
    const r = await analyzeText(registry, text, { modelId: 'encoder' });
    expect(r.n * r.n).toBeGreaterThan(16 * 1024);
    const posted: HostToWebview[] = [];
    const s = new AnalysisStreamer((m) => posted.push(m), { headEncoding: 'deflate-raw' });
    const g = s.begin(0);
    const shown = s.show(0, g, r, { documentOffset: 0, sourceLabel: 'a.txt', firstHead: { layer: 1, head: 5 } });
    // Synchronously: the person waits for this head, so it does not wait for a thread-pool round trip.
    expect(posted.map((m) => m.type)).toEqual(['analysisStart', 'headData']);
    expect(posted[1]).toMatchObject({ layer: 1, head: 5, encoding: 'deflate-raw' });
    await s.firstHeadSent(0, g);
    await shown;
    const heads = posted.filter((m): m is Extract<HostToWebview, { type: 'headData' }> => m.type === 'headData');
    expect(heads).toHaveLength(r.model.layers * r.model.heads);
    for (const m of heads) {
      expect(m.encoding).toBe('deflate-raw');
      const expected = encodeHead(headWeights(r, m.layer, m.head), r.n, r.mask).data;
      expect(Buffer.compare(inflateRawSync(new Uint8Array(m.data)), Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(0);
    }
    expect(s.firstHeadSent(0, g + 1)).toBeUndefined(); // not a generation of this slot
  });

  it('never posts anything of a generation once a newer one began', async () => {
    const r = await analyzeText(registry, 'Stale results must never be shown.', { modelId: 'encoder' });
    const posted: HostToWebview[] = [];
    const s = new AnalysisStreamer((m) => posted.push(m));
    const g1 = s.begin(0);
    const showing = s.show(0, g1, r, { documentOffset: 0, sourceLabel: 'x' });
    const g2 = s.begin(0); // the person selected something else while g1 was streaming
    await showing;
    const afterG1 = posted.filter((m) => 'generation' in m && m.generation === g1);
    // analysisStart and the first head go out synchronously; nothing after the new generation began.
    expect(afterG1.length).toBeLessThanOrEqual(2);
    expect(posted.some((m) => m.type === 'analysisComplete')).toBe(false);
    s.requestVectors({ type: 'requestVectors', generation: g1, slot: 0, layer: 0, head: 0 });
    expect(posted.filter((m) => m.type === 'headVectors')).toHaveLength(0);
    expect(g2).toBeGreaterThan(g1);
  });

  it('answers a request for exact vectors of the current generation', async () => {
    const r = await analyzeText(registry, 'Exact numbers for the computation view.', { modelId: 'causal' });
    const posted: HostToWebview[] = [];
    const s = new AnalysisStreamer((m) => posted.push(m));
    const g = s.begin(0);
    await s.show(0, g, r, { documentOffset: 0, sourceLabel: 'x' });
    s.requestVectors({ type: 'requestVectors', generation: g, slot: 0, layer: 1, head: 0 });
    const v = posted.find((m) => m.type === 'headVectors') as Extract<HostToWebview, { type: 'headVectors' }>;
    expect(new Float32Array(v.queries).length).toBe(r.n * r.model.headDim);
    expect(Array.from(new Float32Array(v.attention))).toEqual(Array.from(headWeights(r, 1, 0)));
  });
});

describe('analysis errors', () => {
  it('a refused input reaches the webview as a message without a stack; a new generation hides old errors', async () => {
    const { AnalysisSession } = await import('../../src/panel/analysisSession');
    const posted: HostToWebview[] = [];
    const session = new AnalysisSession({ registry: () => registry, post: (m) => posted.push(m), maxTokens: () => 10, defaultModel: () => 'encoder' });
    await session.analyzeSource({ uri: 'u', version: 1, text: 'word '.repeat(100), startOffset: 0, label: 'l' });
    const err = posted.find((m) => m.type === 'analysisError') as Extract<HostToWebview, { type: 'analysisError' }>;
    expect(err.message).toMatch(/more than 10 tokens/);
    expect(err.detail).toBeUndefined();
    await session.analyzeSource({ uri: 'u', version: 1, text: '', startOffset: 0, label: 'l' });
    const empty = posted.filter((m) => m.type === 'analysisError').at(-1) as Extract<HostToWebview, { type: 'analysisError' }>;
    expect(empty.message).toMatch(/empty/);
    expect(empty.generation).toBeGreaterThan(err.generation);
  });
});

describe('compare mode', () => {
  it('analyses both slots, and leaving compare mode tells the webview to close the right slot', async () => {
    const { AnalysisSession } = await import('../../src/panel/analysisSession');
    const posted: HostToWebview[] = [];
    const session = new AnalysisSession({ registry: () => registry, post: (m) => posted.push(m), maxTokens: () => 4096, defaultModel: () => 'encoder' });
    const source = { uri: 'u', version: 1, text: 'Compare the two masks.', startOffset: 0, label: 'l' };
    await session.analyzeSource(source, { left: { modelId: 'encoder', mask: 'default' }, right: { modelId: 'causal', mask: 'default' } });
    const starts = posted.filter((m) => m.type === 'analysisStart') as Extract<HostToWebview, { type: 'analysisStart' }>[];
    expect(starts.map((s) => [s.slot, s.model.id, s.mask])).toEqual([
      [0, 'encoder', 'full'],
      [1, 'causal', 'causal'],
    ]);
    await session.analyzeSource(source, 'single');
    expect(posted.filter((m) => m.type === 'slotClosed')).toEqual([{ type: 'slotClosed', slot: 1 }]);
  });
});
