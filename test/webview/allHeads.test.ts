/**
 * "Every head of the layer at once" in the head view and the text view, on real model output: every head of the
 * layer is drawn for a hovered token, each in the colour its key shows (the view's draw log and the canvas pixels), the toggle
 * works from the keyboard, and it is remembered in the panel's saved state across a reload.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMessages } from '../../src/export/standalonePage';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { analyzeText } from '../../src/pipeline/analyze';
import type { HostToWebview } from '../../src/protocol/messages';
import { serializeMessages } from '../../src/protocol/serialize';
import { fakeVsCodeApi, writePanelPage } from '../helpers/panelPage';
import { CACHE, MODELS_DIR, SAMPLE_TEXT, analyzeWithCli, ensureBuilt, launchBrowser, openPage, pickView, screenshot, setDropdown, type CliJson, type OpenedPage } from './harness';

let browser: Browser;
let made: { html: string; json: CliJson };

beforeAll(async () => {
  made = analyzeWithCli('all-heads-encoder', SAMPLE_TEXT, ['--model', 'encoder']);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** The colours the head key shows, in head order. */
async function keyColours(page: Page): Promise<Array<[number, number, number]>> {
  const css = await page.$$eval('.head-key .swatch', (els) => els.map((e) => getComputedStyle(e).backgroundColor));
  return css.map((c) => {
    const [r, g, b] = (/rgba?\(([^)]+)\)/.exec(c)?.[1] ?? '0,0,0').split(',').map((x) => Number.parseFloat(x));
    return [r, g, b];
  });
}

/**
 * How many pixels of `selector`'s canvas show each colour (un-premultiplied, within a small distance: edges of lines
 * are antialiased, so their alpha varies while their colour does not). Pixels where two heads overlap count for
 * neither.
 */
async function pixelsPerColour(page: Page, selector: string, colours: Array<[number, number, number]>): Promise<number[]> {
  return page.$eval(
    selector,
    (c, cols) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const counts = cols.map(() => 0);
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] < 24) continue;
        for (let k = 0; k < cols.length; k++) {
          const [r, g, b] = cols[k];
          if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) <= 12) {
            counts[k]++;
            break;
          }
        }
      }
      return counts;
    },
    colours,
  );
}

const nextFrames = (page: Page): Promise<unknown> => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

