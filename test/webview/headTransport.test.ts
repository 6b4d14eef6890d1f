/**
 * Heads compressed for the trip (HeadEncoding 'deflate-raw', set by the panel): the host's compressed bytes
 * inflate to exactly the bytes it would have sent as they are; the panel page (real Chromium, the built
 * webview under its CSP, a fake acquireVsCodeApi) shows the same weights from either stream, keeps the host's
 * order behind a head that is still inflating, and reports a payload that does not inflate without stopping.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisSession, type TextSource } from '../../src/panel/analysisSession';
import type { HeadEncoding, HostToWebview } from '../../src/protocol/messages';
import { openFakeVsCodePanel, postedByPage, postFromHost, writePanelPage } from '../helpers/panelPage';
import { bundledRegistry } from '../helpers/bundled';
import { CACHE, REPO_ROOT, ensureBuilt, launchBrowser } from './harness';
import { InboundQueue } from '../../webview/inboundQueue';

type HeadData = Extract<HostToWebview, { type: 'headData' }>;

const registry = bundledRegistry();
// Long enough that a head is past the streamer's 16 KiB threshold (≈ 200 tokens, dense: 40 KB).
const TEXT = readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'sample-workspace', 'prose.md'), 'utf8').slice(0, 900);

async function streamOf(headEncoding?: HeadEncoding): Promise<HostToWebview[]> {
  const posted: HostToWebview[] = [];
  const s = new AnalysisSession({ registry: () => registry, post: (m) => posted.push(m), maxTokens: () => 4096, defaultModel: () => 'encoder', headEncoding });
  const source: TextSource = { uri: 'file:///prose.md', version: 1, text: TEXT, startOffset: 0, label: 'prose.md' };
  await s.analyzeSource(source);
  return posted;
}

const heads = (stream: HostToWebview[]): HeadData[] => stream.filter((m): m is HeadData => m.type === 'headData');

let raw: HostToWebview[];
let packed: HostToWebview[];
let browser: Browser;
let pageFile: string;

beforeAll(async () => {
  ensureBuilt();
  raw = await streamOf();
  packed = await streamOf('deflate-raw');
  mkdirSync(CACHE, { recursive: true });
  pageFile = path.join(CACHE, 'head-transport-panel.html');
  writePanelPage(pageFile, 'transportnonce1');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const init = (): HostToWebview => ({ type: 'init', protocolVersion: 1, models: [], host: 'vscode', strings: {} });

/** What the text view says about every token (its aria-label carries the weight shown), once all are labelled. */
async function labels(page: Page, n: number): Promise<string[]> {
  await page.waitForFunction((count) => {
    const t = document.querySelectorAll('.text-view .token');
    return t.length === count && t[count - 1].hasAttribute('aria-label');
  }, n);
  return page.$$eval('.text-view .token', (els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
}

describe('heads compressed for the trip to the webview', () => {
  it('inflate to the very bytes the uncompressed stream carries; small heads stay as they are', async () => {
    const a = heads(raw);
    const b = heads(packed);
    expect(b.length).toBe(a.length);
    const n = (raw.find((m) => m.type === 'analysisStart') as Extract<HostToWebview, { type: 'analysisStart' }>).tokens.length;
    expect(n * n).toBeGreaterThanOrEqual(16 * 1024);
    let compressedBytes = 0;
    let rawBytes = 0;
    for (const h of b) {
      const twin = a.find((x) => x.layer === h.layer && x.head === h.head) as HeadData;
      expect(h.encoding).toBe('deflate-raw');
      expect(h.layout).toBe(twin.layout);
      expect(Buffer.compare(inflateRawSync(Buffer.from(h.data)), Buffer.from(twin.data))).toBe(0);
      compressedBytes += h.data.byteLength;
      rawBytes += twin.data.byteLength;
    }
    expect(compressedBytes).toBeLessThan(rawBytes / 2);
    expect(a.every((h) => h.encoding === undefined)).toBe(true);

    // A short selection: heads under the threshold go as laid out even when the panel asks for compression.
    const posted: HostToWebview[] = [];
    const s = new AnalysisSession({ registry: () => registry, post: (m) => posted.push(m), maxTokens: () => 4096, defaultModel: () => 'encoder', headEncoding: 'deflate-raw' });
    await s.analyzeSource({ uri: 'file:///a.txt', version: 1, text: 'A short line.', startOffset: 0, label: 'a.txt' });
    expect(heads(posted).length).toBeGreaterThan(0);
    expect(heads(posted).every((h) => h.encoding === undefined)).toBe(true);
  });

  it('the panel shows the same weights from the compressed stream, in the host order, with nothing asked again', async () => {
    const n = (raw.find((m) => m.type === 'analysisStart') as Extract<HostToWebview, { type: 'analysisStart' }>).tokens.length;
    const shown: string[][] = [];
    for (const stream of [raw, packed]) {
      const { page, errors } = await openFakeVsCodePanel(browser, pageFile);
      // One batch: every compressed head is still inflating when analysisComplete arrives behind them.
      await postFromHost(page, [init(), ...stream]);
      shown.push(await labels(page, n));
      const out = await postedByPage(page);
      expect(out.filter((m) => m.type === 'log' && m.level === 'error')).toEqual([]);
      expect(out.filter((m) => m.type === 'requestHeads')).toEqual([]);
      expect(errors).toEqual([]);
      await page.context().close();
    }
    expect(shown[1]).toEqual(shown[0]);
    expect(new Set(shown[0]).size).toBeGreaterThan(1);
  });

  it('the inbound queue delivers in arrival order: nothing overtakes a head still inflating; at once when idle', async () => {
    const got: HostToWebview[] = [];
    const bad: string[] = [];
    const q = new InboundQueue((m) => got.push(m), (m, e) => bad.push(`${m.layer}.${m.head} ${e.message}`));
    const big = new Uint8Array(400_000).map((_, i) => (i * 7919) % 251);
    const small = new Uint8Array([9, 8, 7]);
    const pack = (bytes: Uint8Array, head: number): HeadData => {
      const d = deflateRawSync(bytes, { level: 1 });
      return { type: 'headData', generation: 3, slot: 0, layer: 0, head, layout: 'dense', data: d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength) as ArrayBuffer, encoding: 'deflate-raw' };
    };
    const complete: HostToWebview = { type: 'analysisComplete', generation: 3, slot: 0 };
    q.push(complete);
    expect(got).toEqual([complete]); // nothing waiting: delivered in the same task
    got.length = 0;
    q.push(pack(big, 0)); // slow to inflate
    q.push(complete); // must wait behind it
    q.push(pack(small, 1)); // inflates first, delivered after
    expect(got).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    expect(got.map((m) => (m.type === 'headData' ? `head ${m.head}` : m.type))).toEqual(['head 0', 'analysisComplete', 'head 1']);
    const [h0, , h1] = got as HeadData[];
    expect(h0.encoding).toBeUndefined();
    expect(Buffer.compare(Buffer.from(h0.data), Buffer.from(big))).toBe(0);
    expect([...new Uint8Array(h1.data)]).toEqual([9, 8, 7]);
    expect(bad).toEqual([]);
    got.length = 0;
    q.push(complete);
    expect(got).toEqual([complete]); // idle again
  });

  it('reports a payload that does not inflate, and goes on with the messages behind it', async () => {
    const { page } = await openFakeVsCodePanel(browser, pageFile);
    const start = packed.find((m) => m.type === 'analysisStart') as Extract<HostToWebview, { type: 'analysisStart' }>;
    const first = heads(packed)[0];
    const broken: HeadData = { ...first, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer };
    await postFromHost(page, [init(), start, broken, first]);
    const n = start.tokens.length;
    await labels(page, n);
    await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'log'));
    const logs = (await postedByPage(page)).filter((m) => m.type === 'log');
    expect(logs).toHaveLength(1);
    expect(String(logs[0].message)).toMatch(new RegExp(`headData ${first.layer}\\.${first.head}: the compressed bytes could not be inflated`));
    await page.context().close();
  });
});
