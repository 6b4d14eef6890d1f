/**
 * Section 5 (and the code-server half of section 6): the extension in a real VS Code (code-server), through the
 * UI, with the e2e harness (test/e2e/codeServer.ts).
 *
 * command → first paint: the selection is made, a watcher is put into the panel's webview document, the key
 * binding (Ctrl+Alt+A) is pressed; the watcher notes Date.now() in the first frame rendered after the text view
 * shows the new analysis (n token elements carrying their attention labels, i.e. the visible head has arrived)
 * — the same machine's clock on both sides. The model is loaded beforehand by warm-up runs, and every measured
 * run analyses a text the extension has not seen before.
 */
import type { AnalysisTimeline } from '../src/panel/analysisSession';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import type { ByteLevelBpeTokenizer, Token } from '../src/tokenizer/byteLevelBpe';
import { codeServerEntry, startCodeServer, type CodeServer } from '../test/e2e/codeServer';
import { cpuBetween, cpuSnapshot, log, sumCpu, medianOrNull as median, repoRoot, round, summarize, type CpuSpan, type Summary } from './common';

const SHOW = 'Attention Lens: Show Attention for Selection';
/** Visible layers (index) measured for progressive first paint: the first two, shown as Layer 1 and Layer 2. */
const PROGRESSIVE_LAYERS = [0, 1];
const COMPARE = 'Attention Lens: Compare Encoder and Causal Attention';

export interface CodeServerSection {
  /** medianToAnalysisStartMs / medianToFirstHeadMs: when the webview received the analysisStart message (tokens,
   * after the host tokenized and ran the model) and the first headData message, from the key press;
   * medianInferenceMs: the host's own session.run time, carried by analysisStart. */
  commandToFirstPaintMs: Record<
    string,
    Summary & { tokens: number; medianToAnalysisStartMs: number | null; medianToFirstHeadMs: number | null; medianInferenceMs: number | null }
  >;
  /**
   * Progressive first paint at 512 tokens, per visible layer (index; the panel labels it index + 1): command →
   * first paint, the host timeline of each run, and what the paint waited for besides the model.
   */
  progressive512: Record<string, ProgressiveRuns>;
  /** Per run at the default head (the encoder's is in its last layer: the model runs whole), the same timeline. */
  wholeRuns512: RunTrace[];
  /** command → first window painted: the median of `samplesMs` (one 4,096-token file per repetition) */
  longText4096: { commandToFirstWindowPaintMs: number; samplesMs: number[]; windowTokens: number; windows: string; visibleLayer: number } | { notMeasured: string };
  activation: { fromRunningExtensionsView: string | null; ms: number | null; note: string };
  extensionHostRss: { bytes: number; pid: number; modelsLoaded: string[] } | { notMeasured: string };
  harness: { serverHealthyMs: number; workbenchReadyMs: number };
  method: string;
}

/** The host's timeline of one analysis (AnalysisSession's `analysis timeline` log line), ms since it began. */
export type HostTimeline = AnalysisTimeline;

/** One measured run split into its parts (ms); null where the part could not be read. */
export interface RunTrace {
  tokens: number;
  commandToFirstPaintMs: number;
  /** the model time the first paint waited for: the visible layer's part when progressive, else the whole run */
  waitedInferenceMs: number | null;
  /** commandToFirstPaintMs − waitedInferenceMs: what else was in the way */
  besidesInferenceMs: number | null;
  wholeInferenceMs: number | null;
  progressive: boolean;
  parts: {
    keyPressToHost: number | null;
    tokenize: number | null;
    toInferenceCall: number | null;
    inferenceCallToLayerOrResult: number | null;
    hostToFirstHeadPosted: number | null;
    /** from the post of analysisStart to the post of the visible head (AnalysisStreamer.firstHeadSent) */
    firstHeadPostedToSent: number | null;
    postedToWebview: number | null;
    /** analysisStart → the first head, both as the webview received them (they are posted together) */
    analysisStartToFirstHead: number | null;
    webviewToPaint: number | null;
  };
  /** inferenceCallToLayerOrResult − waitedInferenceMs: the worker round trip besides the model itself */
  workerBeyondInferenceMs: number | null;
  /** CPU per process group from the key press to the paint (bench/common.ts cpuBetween) */
  cpuToFirstPaint?: CpuSpan;
  /** from the key press: analysisStart, first headData and analysisComplete received by the webview */
  webview: { analysisStart: number | null; firstHead: number | null; complete: number | null };
}

