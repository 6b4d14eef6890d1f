/**
 * The panel opens on the model's default head (model.json default_head, carried in ModelInfo), with one line that
 * says why, instead of layer 1, head 1 (near-uniform in the bundled encoder); picking another head removes the line.
 */
import type { Browser } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE, DIST, MODELS_DIR, SAMPLE_TEXT, analyzeWithCli, ensureBuilt, launchBrowser, openPage, setDropdown } from './harness';

const QUANT_TOL = 1 / 510 + 0.0005 + 1e-6;
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** The value of a toolkit control, as page script (plain JavaScript). */
const value = (id: string): string => `document.getElementById('${id}').value`;

describe('default head', () => {
  for (const model of ['encoder', 'causal']) {
    it(`${model}: opens on the head model.json names, says why, and forgets it once another head is picked`, async () => {
      const d = JSON.parse(readFileSync(path.join(MODELS_DIR, model, 'model.json'), 'utf8')).default_head as { layer: number; head: number; reason: string };
      const { html, json } = analyzeWithCli(`default-head-${model}`, SAMPLE_TEXT, ['--model', model]);
      const { page, errors } = await openPage(browser, html);
      expect(await page.evaluate(`[${value('ctl-layer')}, ${value('ctl-head')}]`)).toEqual([String(d.layer), String(d.head)]);
      const note = page.locator('.status .default-head');
      expect(await note.textContent()).toBe(`Opened on head ${d.layer + 1}.${d.head + 1}: ${d.reason}`);

      // What is painted is that head's weights: a previous-token head lights up the token before the hovered one.
      const q = 9;
      await page.hover(`.text-view [data-token-index="${q}"]`);
      const shown = await page.$$eval('.text-view .token', (els) => els.map((e) => Number((e as HTMLElement).dataset.weight ?? 0)));
      const row = json.attention[d.layer][d.head][q];
      shown.forEach((w, k) => expect(Math.abs(w - row[k]), `key ${k}`).toBeLessThanOrEqual(QUANT_TOL));
      expect(shown.indexOf(Math.max(...shown))).toBe(q - 1);

      await setDropdown(page, 'ctl-head', String((d.head + 1) % json.heads));
      await expect.poll(() => note.count()).toBe(0);
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }

  it('translation: opens the Cross attention on the best-aligned head, counted within Cross, and says why', async () => {
    const d = JSON.parse(readFileSync(path.join(MODELS_DIR, 'translation', 'model.json'), 'utf8')) as {
      layers: number;
      default_head: { layer: number; head: number; reason: string };
    };
    const file = path.join(CACHE, 'default-head-translation.txt');
    const html = path.join(CACHE, 'default-head-translation.html');
    ensureBuilt();
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(file, 'Save the file before closing the window.');
    execFileSync(process.execPath, [path.join(DIST, 'cli.js'), 'translate', file, '--models-dir', MODELS_DIR, '--html', html], { stdio: 'ignore' });
    const { page, errors } = await openPage(browser, html);
    const crossLayer = d.default_head.layer - 2 * d.layers; // the toolbar counts layers within the attention shown
    expect(await page.evaluate(`[${value('ctl-set')}, ${value('ctl-layer')}, ${value('ctl-head')}]`)).toEqual(['cross', String(crossLayer), String(d.default_head.head)]);
    expect(await page.locator('.status .default-head').textContent()).toBe(`Opened on head ${crossLayer + 1}.${d.default_head.head + 1}: ${d.default_head.reason}`);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
