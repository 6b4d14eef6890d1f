/**
 * The head view's hover, drawn incrementally (views/headView.ts: only the rows the last draw inked are cleared,
 * the focus outline is drawn on the overlay, the labels are a static bitmap): after any sequence of hovers the
 * overlay must hold exactly what a fresh draw of the last hovered token gives — no line or outline of an earlier
 * token left behind, none missing — and its lines must go to the keys the CLI's JSON weights say, at opacities
 * ordered like the weights. The page is shorter than the picture, so the overlay is a band and lines cross its
 * edges. Encoder, layer 1 head 1, real model output.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TEXT, analyzeWithCli, launchBrowser, openPage, pickView, setDropdown, type CliJson, type OpenedPage } from './harness';

let browser: Browser;
let opened: OpenedPage;
let page: Page;
let json: CliJson;
/** The picture's top padding (headView.ts PAD; the bench assumes it too). */
const PAD = 8;

beforeAll(async () => {
  // Three times the sample: ~100 tokens, a picture taller than the 420 px window.
  const made = analyzeWithCli('head-hover-encoder', `${SAMPLE_TEXT}\n${SAMPLE_TEXT}\n${SAMPLE_TEXT}`, ['--model', 'encoder']);
  json = made.json;
  browser = await launchBrowser();
  opened = await openPage(browser, made.html, { height: 420 });
  page = opened.page;
  await setDropdown(page, 'ctl-layer', '0');
  await setDropdown(page, 'ctl-head', '0');
  await pickView(page, 'head');
  await page.waitForFunction(() => (document.querySelector('.head-canvas') as HTMLElement | null)?.dataset.heads === '1.1');
});

afterAll(async () => {
  await browser?.close();
});

const nextFrames = (p: Page): Promise<unknown> => p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** Hovers query row `q` the way the bench does (a mousemove on the overlay; rows below the window included). */
async function hoverRow(p: Page, q: number): Promise<void> {
  await p.evaluate(
    ([row, pad]) => {
      const base = document.querySelector('canvas.head-canvas') as HTMLCanvasElement;
      const ov = document.querySelector('.canvas-wrap canvas.overlay') as HTMLCanvasElement;
      const r = base.getBoundingClientRect();
      const rowH = Number(base.dataset.rowHeight);
      ov.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: r.left + 20, clientY: r.top + pad + row * rowH + rowH / 2 }));
    },
    [q, PAD] as const,
  );
  await nextFrames(p);
}

/** Keeps a copy of the overlay's pixels in the page (under `name`). */
async function snapshot(p: Page, name: string): Promise<void> {
  await p.evaluate((key) => {
    const ov = document.querySelector('.canvas-wrap canvas.overlay') as HTMLCanvasElement;
    const img = ov.getContext('2d')!.getImageData(0, 0, ov.width, ov.height);
    (window as unknown as Record<string, unknown>)[key] = { w: ov.width, h: ov.height, top: ov.style.top, data: img.data };
  }, name);
}

