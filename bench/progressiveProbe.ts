/**
 * Issue 14 probe (not part of `npm run bench`): 512-token analyses in code-server, modes in turns (interleaved),
 * each run split into its parts on the host (AnalysisTimeline) and in the webview (message arrival, message handled,
 * the text view rendered, the frame painted, long tasks). See bench/README.md, "Issue 14 probe".
 *
 *   node scripts/build.mjs && PROBE_REPS=4 node dist/progressiveProbe.js > probe.json
 *
 * PROBE_MODES: comma list of the modes below to alternate (default: all; the 4,096-token one measures its first
 * window). The panel's layer is picked before every run, so a run also shows whether the panel kept the person's
 * layer (`seq`: the layer and head the text view showed when the tokens appeared).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { startCodeServer } from '../test/e2e/codeServer';
import { ModelRegistry } from '../src/model/modelRegistry';
import type { AnalysisTimeline } from '../src/panel/analysisSession';
import { piece, timelineOf, webviewDocument } from './codeServerBench';
import { corpusText, log, medianOrNull, repoRoot } from './common';

interface WebviewTimes {
  msg: Record<string, number>;
  handled: Record<string, number>;
  readyAt?: number;
  paintAt?: number;
  longTasks: { start: number; ms: number }[];
}

/** The bench's watcher (codeServerBench.ts armWatcher), plus when each message was handled, the render and long tasks. */
async function arm(frame: Frame, n: number, text: string): Promise<void> {
  await frame.evaluate(
    ([expected, start]) => {
      const w = window as unknown as { __p?: WebviewTimes & { on?: boolean; mo?: MutationObserver } };
      const old = w.__p;
      old?.mo?.disconnect();
      const p: WebviewTimes & { on?: boolean; mo?: MutationObserver } = { msg: {}, handled: {}, longTasks: [], on: old?.on };
      w.__p = p;
      if (!p.on) {
        p.on = true;
        window.addEventListener('message', (e: MessageEvent) => {
          const type = (e.data as { type?: unknown } | null)?.type;
          const q = w.__p;
          if (q && typeof type === 'string' && !(type in q.msg)) {
            q.msg[type] = Date.now();
            performance.mark(`probe:${type}`);
          }
          const d = e.data as { layer?: number; head?: number } | null;
          if (q && (type === 'headData' || type === 'analysisStart' || type === 'analysisComplete')) ((q as unknown as { seq: unknown[] }).seq ??= []).push([type, d?.layer, d?.head, Date.now()]);
        }, true);
        // registered after the app's own listener: runs when the app has handled the message
        window.addEventListener('message', (e: MessageEvent) => {
          const type = (e.data as { type?: unknown } | null)?.type;
          const q = w.__p;
          if (q && typeof type === 'string' && !(type in q.handled)) q.handled[type] = Date.now();
        });
        try {
          new PerformanceObserver((list) => {
            for (const entry of list.getEntries()) w.__p?.longTasks.push({ start: Math.round(performance.timeOrigin + entry.startTime), ms: Math.round(entry.duration) });
          }).observe({ type: 'longtask' });
        } catch {
          /* no long task API */
        }
      }
      const ready = (): boolean => {
        const tokens = document.querySelectorAll('.text-view .token');
        const q = p as unknown as { tokensAt?: number; seq?: unknown[] };
        if (tokens.length === expected && q.tokensAt === undefined && (document.querySelector('.text-view')?.textContent ?? '').startsWith(start)) {
          q.tokensAt = Date.now();
          (q.seq ??= []).push(['tokensShown', (document.getElementById('ctl-layer') as unknown as { value: string } | null)?.value, (document.getElementById('ctl-head') as unknown as { value: string } | null)?.value, Date.now(), tokens[expected - 1].closest('.text-view')?.getAttribute('data-head-ready')]);
        }
        if (tokens.length !== expected || !tokens[expected - 1].closest('.text-view')?.hasAttribute('data-head-ready')) return false;
        return (document.querySelector('.text-view')?.textContent ?? '').startsWith(start);
      };
      const done = (): void => {
        p.mo?.disconnect();
        p.readyAt = Date.now();
        requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => (p.paintAt = Date.now());
          ch.port2.postMessage(0);
        });
      };
      p.mo = new MutationObserver(() => ready() && done());
      p.mo.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-head-ready'] });
      if (ready()) done();
    },
    [n, text.slice(0, 40)] as const,
  );
}

