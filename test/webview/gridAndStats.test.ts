/**
 * All-heads grid and head statistics, computed live in the page from the real model's weights.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TEXT, analyzeWithCli, launchBrowser, openPage, pickView, type CliJson } from './harness';

let browser: Browser;
let page: Page;
let json: CliJson;

beforeAll(async () => {
  const made = analyzeWithCli('grid-causal', SAMPLE_TEXT, ['--model', 'causal']);
  json = made.json;
  browser = await launchBrowser();
  page = (await openPage(browser, made.html)).page;
});

afterAll(async () => {
  await browser?.close();
});

/** Entropy as the page computes it: from the uint8-quantised weights it receives (byte/255). */
function entropyOf(head: number[][], causal: boolean): number {
  let total = 0;
  head.forEach((row, i) => {
    let h = 0;
    row.forEach((exact, j) => {
      if (causal && j > i) return;
      const w = Math.round(Math.min(1, Math.max(0, exact)) * 255) / 255;
      if (w > 0) h -= w * Math.log2(w);
    });
    total += h;
  });
  return total / head.length;
}

describe('all heads grid', () => {
  it('shows layers × heads thumbnails with statistics', async () => {
    await pickView(page, 'grid');
    await page.waitForFunction((count) => document.querySelectorAll('.head-card').length === count, json.layers * json.heads);
    const cards = await page.$$eval('.head-card', (cs) => cs.map((c) => ({ ...(c as HTMLElement).dataset, text: c.textContent ?? '' })));
    expect(cards.length).toBe(json.layers * json.heads);
    expect(cards[0].text).toMatch(/L1 H1/);
    expect(cards.every((c) => /H \d+\.\d\d · d \d/.test(c.text))).toBe(true);
  });

  it('click opens that head', async () => {
    const layer = json.layers - 1;
    const head = json.heads - 1;
    await page.click(`.head-card[data-layer="${layer}"][data-head="${head}"]`);
    await page.waitForSelector('.pane[data-view="text"]');
    const values = await page.evaluate(() => ({
      layer: (document.getElementById('ctl-layer') as HTMLElement & { value: string }).value,
      head: (document.getElementById('ctl-head') as HTMLElement & { value: string }).value,
    }));
    expect(values).toEqual({ layer: String(layer), head: String(head) });
    await page.hover('.text-view [data-token-index="8"]');
    const w = await page.$eval('.text-view [data-token-index="2"]', (e) => Number((e as HTMLElement).dataset.weight));
    expect(Math.abs(w - json.attention[layer][head][8][2])).toBeLessThanOrEqual(0.0026);
  });
});

describe('head statistics', () => {
  it('entropy per head matches the JSON weights; sorting by entropy orders the table', async () => {
    await pickView(page, 'stats');
    const rows = await page.$$eval('.stats-table tbody tr', (trs) =>
      trs.map((tr) => ({ layer: Number((tr as HTMLElement).dataset.layer), head: Number((tr as HTMLElement).dataset.head), cells: [...(tr as HTMLTableRowElement).cells].map((c) => c.textContent ?? '') })),
    );
    expect(rows.length).toBe(json.layers * json.heads);
    for (const r of rows) {
      const expected = entropyOf(json.attention[r.layer][r.head], true);
      // Shown with 2 decimals.
      expect(Math.abs(Number(r.cells[2]) - expected), `L${r.layer} H${r.head}`).toBeLessThanOrEqual(0.0051);
    }
    await page.click('.stats-table th:nth-child(3) .sort-button');
    const sorted = await page.$$eval('.stats-table tbody tr td:nth-child(3)', (tds) => tds.map((td) => Number(td.textContent)));
    for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]).toBeGreaterThanOrEqual(sorted[i]);
    const labels = await page.$$eval('.stats-table tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(labels.every((l) => l.length > 0 && l !== '…')).toBe(true);
  });
});