describe('every head of the layer at once (encoder, real model)', () => {
  let opened: OpenedPage;
  let page: Page;
  const q = 6; // a token in the middle of the first line

  it('head view: a hover draws lines of every head, each in its own key colour; off again, one colour', async () => {
    opened = await openPage(browser, made.html);
    page = opened.page;
    await setDropdown(page, 'ctl-layer', '3');
    await pickView(page, 'head');
    await page.click('#ctl-all-heads-0');
    await page.waitForSelector('.head-canvas[data-all-heads="true"]');
    const heads = made.json.heads;
    expect(await page.$eval('.head-canvas', (e) => (e as HTMLElement).dataset.heads)).toBe(Array.from({ length: heads }, (_, h) => `4.${h + 1}`).join(','));
    const colours = await keyColours(page);
    expect(colours.length).toBe(heads);
    expect(new Set(colours.map((c) => c.join(','))).size).toBe(heads); // eight distinct theme colours

    const box = await page.$eval('.head-canvas', (e) => e.getBoundingClientRect().toJSON() as DOMRect);
    const rowH = await page.$eval('.head-canvas', (e) => Number((e as HTMLElement).dataset.rowHeight));
    await page.mouse.move(box.x + 60, box.y + 8 + (q + 0.5) * rowH);
    await nextFrames(page);
    // The view's draw log: every head drew lines from the hovered token (its strongest at full opacity, colours
    // being scaled to the row's largest weight).
    const perHead = (await page.$eval('.canvas-wrap .overlay', (e) => (e as HTMLElement).dataset.linesPerHead ?? '')).split(',').map(Number);
    expect(perHead.length).toBe(heads);
    perHead.forEach((c, h) => expect(c, `lines of head ${h + 1}`).toBeGreaterThan(0));
    // And the pixels: lines of heads that pick the same key coincide (the last drawn covers them), so not every
    // colour need survive, but the heads of layer 4 attend to different tokens and most colours must show.
    const counts = await pixelsPerColour(page, '.canvas-wrap .overlay', colours);
    expect(counts.filter((c) => c > 40).length, `pixels per head colour: ${counts.join(', ')}`).toBeGreaterThanOrEqual(heads / 2);
    await screenshot(page, 'head-view-all-heads');

    await page.click('#ctl-all-heads-0');
    await page.waitForSelector('.head-canvas[data-all-heads="false"]');
    await page.mouse.move(box.x + 60, box.y + 8 + (q + 1.5) * rowH);
    await page.mouse.move(box.x + 60, box.y + 8 + (q + 0.5) * rowH);
    await nextFrames(page);
    const single = await pixelsPerColour(page, '.canvas-wrap .overlay', colours);
    expect(single[0]).toBeGreaterThan(40); // the current head, in the first colour
    expect(single.slice(1).every((c) => c === 0)).toBe(true);
  });

  it('text view: a hover paints a stripe per head under the attended tokens, each in its key colour', async () => {
    await pickView(page, 'text');
    await page.click('#ctl-all-heads-0');
    await page.waitForSelector('.text-view canvas.head-stripes', { state: 'attached' });
    const colours = await keyColours(page);
    await page.hover(`.text-view [data-token-index="${q}"]`);
    await nextFrames(page);
    await screenshot(page, 'text-view-all-heads');
    const counts = await pixelsPerColour(page, '.text-view canvas.head-stripes', colours);
    // A stripe is a slice of the token's height (1/8 of it here): a short token's strongest stripe is a few pixels.
    counts.forEach((c, h) => expect(c, `pixels of head ${h + 1}'s colour`).toBeGreaterThan(4));
    // The stripes carry the weights: the spans are not tinted in this mode.
    expect(await page.$$eval('.text-view .token[class*=" w"]', (els) => els.length)).toBe(0);
    expect(await page.textContent('.legend')).toContain('Every head of layer 4');
    expect(opened.errors).toEqual([]);
    await page.context().close();
  });
});

describe('the toggle is kept in the saved panel state (VS Code page, fake acquireVsCodeApi)', () => {
  let stream: HostToWebview[];
  let pageFile: string;

  beforeAll(async () => {
    ensureBuilt();
    const result = await analyzeText(new ModelRegistry([MODELS_DIR]), SAMPLE_TEXT, { modelId: 'encoder' });
    stream = recordMessages([result], 'sample.txt');
    pageFile = path.join(CACHE, 'vscode-panel-all-heads.html');
    writePanelPage(pageFile, 'testnonce456');
  });

  async function open(savedState: unknown): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript({ content: fakeVsCodeApi(savedState) });
    await page.goto(pathToFileURL(pageFile).href);
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    await page.evaluate((json) => (window as unknown as { __host(j: string): void }).__host(json), serializeMessages(stream));
    await page.waitForSelector('.text-view [data-token-index]');
    return page;
  }
  const saved = (page: Page): Promise<Record<string, unknown> | null> => page.evaluate(() => (window as unknown as { __state: Record<string, unknown> | null }).__state);

  it('is switched with the keyboard, saved with setState, and restored after a reload', async () => {
    const page = await open(null);
    await page.focus('#ctl-all-heads-0');
    await page.keyboard.press('Space');
    await page.waitForSelector('.text-view canvas.head-stripes', { state: 'attached' });
    await page.waitForTimeout(120); // the state is written at most every 50 ms
    const state = await saved(page);
    expect(state).toMatchObject({ allHeads: true });
    await page.context().close();

    const again = await open(state);
    expect(await again.$eval('#ctl-all-heads-0', (e) => (e as HTMLElement & { checked: boolean }).checked)).toBe(true);
    await again.waitForSelector('.text-view canvas.head-stripes', { state: 'attached' });
    await again.click('#ctl-view-head');
    await again.waitForSelector('.head-canvas[data-all-heads="true"]');
    await again.focus('#ctl-all-heads-0');
    await again.keyboard.press('Space');
    await again.waitForSelector('.head-canvas[data-all-heads="false"]');
    await again.waitForTimeout(120);
    expect(await saved(again)).toMatchObject({ allHeads: false, view: 'head' });
    await again.context().close();
  });
});