export interface ProgressiveRuns {
  layer: number;
  runs: RunTrace[];
  commandToFirstPaintMs: Summary;
  waitedInferenceMedianMs: number | null;
  wholeInferenceMedianMs: number | null;
  besidesInferenceMedianMs: number | null;
  toCompleteMedianMs: number | null;
}

/** The host timeline of the analysis of `n` tokens that began after `since` (epoch ms), from the extension's log. */
export function timelineOf(log: string, n: number, since: number): HostTimeline | undefined {
  const found: HostTimeline[] = [];
  for (const line of log.split('\n')) {
    const at = line.indexOf('analysis timeline ');
    if (at < 0) continue;
    try {
      const t = JSON.parse(line.slice(at + 'analysis timeline '.length)) as HostTimeline;
      if (t.n === n && t.at >= since - 5) found.push(t);
    } catch {
      /* a line cut by a concurrent write */
    }
  }
  return found[0];
}

function traceOf(t0: number, paintAt: number, msg: Record<string, number>, tl: HostTimeline | undefined, tokens: number, cpu?: CpuSpan): RunTrace {
  const d = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined ? null : round(a - b, 1));
  const progressive = tl?.firstLayer !== undefined;
  const waited = tl ? (progressive ? (tl.firstLayerInferenceMs ?? null) : (tl.inferenceMs ?? null)) : null;
  const ready = tl ? (progressive ? tl.firstLayer : tl.wholeModel) : undefined;
  const postedAbs = tl?.firstHeadPosted !== undefined ? tl.at + tl.firstHeadPosted : undefined;
  return {
    tokens,
    commandToFirstPaintMs: paintAt - t0,
    waitedInferenceMs: waited,
    besidesInferenceMs: waited === null ? null : round(paintAt - t0 - waited, 1),
    wholeInferenceMs: tl?.inferenceMs ?? null,
    progressive,
    parts: {
      keyPressToHost: tl ? round(tl.at - t0, 1) : null,
      tokenize: tl?.tokenized ?? null,
      toInferenceCall: d(tl?.inferenceCalled, tl?.tokenized),
      inferenceCallToLayerOrResult: d(ready, tl?.inferenceCalled),
      hostToFirstHeadPosted: d(tl?.firstHeadPosted, ready),
      firstHeadPostedToSent: d(tl?.firstHeadSent, tl?.firstHeadPosted),
      postedToWebview: d(msg.analysisStart, postedAbs),
      analysisStartToFirstHead: d(msg.headData, msg.analysisStart),
      webviewToPaint: d(paintAt, msg.headData),
    },
    workerBeyondInferenceMs: waited === null || ready === undefined || tl?.inferenceCalled === undefined ? null : round(ready - tl.inferenceCalled - waited, 1),
    ...(cpu ? { cpuToFirstPaint: cpu } : {}),
    webview: { analysisStart: d(msg.analysisStart, t0), firstHead: d(msg.headData, t0), complete: d(msg.analysisComplete, t0) },
  };
}

