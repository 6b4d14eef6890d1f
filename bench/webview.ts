/**
 * Section 4: the webview in Chromium. The page is the real standalone export (buildStandaloneHtml: the same
 * dist/webview.js and the recorded message stream of a real analysis); the baseline is bench/svg-lines.html
 * (BertViz's approach: one SVG <line> per weight) fed the same head.
 *
 * Timing method (in the page): a hover is dispatched inside a requestAnimationFrame callback; a MessageChannel
 * message posted right after it runs once the browser has finished that frame's rendering work on the main
 * thread (style, layout, paint, canvas flush). Hover update time = dispatch → that message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { buildStandaloneHtml } from '../src/export/standalonePage';
import { headWeights, type AnalysisResult } from '../src/pipeline/analyze';
import { log, repoRoot, round, summarize, type Summary } from './common';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Runs `fn` with a Chromium of its own (the system's, CHROMIUM_ARGS), closed afterwards whatever happens. */
export async function withChromium<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

/** Installed in every page before its scripts: data-arrival and first-paint probes, and the hover harness. */
export const INIT_SCRIPT = `(() => {
  const origParse = JSON.parse;
  JSON.parse = function (text, reviver) {
    if (typeof text === 'string' && text.length > 4096 && typeof reviver === 'function' && window.__alDataAt === undefined) {
      window.__alDecodeStart = performance.now();
      const r = origParse.call(this, text, reviver);
      window.__alDataAt = performance.now();
      return r;
    }
    return origParse.call(this, text, reviver);
  };
  const painted = () => {
    window.__alViewAt = performance.now();
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { window.__alPaintAt = performance.now(); };
      ch.port2.postMessage(0);
    });
  };
  const ready = () => !!document.querySelector('.text-view[data-head-ready] .token') || !!document.querySelector('canvas.head-canvas');
  const watch = () => {
    if (!document.getElementById('app')) return;
    const mo = new MutationObserver(() => {
      if (window.__alViewAt === undefined && ready()) { mo.disconnect(); painted(); }
    });
    mo.observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-head-ready', 'class'] });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch, { once: true });
  else watch();

  window.__alHoverBench = async (kind, n, count) => {
    const raf = () => new Promise((r) => requestAnimationFrame(() => r()));
    const afterFrame = () => new Promise((r) => { const ch = new MessageChannel(); ch.port1.onmessage = () => r(); ch.port2.postMessage(0); });
    let fire;
    if (kind === 'text') {
      const spans = Array.from(document.querySelectorAll('.text-view .token'));
      n = Math.min(n, spans.length);
      fire = (i) => spans[i].dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    } else if (kind === 'head') {
      const ov = document.querySelector('canvas.overlay');
      const base = document.querySelector('canvas.head-canvas');
      const rowH = Number(base.dataset.rowHeight);
      n = Math.min(n, Number(base.dataset.n));
      fire = (i) => {
        const r = base.getBoundingClientRect(); // rows count from the full picture (the overlay is a viewport band)
        ov.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: r.left + 20, clientY: r.top + 8 + i * rowH + rowH / 2 }));
      };
    } else if (kind === 'noop') {
      fire = () => undefined;
    } else {
      const labels = Array.from(document.querySelectorAll('text[data-index]'));
      n = Math.min(n, labels.length);
      fire = (i) => labels[i].dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    }
    let seed = 42;
    const next = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
    const total = [], sync = [];
    let last = -1;
    for (let h = 0; h < count; h++) {
      let i = next();
      if (i === last) i = (i + 1) % n;
      last = i;
      await raf();
      const t0 = performance.now();
      fire(i);
      void document.body.offsetHeight;
      const t1 = performance.now();
      await afterFrame();
      total.push(performance.now() - t0);
      sync.push(t1 - t0);
    }
    return { total, sync };
  };
})();`;

export interface HoverResult {
  ms: Summary;
  /** handler + forced style/layout only (no paint) */
  syncMs: Summary;
  hovers: number;
}