describe('head view hover (encoder, real model)', () => {
  it('after any sequence of hovers the overlay equals a fresh draw of the last hovered token', async () => {
    const n = json.tokens.length;
    expect(n).toBeGreaterThan(60);
    // Tokens in the window and far below it, back and forth: each hover clears only what the one before inked.
    for (const seq of [[3, n - 1, 5], [n - 2, 0, 40, 7, 2], [9, 9, n - 5, 1]]) {
      for (const q of seq) await hoverRow(page, q);
      await snapshot(page, '__incremental');
      // The same focus drawn from scratch: another view and back renders the head view anew.
      await pickView(page, 'text');
      await pickView(page, 'head');
      await nextFrames(page);
      await nextFrames(page);
      await snapshot(page, '__fresh');
      const diff = await page.evaluate(() => {
        const w = window as unknown as Record<string, { w: number; h: number; top: string; data: Uint8ClampedArray }>;
        const a = w.__incremental;
        const b = w.__fresh;
        if (a.w !== b.w || a.h !== b.h || a.top !== b.top) return { sameBand: false, pixels: -1, inked: 0 };
        let pixels = 0;
        let inked = 0;
        for (let i = 0; i < a.data.length; i += 4) {
          if (a.data[i + 3] !== b.data[i + 3] || a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2]) pixels++;
          if (b.data[i + 3] > 0) inked++;
        }
        return { sameBand: true, pixels, inked };
      });
      expect(diff.sameBand, `band after ${seq.join(' → ')}`).toBe(true);
      expect(diff.inked, `the fresh draw after ${seq.join(' → ')} shows lines`).toBeGreaterThan(0);
      expect(diff.pixels, `pixels differing from a fresh draw after ${seq.join(' → ')}`).toBe(0);
    }
  });

  it("draws the hovered token's lines to the keys its JSON weights name, opacities ordered like the weights", async () => {
    const n = json.tokens.length;
    const geo = await page.$eval('canvas.head-canvas', (c) => {
      const d = (c as HTMLElement).dataset;
      return { rowH: Number(d.rowHeight), x1: Number((d.columns ?? '').split(',')[1]), dpr: window.devicePixelRatio || 1 };
    });
    expect(geo.x1).toBeGreaterThan(0);
    // The picture's top at the window's top: the band then holds its first ~25 rows.
    await page.$eval('canvas.head-canvas', (c) => window.scrollBy(0, c.getBoundingClientRect().top));
    await nextFrames(page);
    for (const q of [2, 6, 11, 15]) {
      await hoverRow(page, q);
      // The ink just left of the key column, at each key's row (keys 16 px apart: one line per sample).
      const ink = await page.evaluate(
        ([g, pad, count]) => {
          const ov = document.querySelector('.canvas-wrap canvas.overlay') as HTMLCanvasElement;
          const top = parseFloat(ov.style.top || '0');
          const left = parseFloat(ov.style.left || '0');
          const img = ov.getContext('2d')!.getImageData(0, 0, ov.width, ov.height);
          const alpha: Array<number | null> = [];
          for (let k = 0; k < count; k++) {
            const y = pad + k * g.rowH + g.rowH / 2 - top;
            if (y < 3 || y > ov.height / g.dpr - 3) {
              alpha.push(null); // outside the band
              continue;
            }
            let a = 0;
            const x = Math.round((g.x1 - 2 - left) * g.dpr);
            for (let dy = -2; dy <= 2; dy++) {
              const yy = Math.round((y + dy) * g.dpr);
              a = Math.max(a, img.data[(yy * img.width + x) * 4 + 3]);
            }
            alpha.push(a);
          }
          return alpha;
        },
        [geo, PAD, n] as const,
      );
      const row = json.attention[0][0][q];
      const max = Math.max(...row);
      const shown = ink.map((a, k) => ({ k, a, r: row[k] / max })).filter((x): x is { k: number; a: number; r: number } => x.a !== null);
      expect(shown.length).toBeGreaterThan(15);
      // Lines under 3% of the row's largest weight are left out (headLines.ts); quantisation blurs the edge.
      for (const { k, a, r } of shown) {
        if (r >= 0.045) expect(a, `line ${q} → ${k} (weight ${row[k].toFixed(4)}, ${(r * 100).toFixed(1)}% of the row's largest)`).toBeGreaterThan(0);
        if (r < 0.02) expect(a, `no line ${q} → ${k} (${(r * 100).toFixed(1)}% of the row's largest)`).toBe(0);
      }
      // Opacity follows the weight: a key with a clearly heavier weight never gets a fainter line.
      const drawn = shown.filter((x) => x.r >= 0.045);
      for (const x of drawn) for (const y of drawn) if (x.r > y.r * 1.6 + 0.05) expect(x.a, `line ${q} → ${x.k} vs ${q} → ${y.k}`).toBeGreaterThanOrEqual(y.a);
    }
    expect(opened.errors).toEqual([]);
  });
});
