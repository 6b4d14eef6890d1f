/**
 * Predictions and generation in the panel, in Chromium, with the real host code answering: the page is the panel
 * as VS Code loads it (fake acquireVsCodeApi), and every message it posts goes through the host's own handler
 * table (webviewHandlers over an AnalysisSession running the real models in process). A student hovers a token and
 * reads the top-5 (equal to the test's own softmax of the model's logits, at T = 1 and after moving the
 * temperature), masks a word in the encoder (equal to the test's own run with <mask> there), continues the text by
 * ten tokens (marked as generated, the same tokens as the core generator with that seed), and stops a longer
 * continuation with Escape (no token after the stop).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAttentionBias } from '../../src/attention/mask';
import { toModelInfo } from '../../src/model/modelManifest';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { runModel } from '../../src/model/modelRunner';
import { AnalysisSession } from '../../src/panel/analysisSession';
import { webviewHandlers } from '../../src/panel/webviewMessages';
import { generate } from '../../src/predict/generate';
import { predictionContext } from '../../src/predict/predictions';
import { dispatch, isWebviewToHost, PROTOCOL_VERSION, type HostToWebview } from '../../src/protocol/messages';
import { serializeMessages } from '../../src/protocol/serialize';
import { openFakeVsCodePanel, writePanelPage } from '../helpers/panelPage';
import { ARTIFACTS, CACHE, MODELS_DIR, analyzeWithCli, ensureBuilt, launchBrowser, openPage } from './harness';

const TEXT = 'The old man walked slowly to the river and sat down on the bank.';
const registry = new ModelRegistry([MODELS_DIR]);
let browser: Browser;
let pageFile: string;


/** The panel page wired to a real host session: `pump` carries messages both ways. */
async function openPanel(defaultModel: string): Promise<{ page: Page; pump: (ms?: number) => Promise<void>; session: AnalysisSession; errors: string[] }> {
  const outbox: HostToWebview[] = [];
  const session = new AnalysisSession({ registry: () => registry, post: (m) => outbox.push(m), maxTokens: () => 4096, defaultModel: () => defaultModel });
  const { models } = await registry.list();
  const table = webviewHandlers(session, {
    ready: async () => {
      outbox.unshift({ type: 'init', protocolVersion: PROTOCOL_VERSION, models: models.map(toModelInfo), host: 'vscode', strings: {} });
    },
    showFocus: () => undefined,
    export: async () => undefined,
    log: () => undefined,
  });
  const { page, errors } = await openFakeVsCodePanel(browser, pageFile);
  let read = 0;
  const pump = async (ms = 30): Promise<void> => {
    const posted = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
    for (const m of posted.slice(read)) {
      // Long handlers (a continuation) run on while the pump keeps carrying their messages.
      if (isWebviewToHost(m)) void Promise.resolve(dispatch(table, m)).catch((e: unknown) => errors.push(String(e)));
    }
    read = posted.length;
    await new Promise((r) => setTimeout(r, ms));
    if (outbox.length) {
      const batch = outbox.splice(0);
      await page.evaluate((json) => (window as unknown as { __host(j: string): void }).__host(json), serializeMessages(batch));
    }
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  };
  await pump();
  await pump();
  await session.analyzeSource({ uri: 'file:///river.txt', version: 1, text: TEXT, startOffset: 0, label: 'river.txt' });
  await pump();
  return { page, pump, session, errors };
}