/** Picks a layer in the panel's Layer dropdown (index), as a person does: the webview tells the host its visible head. */
async function chooseLayer(frame: Frame, layer: number): Promise<void> {
  await frame.evaluate((value) => {
    const el = document.getElementById('ctl-layer') as (HTMLElement & { value: string }) | null;
    if (!el) throw new Error('no layer dropdown (#ctl-layer) in the panel');
    el.value = value;
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, String(layer));
}

/** A piece of the corpus of exactly n tokens (by our tokenizer), starting `skip` tokens in. */
export function piece(corpus: string, tokens: readonly Token[], tokenizer: ByteLevelBpeTokenizer, skip: number, n: number): { text: string; n: number } {
  let text = corpus.slice(tokens[skip].start, tokens[skip + n - 1].end);
  // Re-tokenized alone the piece may differ by a token at its edges; trim until it is n tokens or fewer.
  // Each pass cuts at least one token more than the last (cut back to the n-th token's end, then the one before if
  // that left the text as it was: the edge re-tokenized as more tokens), so it always ends.
  let t = tokenizer.encode(text);
  for (let keep = n; t.length > n && keep > 0; ) {
    const cut = text.slice(0, t[keep - 1].end);
    if (cut.length < text.length) text = cut;
    else keep--;
    t = tokenizer.encode(text);
  }
  return { text, n: t.length };
}

export async function webviewDocument(vs: CodeServer): Promise<Frame> {
  const outer = await vs.page.locator('iframe.webview.ready').last().elementHandle({ timeout: 60_000 });
  const outerFrame = await outer?.contentFrame();
  if (!outerFrame) throw new Error('no webview frame');
  const inner = await outerFrame.locator('#active-frame').elementHandle({ timeout: 60_000 });
  const frame = await inner?.contentFrame();
  if (!frame) throw new Error('no webview content frame');
  return frame;
}

/** Arms a watcher in the webview: resolves window.__benchPaintAt (Date.now()) when `n` tokens are shown with data. */
async function armWatcher(frame: Frame, n: number, text: string): Promise<void> {
  await frame.evaluate(([expected, start]) => {
    const w = window as unknown as {
      __benchPaintAt?: number;
      __benchObserver?: MutationObserver;
      __benchMsg?: Record<string, number>;
      __benchListening?: boolean;
    };
    w.__benchPaintAt = undefined;
    // When the host's messages arrive (first of each type after arming): splits command → paint into parts.
    w.__benchMsg = {};
    if (!w.__benchListening) {
      w.__benchListening = true;
      window.addEventListener(
        'message',
        (e: MessageEvent) => {
          const data = e.data as { type?: unknown; inferenceMs?: unknown } | null;
          const type = data?.type;
          if (typeof type === 'string' && w.__benchMsg && !(type in w.__benchMsg)) {
            w.__benchMsg[type] = Date.now();
            if (type === 'analysisStart' && typeof data?.inferenceMs === 'number') w.__benchMsg.inferenceMs = data.inferenceMs;
          }
        },
        true,
      );
    }
    w.__benchObserver?.disconnect();
    const ready = (): boolean => {
      const tokens = document.querySelectorAll('.text-view .token');
      if (tokens.length !== expected || !tokens[expected - 1].closest('.text-view')?.hasAttribute('data-head-ready')) return false;
      return (document.querySelector('.text-view')?.textContent ?? '').startsWith(start);
    };
    const done = (): void => {
      w.__benchObserver?.disconnect();
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => (w.__benchPaintAt = Date.now());
        ch.port2.postMessage(0);
      });
    };
    const mo = new MutationObserver(() => {
      if (ready()) done();
    });
    w.__benchObserver = mo;
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-head-ready'] });
    if (ready()) done();
  }, [n, text.slice(0, 40)] as const);
}

async function waitPaint(frame: Frame, timeoutMs = 60_000): Promise<number> {
  const handle = await frame.waitForFunction(() => (window as unknown as { __benchPaintAt?: number }).__benchPaintAt, undefined, {
    timeout: timeoutMs,
    polling: 20,
  });
  return (await handle.jsonValue()) as number;
}

async function messageTimes(frame: Frame): Promise<Record<string, number>> {
  return frame.evaluate(() => ({ ...((window as unknown as { __benchMsg?: Record<string, number> }).__benchMsg ?? {}) }));
}

export async function selectFile(vs: CodeServer, name: string): Promise<void> {
  await vs.openFile(name);
  await vs.selectAll();
}

