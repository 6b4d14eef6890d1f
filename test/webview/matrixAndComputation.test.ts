/**
 * Matrix view and computation view on the causal model (real output): masked cells are marked as masked — not
 * as zeros — and the computation view's softmax, recomputed from the exported q/k and bias, equals the
 * model's attention from the CLI's JSON.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TEXT, alphaOf, analyzeWithCli, launchBrowser, openPage, pickView, setDropdown, type CliJson, type OpenedPage } from './harness';

let browser: Browser;
let opened: OpenedPage;
let page: Page;
let json: CliJson;

beforeAll(async () => {
  const made = analyzeWithCli('matrix-causal', SAMPLE_TEXT, ['--model', 'causal']);
  json = made.json;
  browser = await launchBrowser();
  opened = await openPage(browser, made.html);
  page = opened.page;
  // The page opens on the model's default head (model.json default_head, see defaultHead.test.ts); the checks
  // below compare with layer 1, head 1 of the CLI's JSON.
  await setDropdown(page, 'ctl-layer', '0');
  await setDropdown(page, 'ctl-head', '0');
});

afterAll(async () => {
  await browser?.close();
});

async function hoverCell(p: Page, q: number, k: number): Promise<Record<string, string>> {
  const geo = await p.$eval('.pane[data-slot="0"] .matrix-canvas', (c) => {
    const r = c.getBoundingClientRect();
    const d = (c as HTMLElement).dataset;
    return { x: r.left, y: r.top, cell: Number(d.cell), margin: Number(d.margin) };
  });
  await p.mouse.move(geo.x + geo.margin + (k + 0.5) * geo.cell, geo.y + geo.margin + (q + 0.5) * geo.cell);
  return p.$eval('.pane[data-slot="0"] .tooltip', (t) => ({ ...(t as HTMLElement).dataset, text: t.textContent ?? '', hidden: String((t as HTMLElement).hidden) }));
}

describe('matrix view (causal, real model)', () => {
  it('text view: the tokens a hovered token cannot see are dimmed and struck through, without a per-token opacity', async () => {
    await pickView(page, 'text');
    await page.hover('.pane[data-slot="0"] .text-view [data-token-index="2"]');
    const spans = await page.$$eval('.pane[data-slot="0"] .text-view .token', (els) =>
      els.map((e) => {
        const cs = getComputedStyle(e);
        return { index: Number((e as HTMLElement).dataset.tokenIndex), masked: (e as HTMLElement).dataset.masked === 'true', opacity: cs.opacity, color: cs.color, line: cs.textDecorationLine };
      }),
    );
    expect(spans.filter((s) => s.masked).map((s) => s.index)).toEqual(json.tokens.map((_, i) => i).filter((i) => i > 2));
    // Opacity below 1 made each masked token an effect node of its own: a hover on a causal model restyled hundreds
    // of them, 13–16 ms per hover at 512 tokens (bench/README.md, "Eleventh session"). The text colour dims instead.
    for (const s of spans) {
      expect(s.opacity, `token ${s.index}`).toBe('1');
      expect(s.line.includes('line-through'), `token ${s.index}`).toBe(s.masked);
      expect(alphaOf(s.color) < 0.6, `token ${s.index}: ${s.color}`).toBe(s.masked);
    }
  });

  it('draws every cell above the diagonal as masked', async () => {
    expect(json.mask).toBe('causal');
    await pickView(page, 'matrix');
    const n = json.tokens.length;
    const masked = await page.$eval('.matrix-canvas', (c) => Number((c as HTMLElement).dataset.maskedCells));
    expect(masked).toBe((n * (n - 1)) / 2);
  });

  it('hover: a masked cell says masked, a visible cell gives the JSON weight', async () => {
    const above = await hoverCell(page, 2, 9);
    expect(above.hidden).toBe('false');
    expect(above.masked).toBe('true');
    expect(above.text).toContain('masked');
    const below = await hoverCell(page, 9, 2);
    expect(below.masked).toBe('false');
    expect(Math.abs(Number(below.weight) - json.attention[0][0][9][2])).toBeLessThanOrEqual(1 / 510 + 0.0005 + 1e-6);
  });

  it('a masked cell is drawn hatched, unlike a visible cell of weight ~0', async () => {
    // Pixels of one masked cell vary (hatch lines); a visible cell is one flat colour.
    const spread = await page.$eval('.matrix-canvas', (c) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.dataset;
      const cell = Number(d.cell);
      const margin = Number(d.margin);
      const g = canvas.getContext('2d')!;
      const scale = canvas.width / canvas.getBoundingClientRect().width;
      const sample = (q: number, k: number): number => {
        const img = g.getImageData(Math.round((margin + k * cell) * scale), Math.round((margin + q * cell) * scale), Math.floor(cell * scale), Math.floor(cell * scale));
        const values = new Set<string>();
        for (let i = 0; i < img.data.length; i += 4) values.add(img.data.slice(i, i + 4).join(','));
        return values.size;
      };
      return { masked: sample(0, 5), visible: sample(5, 0) };
    });
    expect(spread.masked).toBeGreaterThan(1);
    expect(spread.visible).toBe(1);
  });
});

describe('head view (causal, real model)', () => {
  it('draws several heads at once in distinct colours; hover redraws the lines of the hovered token', async () => {
    await setDropdown(page, 'ctl-layer', '0');
    await setDropdown(page, 'ctl-head', '0');
    await pickView(page, 'head');
    await page.click('#head-toggle-0-1');
    await page.waitForFunction(() => (document.querySelector('.head-canvas') as HTMLElement | null)?.dataset.heads === '1.1,1.2');
    const swatches = await page.$$eval('.head-strip .swatch', (els) => els.map((e) => (e as HTMLElement).style.backgroundColor).filter(Boolean));
    expect(new Set(swatches).size).toBe(2);
    const box = await page.$eval('.head-canvas', (e) => e.getBoundingClientRect().toJSON() as DOMRect);
    const rowH = await page.$eval('.head-canvas', (e) => Number((e as HTMLElement).dataset.rowHeight));
    // Hover the last query: under the causal mask it reads every token, so lines fan out over the whole column.
    const q = json.tokens.length - 1;
    await page.mouse.move(box.x + 60, box.y + 8 + (q + 0.5) * rowH);
    const inked = await page.$eval('.canvas-wrap .overlay', (c) => {
      const canvas = c as HTMLCanvasElement;
      const g = canvas.getContext('2d')!;
      const x = Math.round(canvas.width / 2);
      const column = g.getImageData(x, 0, 1, canvas.height).data;
      const colours = new Set<string>();
      let painted = 0;
      for (let i = 0; i < column.length; i += 4) {
        if (column[i + 3] > 0) {
          painted++;
          colours.add(`${column[i]},${column[i + 1]},${column[i + 2]}`);
        }
      }
      return { painted, colours: colours.size };
    });
    expect(inked.painted).toBeGreaterThan(0);
    expect(inked.colours).toBeGreaterThan(1);
  });
});

describe('computation view (causal, real model)', () => {
  it('recomputed softmax equals the exported attention, masked keys shown as masked', async () => {
    await setDropdown(page, 'ctl-layer', '1');
    await setDropdown(page, 'ctl-head', '3');
    for (const q of [0, 6, json.tokens.length - 1]) {
      await page.focus('body');
      await pickView(page, 'text');
      await page.hover(`.text-view [data-token-index="${q}"]`);
      await pickView(page, 'computation');
      await page.waitForSelector('.computation .check');
      const rows = await page.$$eval('.comp-table tbody tr', (trs) =>
        trs.map((tr) => {
          const d = (tr as HTMLElement).dataset;
          return { key: Number(d.keyIndex), softmax: Number(d.softmax), model: Number(d.modelWeight), masked: d.masked === 'true' };
        }),
      );
      expect(rows.length).toBe(json.tokens.length);
      const exported = json.attention[1][3][q];
      for (const r of rows) {
        expect(Math.abs(r.softmax - exported[r.key]), `q ${q} k ${r.key}`).toBeLessThanOrEqual(1e-4);
        expect(Math.abs(r.model - exported[r.key])).toBeLessThanOrEqual(1e-6);
        expect(r.masked).toBe(r.key > q);
        if (r.masked) expect(r.softmax).toBe(0);
      }
      const check = await page.$eval('.computation .check', (e) => ({ ok: (e as HTMLElement).dataset.ok, maxDiff: (e as HTMLElement).dataset.maxDiff, text: e.textContent ?? '' }));
      expect(check.ok).toBe('true');
      expect(Number(check.maxDiff)).toBeLessThanOrEqual(1e-4);
      expect(check.text).toContain('✓');
    }
  });

  it('explains each step in a sentence and shows the output vector', async () => {
    const steps = await page.$$eval('.computation .step', (ps) => ps.map((p) => p.textContent ?? ''));
    expect(steps.length).toBe(6);
    expect(steps.join(' ')).toMatch(/query asks.*Keys are matched.*Values are blended/s);
    const out = await page.textContent('[data-vector="output"]');
    expect(out).toMatch(/^Σ w·v = \[-?\d/);
    expect(opened.errors).toEqual([]);
  });
});

describe('head view taller than the window', () => {
  it('keeps its line overlay to the visible band, follows scrolling, and still draws the hovered token', async () => {
    await page.setViewportSize({ width: 1000, height: 240 });
    try {
      await pickView(page, 'head');
      const full = await page.$eval('.head-canvas', (e) => e.getBoundingClientRect().height);
      expect(full).toBeGreaterThan(400); // the picture is much taller than the window
      // Scroll the last token into view, then hover it: its lines (to every earlier token, causal) are drawn.
      const q = json.tokens.length - 1;
      const rowH = await page.$eval('.head-canvas', (e) => Number((e as HTMLElement).dataset.rowHeight));
      await page.$eval('.head-canvas', (e, [row, h]) => {
        const r = e.getBoundingClientRect();
        window.scrollBy(0, r.top + 8 + row * h - 120);
      }, [q, rowH] as const);
      const box = await page.$eval('.head-canvas', (e) => e.getBoundingClientRect().toJSON() as DOMRect);
      await page.mouse.move(box.x + 60, box.y + 8 + (q + 0.5) * rowH);
      await page.waitForFunction(() => {
        const o = document.querySelector('.canvas-wrap .overlay') as HTMLCanvasElement | null;
        return !!o && parseFloat(o.style.top || '0') > 0;
      });
      const band = await page.$eval('.canvas-wrap .overlay', (c) => {
        const canvas = c as HTMLCanvasElement;
        const g = canvas.getContext('2d')!;
        const img = g.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < img.length; i += 4) if (img[i] > 0) painted++;
        return { cssHeight: canvas.getBoundingClientRect().height, top: parseFloat(canvas.style.top), painted };
      });
      expect(band.cssHeight).toBeLessThanOrEqual(240 + 2 * 64 + 1); // the window plus its margins, not the picture
      expect(band.cssHeight).toBeLessThan(full);
      expect(band.top).toBeGreaterThan(0);
      expect(band.painted).toBeGreaterThan(0);
    } finally {
      await page.setViewportSize({ width: 1200, height: 900 }); // the harness's size
    }
  });
});