async function until(pump: () => Promise<void>, check: () => Promise<boolean>, what: string, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await pump();
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The test's own softmax of one logits row (float64). */
function softmaxRow(logits: Float32Array, position: number, vocab: number, temperature: number): number[] {
  const row = Array.from(logits.subarray(position * vocab, (position + 1) * vocab), (x) => x / temperature);
  const max = Math.max(...row);
  const e = row.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}
const top5 = (p: number[]): number[] => p.map((v, id) => ({ v, id })).sort((a, b) => b.v - a.v || a.id - b.id).slice(0, 5).map((x) => x.id);

async function shownList(page: Page): Promise<Array<{ id: number; p: number; text: string }>> {
  return page.$$eval('.pred-item', (items) =>
    items.map((li) => ({ id: Number((li as HTMLElement).dataset.tokenId), p: Number((li as HTMLElement).dataset.p), text: li.querySelector('.pred-text')?.textContent ?? '' })),
  );
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(CACHE, { recursive: true });
  pageFile = path.join(CACHE, 'predictions-panel.html');
  writePanelPage(pageFile, 'prednonce123');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('predictions and generation in the panel (real host code, real models)', () => {
  it('causal: hovering a token shows its top-5 next tokens = softmax of the logits, at T = 1 and T = 0.5', async () => {
    const { page, pump, errors } = await openPanel('causal');
    const manifest = await registry.get('causal');
    const tokenizer = await registry.tokenizer(manifest);
    const ids = tokenizer.encode(TEXT).map((t) => t.id);
    const { logits } = await runModel(manifest, ids, buildAttentionBias(ids.length, 'causal'), { logits: true });
    const vocab = manifest.vocabSize as number;
    const token = 3;
    await page.hover(`.pane[data-slot="0"] .token[data-token-index="${token}"]`);
    await until(pump, async () => (await page.locator('.pred-item').count()) === 5, 'the top-5 list');
    let shown = await shownList(page);
    let ref = softmaxRow(logits as Float32Array, token, vocab, 1);
    expect(shown.map((s) => s.id)).toEqual(top5(ref));
    shown.forEach((s) => expect(s.p).toBeCloseTo(ref[s.id], 9));
    expect(shown[0].text.length).toBeGreaterThan(0);
    const heading = await page.locator('.pred-block .pred-heading').textContent();
    expect(heading).toContain('Next token after');
    const actual = await page.locator('.pred-actual').textContent();
    expect(actual).toContain(`${(ref[ids[token + 1]] * 100).toFixed(1)}%`);
    // The temperature changes the probabilities shown.
    await page.$eval('.pred-range', (el) => {
      (el as HTMLInputElement).value = '0.5';
      el.dispatchEvent(new Event('change'));
    });
    ref = softmaxRow(logits as Float32Array, token, vocab, 0.5);
    await until(pump, async () => {
      const s = await shownList(page);
      return s.length === 5 && Math.abs(s[0].p - ref[s[0].id]) < 1e-9;
    }, 'the list at T = 0.5');
    shown = await shownList(page);
    expect(shown.map((s) => s.id)).toEqual(top5(ref));
    expect(await page.locator('.pred-temperature .pred-note').textContent()).toMatch(/divides the logits/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('encoder: M masks the focused word and shows its top-5 fillers = a run with <mask> there', async () => {
    const { page, pump, errors } = await openPanel('encoder');
    const manifest = await registry.get('encoder');
    const tokenizer = await registry.tokenizer(manifest);
    const ids = tokenizer.encode(TEXT).map((t) => t.id);
    const token = 2; // " man"
    await page.hover(`.pane[data-slot="0"] .token[data-token-index="${token}"]`);
    // The hover focuses the token on the next frame (pointer moves are drawn once per frame): the mask button follows.
    await until(pump, async () => !(await page.locator('.pred-mask').isDisabled()), 'the mask button enabled by the focused token');
    await page.keyboard.press('m');
    await until(pump, async () => (await page.locator('.pred-item').count()) === 5, 'the fillers');
    const masked = ids.slice();
    masked[token] = 8191;
    const { logits } = await runModel(manifest, masked, buildAttentionBias(masked.length, 'full'), { logits: true });
    const ref = softmaxRow(logits as Float32Array, token, manifest.vocabSize as number, 1);
    const shown = await shownList(page);
    expect(shown.map((s) => s.id)).toEqual(top5(ref));
    shown.forEach((s) => expect(s.p).toBeCloseTo(ref[s.id], 9));
    expect(await page.locator('.pred-block .pred-heading').textContent()).toContain('were masked');
    expect(await page.locator('.pred-actual').textContent()).toContain('man');

    // How masking changed the visible head's attention from and to the token: before = the test's own run of the
    // text, after = its own run with <mask> there (rounded to 1e-6 in the message).
    await until(pump, async () => (await page.locator('.pred-change-item').count()) === 10, 'the attention change');
    const heading = (await page.locator('.pred-change-heading').textContent()) ?? '';
    const [, layer, head] = /layer (\d+), head (\d+)/.exec(heading)?.map(Number) ?? [];
    expect(layer).toBeGreaterThanOrEqual(0);
    expect(await page.locator('.pred-change .pred-note').textContent()).toMatch(/replaced by <mask>/);
    const original = await runModel(manifest, ids, buildAttentionBias(ids.length, 'full'));
    const { attentions: maskedAttention } = await runModel(manifest, masked, buildAttentionBias(masked.length, 'full'));
    const n = ids.length;
    const at = (a: Float32Array, q: number, k: number): number => a[((layer * manifest.heads + head) * n + q) * n + k];
    const items = await page.$$eval('.pred-change-list', (lists) =>
      lists.flatMap((list) =>
        [...list.querySelectorAll('.pred-change-item')].map((li) => ({
          direction: (list as HTMLElement).dataset.direction as string,
          i: Number((li as HTMLElement).dataset.tokenIndex),
          before: Number((li as HTMLElement).dataset.before),
          after: Number((li as HTMLElement).dataset.after),
        })),
      ),
    );
    for (const direction of ['from', 'to']) {
      const cell = (a: Float32Array, i: number): number => (direction === 'from' ? at(a, token, i) : at(a, i, token));
      const list = items.filter((x) => x.direction === direction);
      expect(list).toHaveLength(5);
      for (const x of list) {
        expect(Math.abs(x.before - cell(original.attentions, x.i))).toBeLessThan(1e-4);
        expect(Math.abs(x.after - cell(maskedAttention, x.i))).toBeLessThan(1e-4);
      }
      // The list is the tokens whose weight changed most.
      const changes = Array.from({ length: n }, (_, i) => Math.abs(cell(maskedAttention, i) - cell(original.attentions, i))).sort((a, b) => b - a);
      expect(Math.abs(list[0].after - list[0].before)).toBeCloseTo(changes[0], 4);
      expect(Math.abs(list[4].after - list[4].before)).toBeCloseTo(changes[4], 4);
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('continues the text by ten tokens, marked as generated, the same tokens as the generator with that seed; Escape stops a longer one', async () => {
    const { page, pump, errors } = await openPanel('causal');
    await page.click('.gen-start');
    await until(pump, async () => (await page.locator('.gen-status[data-state="done"]').count()) === 1, 'the continuation');
    expect(await page.locator('.pane[data-slot="0"] .token-generated').count()).toBe(10);
    const manifest = await registry.get('causal');
    const tokenizer = await registry.tokenizer(manifest);
    const expected = await generate(await predictionContext(manifest, tokenizer), tokenizer.encode(TEXT).map((t) => t.id), { tokens: 10, temperature: 1, topK: 0, seed: 0 });
    const shownText = await page.$$eval('.pane[data-slot="0"] .token-generated', (s) => s.map((x) => x.textContent).join(''));
    expect(shownText).toBe(expected.text);
    expect(await page.locator('.gen-insert').isDisabled()).toBe(false);
    await page.hover(`.pane[data-slot="0"] .token-generated >> nth=4`);
    await until(pump, async () => (await page.locator('.pred-item').count()) === 5, 'predictions for a generated token');
    await page.screenshot({ path: path.join(ARTIFACTS, 'light-predictions.png') });

    // A longer one, stopped with Escape after its first tokens: nothing arrives after the stop.
    await page.$eval('.gen-tokens', (el) => {
      (el as HTMLInputElement).value = '40';
      el.dispatchEvent(new Event('change'));
    });
    await page.click('.gen-start');
    await until(pump, async () => (await page.locator('.pane[data-slot="0"] .token-generated').count()) >= 2 && (await page.locator('.gen-status[data-state="running"]').count()) === 1, 'the first tokens');
    await page.keyboard.press('Escape');
    await until(pump, async () => (await page.locator('.gen-status[data-state="cancelled"]').count()) === 1, 'the stop');
    const afterStop = await page.locator('.pane[data-slot="0"] .token-generated').count();
    for (let i = 0; i < 10; i++) await pump(50);
    expect(await page.locator('.pane[data-slot="0"] .token-generated').count()).toBe(afterStop);
    expect(afterStop).toBeLessThan(40);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the standalone page of a short causal text shows a token\'s recorded top-5 = the CLI\'s --predictions 5; temperature and generation stay disabled', async () => {
    const made = analyzeWithCli('predictions-recorded', TEXT, ['--model', 'causal', '--predictions', '5']);
    const cli = (made.json as unknown as { predictions: Array<Array<{ id: number; text: string; p: number }>> }).predictions;
    const { page, errors } = await openPage(browser, made.html);
    await page.locator('.pred-temperature').waitFor();
    for (const token of [3, 7]) {
      await page.hover(`.pane[data-slot="0"] .token[data-token-index="${token}"]`);
      await page.waitForFunction((t) => document.querySelector('.pred-heading')?.textContent?.includes('Next token after') && document.querySelectorAll('.pred-item').length === 5 && (document.querySelector('.pred-item') as HTMLElement).dataset.tokenId === String(t), cli[token][0].id);
      const shown = await shownList(page);
      expect(shown.map((s) => s.id)).toEqual(cli[token].map((c) => c.id));
      shown.forEach((s, i) => expect(s.p).toBeCloseTo(cli[token][i].p, 12));
      expect(shown.map((s) => s.text)).toEqual(cli[token].map((c) => c.text.replace(/ /g, '␣').replace(/\n/g, '⏎').replace(/\t/g, '⇥')));
    }
    expect(await page.locator('.pred-standalone').textContent()).toBe(
      'This page recorded each token’s five likeliest predictions at temperature 1 when it was made; it has no model to run, so temperature and generation need the panel in VS Code.',
    );
    expect(await page.locator('.pred-range').isDisabled()).toBe(true);
    expect(await page.locator('.gen-start').isDisabled()).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the standalone page of a longer text has no predictions: the controls are there, disabled, with the sentence why', async () => {
    const long = Array.from({ length: 6 }, () => TEXT).join(' ');
    const made = analyzeWithCli('predictions-standalone', long, ['--model', 'causal']);
    expect(made.json.tokens.length).toBeGreaterThan(64);
    const { page, errors } = await openPage(browser, made.html);
    await page.locator('.pred-temperature').waitFor();
    expect(await page.locator('.pred-standalone').textContent()).toBe('This page has no model to run: predictions and generation need the panel in VS Code.');
    expect(await page.locator('.pred-range').isDisabled()).toBe(true);
    expect(await page.locator('.gen-start').isDisabled()).toBe(true);
    await page.hover('.pane[data-slot="0"] .token[data-token-index="2"]');
    await page.waitForTimeout(200);
    expect(await page.locator('.pred-item').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