export interface WebviewRow {
  n: number;
  label: string;
  page: { htmlBytes: number; decodeMs: number; dataToFirstPaintMs: number; navigationToFirstPaintMs: number };
  heapAfterLoad: HeapFigures;
  /** the same measurement with a hover that does nothing: the cost of a frame of this page by itself */
  hoverFloor: HoverResult;
  hover: {
    textView: HoverResult;
    headView: HoverResult;
    /** the same hovers with "every head of the layer at once" on (all `heads` heads drawn per hover) */
    textViewAllHeads: HoverResult;
    headViewAllHeads: HoverResult & { heads: number };
    svgLines: HoverResult | { notMeasured: string };
  };
  svgLines: { builtRows: number; lines: number; buildMs: number; dataToFirstPaintMs: number | null; heap: HeapFigures; complete: boolean };
  /** SVG-lines p95 / our head view p95 (same head, same hovers) */
  ratioHeadViewVsSvg: number | null;
}

interface HeapFigures {
  /** V8 heap in use after a forced GC (CDP Performance.getMetrics JSHeapUsedSize) */
  jsHeapUsedBytes: number;
  /** ArrayBuffer backing stores (the head buffers live here, outside the JS heap), from Runtime.getHeapUsage */
  arrayBufferBytes: number | null;
  domNodes: number;
}

async function heap(cdp: CDPSession): Promise<HeapFigures> {
  await cdp.send('HeapProfiler.collectGarbage').catch(() => undefined);
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  const get = (k: string): number => metrics.find((m) => m.name === k)?.value ?? NaN;
  const usage = (await cdp.send('Runtime.getHeapUsage').catch(() => ({}))) as { backingStorageSize?: number };
  return { jsHeapUsedBytes: get('JSHeapUsedSize'), arrayBufferBytes: usage.backingStorageSize ?? null, domNodes: get('Nodes') };
}

async function hoverBench(page: Page, kind: 'text' | 'head' | 'svg' | 'noop', n: number, count: number): Promise<HoverResult> {
  const r = (await page.evaluate(
    ([k, nn, c]) => (window as unknown as { __alHoverBench: (k: string, n: number, c: number) => Promise<unknown> }).__alHoverBench(k, nn, c),
    [kind, n, count] as const,
  )) as { total: number[]; sync: number[] };
  return { ms: summarize(r.total, 2), syncMs: summarize(r.sync, 2), hovers: r.total.length };
}