function extensionHostPid(serverPid: number): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (!cmd.includes('--type=extensionHost')) continue;
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === serverPid) return Number(d);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export async function benchCodeServer(corpus: string, tokens: readonly Token[], tokenizer: ByteLevelBpeTokenizer, reps: number): Promise<CodeServerSection> {
  if (!existsSync(codeServerEntry)) {
    // A fresh clone: install code-server into .cache/ the way the e2e tests do (idempotent, ~1 min).
    log('code-server not installed: running scripts/ensure-code-server.mjs');
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'ensure-code-server.mjs')], { cwd: repoRoot, stdio: ['ignore', 2, 2] });
    if (r.status !== 0 || !existsSync(codeServerEntry)) throw new Error(`code-server could not be installed (scripts/ensure-code-server.mjs exit ${r.status})`);
  }
  const ws = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-bench-ws-'));
  const files: Record<string, { n: number; text: string }> = {};
  let skip = 4200; // after the 4,096-token document, so every measured text is new to the extension
  const add = (name: string, n: number): void => {
    const p = piece(corpus, tokens, tokenizer, skip, n);
    skip += n + 7;
    writeFileSync(path.join(ws, name), p.text);
    files[name] = { n: p.n, text: p.text };
  };
  add('warm-a.txt', 100);
  add('warm-b.txt', 300);
  for (const n of [128, 512]) for (let i = 0; i < reps; i++) add(`t${n}-${i + 1}.txt`, n);
  for (const layer of PROGRESSIVE_LAYERS) {
    add(`warm-layer${layer}.txt`, 300);
    for (let i = 0; i < reps; i++) add(`p${layer}-512-${i + 1}.txt`, 512);
  }
  // 4,096-token documents, one per repetition (one sample swung from 1.0× to 1.8× of the 512-token paint between runs)
  for (let i = 0; i < reps; i++) add(`long-4096-${i + 1}.txt`, 4096);
  mkdirSync(path.join(ws, '.vscode'), { recursive: true });

  let vs: CodeServer | undefined;
  try {
    const settings: Record<string, unknown> = { 'attentionLens.followSelection': false, ...(process.env.BENCH_NO_OVERLAY ? { 'attentionLens.editorOverlay': false } : {}) };
    if (process.env.BENCH_MODELS_DIR) settings['attentionLens.modelsPath'] = process.env.BENCH_MODELS_DIR;
    vs = await startCodeServer({ workspace: ws, settings });
    log(`code-server up (healthy ${vs.timings.serverHealthyMs} ms, workbench ${vs.timings.workbenchReadyMs} ms)`);
    const cs = vs;
    const press = async (): Promise<number> => {
      const t0 = Date.now();
      await cs.page.keyboard.press('Control+Alt+A');
      return t0;
    };
    // Warm-up: opens the panel and loads the encoder (first run: session creation).
    await selectFile(cs, 'warm-a.txt');
    await cs.runCommand(SHOW);
    let frame = await webviewDocument(cs);
    await armWatcher(frame, files['warm-a.txt'].n, files['warm-a.txt'].text);
    await waitPaint(frame, 120_000);
    await selectFile(cs, 'warm-b.txt');
    frame = await webviewDocument(cs);
    await armWatcher(frame, files['warm-b.txt'].n, files['warm-b.txt'].text);
    await press();
    await waitPaint(frame);
    log('code-server: panel open, encoder loaded');

    /** One measured run of `name`: command → first paint, then (for the trace) until analysisComplete. */
    const measure = async (name: string): Promise<RunTrace> => {
      await selectFile(cs, name);
      const f = await webviewDocument(cs);
      await armWatcher(f, files[name].n, files[name].text);
      const before = cpuSnapshot();
      const t0 = await press();
      const t1 = await waitPaint(f);
      const cpu = cpuBetween(before, cpuSnapshot());
      await f.waitForFunction(() => (window as unknown as { __benchMsg?: Record<string, number> }).__benchMsg?.analysisComplete, undefined, { timeout: 60_000, polling: 20 });
      const msg = await messageTimes(f);
      let tl: HostTimeline | undefined;
      for (let i = 0; i < 20 && !tl; i++) {
        tl = timelineOf(cs.readExtensionLog(), files[name].n, t0);
        if (!tl) await new Promise((r) => setTimeout(r, 100)); // the log is written asynchronously
      }
      return traceOf(t0, t1, msg, tl, files[name].n, cpu);
    };
    const wholeRuns512: RunTrace[] = [];

    const commandToFirstPaintMs: CodeServerSection['commandToFirstPaintMs'] = {};
    for (const n of [128, 512]) {
      const samples: number[] = [];
      const toStart: number[] = [];
      const toHead: number[] = [];
      const inference: number[] = [];
      for (let i = 0; i < reps; i++) {
        const name = `t${n}-${i + 1}.txt`;
        await selectFile(cs, name);
        frame = await webviewDocument(cs);
        await armWatcher(frame, files[name].n, files[name].text);
        const before = n === 512 ? cpuSnapshot() : undefined; // only the 512-token runs are traced
        const t0 = await press();
        const t1 = await waitPaint(frame);
        const cpu = before && cpuBetween(before, cpuSnapshot());
        if (n === 512) await frame.waitForFunction(() => (window as unknown as { __benchMsg?: Record<string, number> }).__benchMsg?.analysisComplete, undefined, { timeout: 60_000, polling: 20 });
        const msg = await messageTimes(frame);
        if (n === 512) {
          let tl: HostTimeline | undefined;
          for (let k = 0; k < 20 && !tl; k++) {
            tl = timelineOf(cs.readExtensionLog(), files[name].n, t0);
            if (!tl) await new Promise((r) => setTimeout(r, 100));
          }
          wholeRuns512.push(traceOf(t0, t1, msg, tl, files[name].n, cpu));
        }
        samples.push(t1 - t0);
        if (msg.analysisStart) toStart.push(msg.analysisStart - t0);
        if (msg.headData) toHead.push(msg.headData - t0);
        if (msg.inferenceMs !== undefined) inference.push(msg.inferenceMs);
        log(`code-server: ${files[name].n} tokens: command → first paint ${t1 - t0} ms (analysisStart at ${msg.analysisStart - t0}, first head at ${msg.headData - t0})`);
      }
      commandToFirstPaintMs[String(n)] = {
        ...summarize(samples, 0),
        tokens: files[`t${n}-1.txt`].n,
        medianToAnalysisStartMs: toStart.length ? summarize(toStart, 0).median : null,
        medianToFirstHeadMs: toHead.length ? summarize(toHead, 0).median : null,
        medianInferenceMs: inference.length ? summarize(inference, 0).median : null,
      };
    }

    // Progressive first paint: the person picks a layer; one warm analysis at that layer lets the worker make the
    // two parts' sessions in the background (splitRunner.ts); then fresh 512-token texts are measured.
    const progressive512: Record<string, ProgressiveRuns> = {};
    let visibleLayer = -1;
    for (const layer of PROGRESSIVE_LAYERS) {
      frame = await webviewDocument(cs);
      await chooseLayer(frame, layer);
      visibleLayer = layer;
      await measure(`warm-layer${layer}.txt`);
      await new Promise((r) => setTimeout(r, 4000)); // the parts' sessions are made after that run
      const runs: RunTrace[] = [];
      for (let i = 0; i < reps; i++) {
        const run = await measure(`p${layer}-512-${i + 1}.txt`);
        runs.push(run);
        log(`code-server: layer ${layer + 1} visible, ${run.tokens} tokens: first paint ${run.commandToFirstPaintMs} ms (waited for ${run.waitedInferenceMs} ms of inference${run.progressive ? ', progressive' : ', whole'}; whole model ${run.wholeInferenceMs} ms; all heads at ${run.webview.complete} ms)`);
      }
      progressive512[String(layer)] = {
        layer,
        runs,
        commandToFirstPaintMs: summarize(runs.map((r) => r.commandToFirstPaintMs), 0),
        waitedInferenceMedianMs: median(runs.map((r) => r.waitedInferenceMs)),
        wholeInferenceMedianMs: median(runs.map((r) => r.wholeInferenceMs)),
        besidesInferenceMedianMs: median(runs.map((r) => r.besidesInferenceMs)),
        toCompleteMedianMs: median(runs.map((r) => r.webview.complete)),
      };
    }

    let long: CodeServerSection['longText4096'];
    try {
      const samples: number[] = [];
      let status = '';
      for (let i = 0; i < reps; i++) {
        const name = `long-4096-${i + 1}.txt`;
        await selectFile(cs, name);
        frame = await webviewDocument(cs);
        await armWatcher(frame, 512, files[name].text);
        const t0 = await press();
        const t1 = await waitPaint(frame, 60_000);
        status = (await frame.locator('.status-line').first().textContent().catch(() => '')) ?? '';
        samples.push(t1 - t0);
        log(`code-server: 4,096 tokens: command → first window painted ${t1 - t0} ms`);
      }
      long = { commandToFirstWindowPaintMs: summarize(samples, 0).median, samplesMs: samples, windowTokens: 512, windows: status.trim(), visibleLayer };
    } catch (e) {
      long = { notMeasured: `the first window was not painted: ${(e as Error).message.split('\n')[0]}` };
    }

    // Both models loaded: the compare command runs the encoder and the causal model.
    let loaded = ['encoder', 'causal'];
    try {
      await selectFile(cs, 'warm-a.txt');
      await cs.runCommand(COMPARE);
      frame = await webviewDocument(cs);
      await frame.locator('.pane[data-slot="1"] .text-view[data-head-ready] .token').first().waitFor({ timeout: 120_000 });
    } catch (e) {
      await cs.screenshot('bench-compare-failure');
      loaded = [`encoder (compare mode did not show the causal model: ${(e as Error).message.split('\n')[0]})`];
    }
    const pid = cs.pid !== undefined ? extensionHostPid(cs.pid) : undefined;
    const rss: CodeServerSection['extensionHostRss'] = pid ? { bytes: rssBytes(pid), pid, modelsLoaded: loaded } : { notMeasured: 'extension host process not found' };

    // VS Code's own activation figure, from Developer: Show Running Extensions (when the web workbench has it).
    let activation: string | null = null;
    try {
      await cs.runCommand('Developer: Show Running Extensions');
      const row = cs.page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: 'Attention Lens' }).first();
      await row.waitFor({ timeout: 15_000 });
      activation = ((await row.locator('.activation-time').first().textContent({ timeout: 5_000 })) ?? '').trim() || null;
    } catch {
      activation = null;
    }
    return {
      commandToFirstPaintMs,
      progressive512,
      wholeRuns512,
      longText4096: long,
      activation: {
        fromRunningExtensionsView: activation,
        ms: activation && /(\d+(?:\.\d+)?)\s*ms/.test(activation) ? Number(/(\d+(?:\.\d+)?)\s*ms/.exec(activation)![1]) : null,
        note: activation ? "VS Code's Running Extensions view" : 'the Running Extensions view was not available or had no activation time for Attention Lens',
      },
      extensionHostRss: rss,
      harness: { serverHealthyMs: cs.timings.serverHealthyMs, workbenchReadyMs: cs.timings.workbenchReadyMs },
      method:
        'code-server 4.100.3 + Chromium via test/e2e/codeServer.ts; key binding Ctrl+Alt+A on a select-all of a fresh file; Date.now() at the key press → Date.now() in the first frame after the text view shows all n tokens with the visible head (MutationObserver + rAF + MessageChannel in the webview)',
    };
  } catch (e) {
    if (vs) {
      const shot = await vs.screenshot('bench-code-server-failure');
      log(`code-server section failed; screenshot ${shot}; extension log tail: ${vs.readExtensionLog().slice(-1500)}`);
    }
    throw e;
  } finally {
    await vs?.stop();
    rmSync(ws, { recursive: true, force: true });
  }
}