interface Mode {
  name: string;
  /** the layer picked in the panel before the run (index); -1: the model's default head (its last layer: a whole run) */
  layer: number;
  /** tokens in the selection (default 512); a longer one is analysed in windows and its first window is measured */
  tokens?: number;
}

const ALL_MODES: Mode[] = [
  { name: 'Layer 1 visible', layer: 0 },
  { name: 'Layer 2 visible', layer: 1 },
  { name: 'default head (whole run)', layer: -1 },
  // issue 14 target 4: the same first window inside a 4,096-token selection (9 windows)
  { name: 'Layer 2 visible (4096 tokens)', layer: 1, tokens: 4096 },
];

async function main(): Promise<void> {
  const reps = Number(process.env.PROBE_REPS ?? 3);
  const wanted = process.env.PROBE_MODES?.split(',').map((s) => s.trim());
  const modes = wanted ? ALL_MODES.filter((m) => wanted.includes(m.name)) : ALL_MODES;
  const { text: corpus } = corpusText();
  const registry = new ModelRegistry([path.join(repoRoot, 'models')]);
  const manifest = await registry.get('encoder');
  const tokenizer = await registry.tokenizer(manifest);
  const tokens = tokenizer.encode(corpus);
  const ws = mkdtempSync(path.join(os.tmpdir(), 'al-probe-ws-'));
  mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  let skip = 4200;
  const files: Record<string, { n: number; text: string }> = {};
  const add = (name: string, n: number): void => {
    const p = piece(corpus, tokens, tokenizer, skip, n);
    skip += n + 7;
    writeFileSync(path.join(ws, name), p.text);
    files[name] = p;
  };
  add('warm-a.txt', 100);
  add('warm-b.txt', 300);
  for (const m of modes) add(`warm-${modes.indexOf(m)}.txt`, m.tokens ?? 512);
  for (let r = 0; r < reps; r++) for (let i = 0; i < modes.length; i++) add(`r${r}-m${i}.txt`, modes[i].tokens ?? 512);
  /** the tokens the text view shows and the host's timeline records: the first window's */
  const shownOf = (name: string): number => Math.min(files[name].n, manifest.maxPositions);
  const settings = {
    'attentionLens.followSelection': false,
    ...(process.env.BENCH_NO_OVERLAY ? { 'attentionLens.editorOverlay': false } : {}),
    ...(process.env.PROBE_NO_PORT_SCAN ? { 'remote.autoForwardPorts': false } : {}),
  };
  const vs = await startCodeServer({ workspace: ws, settings });
  const results: Record<string, unknown[]> = {};
  try {
    const measure = async (name: string): Promise<Record<string, unknown>> => {
      await vs.openFile(name);
      await vs.selectAll();
      const f = await webviewDocument(vs);
      await arm(f, shownOf(name), files[name].text);
      const tracing = process.env.PROBE_TRACE && name === 'r0-m0.txt';
      if (tracing) await vs.browser.startTracing(undefined, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'toplevel', 'v8.execute', 'disabled-by-default-v8.cpu_profiler', 'ipc', 'loading', 'blink'] });
      await vs.page.evaluate(() => performance.mark('probe:key'));
      const t0 = Date.now();
      await vs.page.keyboard.press('Control+Alt+A');
      await f.waitForFunction(() => (window as unknown as { __p?: WebviewTimes }).__p?.paintAt && (window as unknown as { __p?: WebviewTimes }).__p?.msg.analysisComplete, undefined, { timeout: 60_000, polling: 20 });
      await new Promise((r) => setTimeout(r, 300));
      if (tracing) writeFileSync(process.env.PROBE_TRACE as string, await vs.browser.stopTracing());
      const p = await f.evaluate(() => {
        const q = (window as unknown as { __p: WebviewTimes }).__p;
        return { msg: q.msg, handled: q.handled, readyAt: q.readyAt, paintAt: q.paintAt, longTasks: q.longTasks, seq: (q as unknown as { seq?: unknown[] }).seq ?? [] };
      });
      let tl: AnalysisTimeline | undefined;
      for (let i = 0; i < 20 && !tl; i++) {
        tl = timelineOf(vs.readExtensionLog(), shownOf(name), t0);
        if (!tl) await new Promise((r) => setTimeout(r, 100));
      }
      const rel = (x: number | undefined): number | null => (x === undefined ? null : x - t0);
      const hostAbs = (k: keyof AnalysisTimeline): number | null => (tl && typeof tl[k] === 'number' && k !== 'at' ? Math.round(tl.at + (tl[k] as number) - t0) : null);
      const progressive = tl?.firstLayer !== undefined;
      const waited = tl ? (progressive ? tl.firstLayerInferenceMs : tl.inferenceMs) : undefined;
      const paint = (p.paintAt ?? NaN) - t0;
      return {
        paint,
        t0,
        waitedInferenceMs: waited ?? null,
        besides: waited === undefined ? null : Math.round(paint - waited),
        wholeInferenceMs: tl?.inferenceMs ?? null,
        progressive,
        host: tl ? { atKey: Math.round(tl.at - t0), tokenized: hostAbs('tokenized'), inferenceCalled: hostAbs('inferenceCalled'), firstLayer: hostAbs('firstLayer'), firstHeadPosted: hostAbs('firstHeadPosted'), firstHeadSent: hostAbs('firstHeadSent'), wholeModel: hostAbs('wholeModel'), lastHeadPosted: hostAbs('lastHeadPosted') } : null,
        webview: {
          analysisStart: rel(p.msg.analysisStart),
          analysisStartHandled: rel(p.handled.analysisStart),
          headData: rel(p.msg.headData),
          headDataHandled: rel(p.handled.headData),
          rendered: rel(p.readyAt),
          painted: paint,
          complete: rel(p.msg.analysisComplete),
        },
        seq: p.seq.map((x) => (Array.isArray(x) ? x.map((y, i) => (i === 3 && typeof y === 'number' ? y - t0 : y)) : x)),
        longTasks: p.longTasks.filter((x) => x.start >= t0).map((x) => ({ at: x.start - t0, ms: x.ms })),
      };
    };
    // warm-up: panel open, encoder loaded
    await vs.openFile('warm-a.txt');
    await vs.selectAll();
    await vs.runCommand('Attention Lens: Show Attention for Selection');
    const f0 = await webviewDocument(vs);
    await f0.locator('.text-view[data-head-ready] .token').first().waitFor({ timeout: 120_000 });
    await measure('warm-b.txt').catch(() => undefined);
    const chooseLayer = async (layer: number): Promise<void> => {
      const f = await webviewDocument(vs);
      await f.evaluate((value) => {
        const el = document.getElementById('ctl-layer') as (HTMLElement & { value: string }) | null;
        if (!el) throw new Error('no #ctl-layer');
        el.value = value;
        el.dispatchEvent(new Event('change', { bubbles: true }));
      }, String(layer));
    };
    const layerOf = (mode: Mode): number => (mode.layer >= 0 ? mode.layer : (manifest.defaultHead?.layer ?? manifest.layers - 1));
    // one warm run per mode; the worker makes that layer's two parts' sessions after it (splitRunner.ts)
    for (const [i, m] of modes.entries()) {
      await chooseLayer(layerOf(m));
      await measure(`warm-${i}.txt`);
      await new Promise((r) => setTimeout(r, 4000));
    }
    for (let r = 0; r < reps; r++) {
      for (const [i, m] of modes.entries()) {
        await chooseLayer(layerOf(m));
        await new Promise((res) => setTimeout(res, 500));
        const run = await measure(`r${r}-m${i}.txt`);
        (results[m.name] ??= []).push(run);
        log(`${m.name}: paint ${run.paint} (waited ${run.waitedInferenceMs}, besides ${run.besides}) ${JSON.stringify(run.webview)}`);
      }
    }
  } finally {
    await vs.stop();
    rmSync(ws, { recursive: true, force: true });
  }
  const summary: Record<string, unknown> = {};
  for (const [name, runs] of Object.entries(results)) {
    const rs = runs as { paint: number; besides: number | null; wholeInferenceMs: number | null; waitedInferenceMs: number | null; webview: Record<string, number | null> }[];
    const med = (f: (r: (typeof rs)[number]) => number | null | undefined): number | null => medianOrNull(rs.map((r) => f(r)));
    summary[name] = {
      paintMedianMs: med((r) => r.paint),
      waitedInferenceMedianMs: med((r) => r.waitedInferenceMs),
      wholeInferenceMedianMs: med((r) => r.wholeInferenceMs),
      besidesMedianMs: med((r) => r.besides),
      headDataToPaintMedianMs: med((r) => (r.webview.headData === null ? null : r.paint - r.webview.headData)),
      completeMedianMs: med((r) => r.webview.complete),
    };
  }
  process.stdout.write(`${JSON.stringify({ summary, runs: results, loadAverage: readFileSync('/proc/loadavg', 'utf8').trim() }, null, 1)}\n`);
}

main().catch((e) => {
  log(String((e as Error).stack ?? e));
  process.exit(1);
});