export async function benchWebviewSize(
  browser: Browser,
  result: AnalysisResult,
  label: string,
  opts: { hovers: number; svgBudgetMs: number },
): Promise<WebviewRow> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-bench-'));
  try {
    const n = result.n;
    const html = await buildStandaloneHtml([result], { distDir: path.join(repoRoot, 'dist'), sourceLabel: label });
    const file = path.join(dir, `standalone-${n}.html`);
    writeFileSync(file, html);
    log(`webview n=${n}: standalone page ${(Buffer.byteLength(html) / 1e6).toFixed(1)} MB`);

    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    await context.addInitScript(INIT_SCRIPT);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 180_000 });
    await page.waitForFunction(() => (window as unknown as { __alPaintAt?: number }).__alPaintAt !== undefined, undefined, { timeout: 180_000 });
    const marks = await page.evaluate(() => {
      const w = window as unknown as Record<string, number>;
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return { decodeStart: w.__alDecodeStart, dataAt: w.__alDataAt, paintAt: w.__alPaintAt, navStart: nav?.startTime ?? 0 };
    });
    const heapAfterLoad = await heap(cdp);
    log(`webview n=${n}: data → first paint ${round(marks.paintAt - marks.dataAt, 1)} ms; hovering (text view)`);
    const hoverFloor = await hoverBench(page, 'noop', n, Math.min(50, opts.hovers));
    const textView = await hoverBench(page, 'text', n, opts.hovers);
    // Every head of the layer at once: the toggle is remembered, so it stays on for the head view.
    await page.locator('#ctl-all-heads-0').click({ timeout: 30_000 });
    await page.waitForSelector('.text-view canvas.head-stripes', { timeout: 60_000 });
    log(`webview n=${n}: hovering (text view, every head)`);
    const textViewAllHeads = await hoverBench(page, 'text', n, opts.hovers);
    await page.locator('#ctl-view-head').click({ timeout: 30_000 });
    await page.waitForSelector('canvas.head-canvas[data-all-heads="true"]', { timeout: 60_000 });
    const heads = await page.evaluate(() => (document.querySelector<HTMLElement>('canvas.head-canvas')?.dataset.heads ?? '').split(',').filter(Boolean).length);
    log(`webview n=${n}: hovering (head view, every head: ${heads})`);
    const headViewAllHeads = { ...(await hoverBench(page, 'head', n, opts.hovers)), heads };
    await page.locator('#ctl-all-heads-0').click({ timeout: 30_000 });
    await page.waitForSelector('canvas.head-canvas[data-all-heads="false"]', { timeout: 60_000 });
    log(`webview n=${n}: hovering (head view)`);
    const headView = await hoverBench(page, 'head', n, opts.hovers);
    await context.close();

    // The SVG-lines baseline, same head (the visible one: layer 1, head 1), same labels.
    const svgContext = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    await svgContext.addInitScript(INIT_SCRIPT);
    const svgPage = await svgContext.newPage();
    const svgCdp = await svgContext.newCDPSession(svgPage);
    await svgCdp.send('Performance.enable');
    await svgPage.goto(pathToFileURL(path.join(repoRoot, 'bench', 'svg-lines.html')).href);
    const weights = headWeights(result, 0, 0);
    const b64 = Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).toString('base64');
    log(`webview n=${n}: building SVG lines (${n * n} lines, budget ${opts.svgBudgetMs} ms)`);
    const built = (await svgPage.evaluate(
      async ([labels, data, nn, budget]) => {
        const t0 = performance.now();
        const r = (window as unknown as { buildSvgLines: (...a: unknown[]) => { builtRows: number; lines: number; buildMs: number } }).buildSvgLines(
          labels,
          data,
          nn,
          budget,
        );
        // Painted only when complete: painting millions of partial lines would only spend the time budget.
        if (r.builtRows < nn) return { ...r, paintMs: NaN };
        await new Promise<void>((res) =>
          requestAnimationFrame(() => {
            const ch = new MessageChannel();
            ch.port1.onmessage = () => res();
            ch.port2.postMessage(0);
          }),
        );
        return { ...r, paintMs: performance.now() - t0 };
      },
      [result.tokens.map((t) => t.text), b64, n, opts.svgBudgetMs] as const,
      // generous: building 4M SVG elements takes long
    )) as { builtRows: number; lines: number; buildMs: number; paintMs: number };
    const svgHeap = await heap(svgCdp);
    const complete = built.builtRows === n;
    let svgHover: HoverResult | { notMeasured: string };
    if (complete) {
      log(`webview n=${n}: hovering (SVG lines)`);
      svgHover = await hoverBench(svgPage, 'svg', n, opts.hovers);
    } else {
      svgHover = {
        notMeasured: `building the ${n * n} <line> elements did not finish within ${opts.svgBudgetMs} ms (${built.builtRows} of ${n} rows, ${built.lines} lines built): the SVG-lines approach cannot show this size`,
      };
    }
    await svgContext.close();
    const svgP95 = 'ms' in svgHover ? svgHover.ms.p95 : null;
    return {
      n,
      label,
      page: {
        htmlBytes: Buffer.byteLength(html),
        decodeMs: round(marks.dataAt - marks.decodeStart, 1),
        dataToFirstPaintMs: round(marks.paintAt - marks.dataAt, 1),
        navigationToFirstPaintMs: round(marks.paintAt - marks.navStart, 1),
      },
      heapAfterLoad,
      hoverFloor,
      hover: { textView, headView, textViewAllHeads, headViewAllHeads, svgLines: svgHover },
      svgLines: {
        builtRows: built.builtRows,
        lines: built.lines,
        buildMs: round(built.buildMs, 1),
        dataToFirstPaintMs: complete ? round(built.paintMs, 1) : null,
        heap: svgHeap,
        complete,
      },
      ratioHeadViewVsSvg: svgP95 !== null ? round(svgP95 / headView.ms.p95, 1) : null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