export function roundMs(x: number): number {
  return round(x, 0);
}

/**
 * A target note's measured reason: where the first paints of `runs` went (median of each part) and who used the
 * two cores meanwhile (CPU summed over the runs, from the key press to the paint).
 */
export function firstPaintBreakdown(runs: readonly RunTrace[]): string {
  if (runs.length === 0) return '';
  const m = (f: (r: RunTrace) => number | null): string => String(median(runs.map(f)) ?? 'n/a');
  const parts =
    `medians: key → host ${m((r) => r.parts.keyPressToHost)} ms, tokenize ${m((r) => r.parts.tokenize)}, → worker call ${m((r) => r.parts.toInferenceCall)}, ` +
    `model ${m((r) => r.waitedInferenceMs)} + worker round trip ${m((r) => r.workerBeyondInferenceMs)}, → posted ${m((r) => r.parts.hostToFirstHeadPosted)} (head sent ${m((r) => r.parts.firstHeadPostedToSent)} later), ` +
    `→ analysisStart in the webview ${m((r) => r.parts.postedToWebview)}, → first head ${m((r) => r.parts.analysisStartToFirstHead)}, → painted ${m((r) => r.parts.webviewToPaint)}`;
  const spans = runs.map((r) => r.cpuToFirstPaint).filter((c): c is CpuSpan => c !== undefined);
  if (spans.length === 0) return parts;
  const { wallMs, cpuMs } = sumCpu(spans);
  const share = (ms: number): string => `${Math.round(ms)} ms (${Math.round((100 * ms) / wallMs)} % of one core)`;
  return (
    `${parts}; CPU from key press to paint over ${spans.length} runs (${Math.round(wallMs)} ms of wall time, 2 cores): extension host ${share(cpuMs.extensionHost)}, ` +
    `Chromium renderers ${share(cpuMs.chromiumRenderers)}, rest of Chromium ${share(cpuMs.chromiumOther)}, code-server ${share(cpuMs.codeServer)}, ` +
    `bench driver ${share(cpuMs.benchDriver)}, other ${share(cpuMs.other)}`
  );
}
