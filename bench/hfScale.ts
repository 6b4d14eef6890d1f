/**
 * "Your own models" at scale (issue 12): a GPT-2-small-sized Hugging Face folder (12 layers × 12 heads, d 768,
 * vocabulary 50,257, random weights) generated on demand into .cache/bench/gpt2-small/ by
 * models/training/hf_fixtures/make_gpt2_small.py (not committed), measured at 512 tokens:
 * - inference in-process (the CLI's path: analyzeTokens → runHfModel, warm session), median of a few runs;
 * - the first open (graph rewrite + cache write + session) against a second open from the graph cache;
 * - in code-server, command → first head painted, and its ratio to the inference of the same analysis;
 * - the extension host's peak RSS during an analysis (VmHWM, reset before it through /proc/PID/clear_refs);
 * - the bytes posted to the webview before the first paint (analysisStart + the first headData).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import type { TextTokenizer } from '../src/hfTokenizer/textTokenizer';
import { getHfSession, releaseHfSessions } from '../src/hfModel/hfRunner';
import type { ModelManifest } from '../src/model/modelManifest';
import { ModelRegistry } from '../src/model/modelRegistry';
import { analyzeTokens, type AnalysisResult } from '../src/pipeline/analyze';
import type { HostToWebview } from '../src/protocol/messages';
import { AnalysisStreamer } from '../src/panel/analysisStreamer';
import type { Token } from '../src/tokenizer/byteLevelBpe';
import { codeServerEntry, startCodeServer, type CodeServer } from '../test/e2e/codeServer';
import { corpusText, log, median, repoRoot, round } from './common';
import { benchWebviewSize, withChromium, type WebviewRow } from './webview';

const PYTHON = '/usr/bin/python3';
const MAKER = path.join(repoRoot, 'models', 'training', 'hf_fixtures', 'make_gpt2_small.py');
export const HF_SCALE_FOLDER = path.join(repoRoot, '.cache', 'bench', 'gpt2-small');
const N = 512;
const SHOW = 'Attention Lens: Show Attention for Selection';
const MIB = 2 ** 20;

export interface HfScaleSection {
  folder: string;
  model: { id: string; layers: number; heads: number; dModel: number; vocabSize: number | undefined; modelFileMiB: number };
  fixture: { generated: boolean; generateS: number | null };
  tokens: number;
  inProcess: {
    /** session.run as runHfModel times it, warm session, ms */
    inferenceMs: { median: number; runs: number[] };
    /** CPU time of this process (all threads) per analysis, ms: against the wall time, how much CPU it got */
    analyzeCpuMs: { median: number; runs: number[] };
    /** analyzeTokens end to end (bias, run, copy out), ms */
    analyzeWallMs: { median: number; runs: number[] };
    /** first open with an empty graph cache (read, rewrite, write the cache, create the session, rank check), ms */
    firstOpenMs: number;
    /** the same after releasing the session: the rewritten graph read from the cache, ms */
    secondOpenFromCacheMs: number;
    cachedGraphMiB: number | null;
    /** this process's VmHWM after an analysis, the high-water mark reset just before it */
    peakRssDuringAnalysisMiB: number | null;
    rssBeforeAnalysisMiB: number;
  };
  bytesBeforeFirstPaint: {
    /** what the real AnalysisStreamer posts up to and including the first headData */
    streamer: { analysisStartBytes: number; firstHeadBytes: number; totalBytes: number; note: string };
    /** the same two messages as the panel's webview received them in code-server (JSON size + the head's buffer) */
    webview: { analysisStartBytes: number; firstHeadBytes: number; totalBytes: number } | null;
  };
  codeServer: CodeServerScale | { notMeasured: string };
  /**
   * Issue 14's hover target at this model's size: the webview section (bench/webview.ts) on this 512-token analysis
   * in the standalone page, "every head of the layer" being 12 heads here (its `headViewAllHeads.heads`).
   */
  webview: WebviewRow | { notMeasured: string };
  loadAverage: string;
  method: string;
}

interface CodeServerScale {
  firstAnalysisMs: number;
  runs: {
    commandToFirstPaintMs: number;
    hostInferenceMs: number | null;
    ratio: number | null;
    /** commandToFirstPaintMs − hostInferenceMs: what else the first paint waited for (issue 14's measure) */
    besidesInferenceMs: number | null;
    /** from the key press to the host's start of the analysis (its timeline's `at`) */
    keyPressToHostMs: number | null;
    toAnalysisStartMs: number | null;
    toFirstHeadMs: number | null;
    /** CPU time (user + system, all threads) of the extension host process from the key press to the first paint */
    extensionHostCpuMs: number | null;
    /** VmHWM of the extension host over this analysis */
    extensionHostPeakRssMiB: number | null;
    /** its VmRSS just before the key press (the mark is reset to this): what the peak grew from */
    extensionHostRssBeforeMiB: number | null;
    /** the host's own timeline of this analysis (AnalysisSession's `analysis timeline` log line), ms since it began */
    hostTimeline: Record<string, number> | null;
  }[];
  commandToFirstPaintMs: number;
  hostInferenceMs: number | null;
  /** median of per-run (command → first paint) / (the host's session.run time of that same analysis) */
  ratioToInference: number | null;
  besidesInferenceMs: number | null;
  /** median first paint / the in-process median inference measured by this section just before */
  ratioToInProcessInference: number;
  /** the largest VmHWM over the measured analyses */
  extensionHostPeakRssMiB: number | null;
  extensionHostRssAfterMiB: number | null;
}

/** Whether /usr/bin/python3 can import torch: the generator needs it. */
function pythonWithTorch(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} cannot import torch (${(r.stderr || '').trim().split('\n').pop()})`;
}

/**
 * The folder, made if missing. It is written under a temporary name and renamed, so a run cut short never
 * leaves a half-written folder that a later run would take for a finished one.
 */
function ensureFixture(): { generated: boolean; seconds: number | null } | { missing: string } {
  if (existsSync(path.join(HF_SCALE_FOLDER, 'config.json')) && existsSync(path.join(HF_SCALE_FOLDER, 'onnx', 'model.onnx'))) return { generated: false, seconds: null };
  const why = pythonWithTorch();
  if (why) return { missing: `the GPT-2-small-sized fixture is not in ${HF_SCALE_FOLDER} and cannot be generated: ${why}` };
  const tmp = `${HF_SCALE_FOLDER}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(path.dirname(tmp), { recursive: true });
  log(`hfScale: generating the GPT-2-small-sized folder (about 650 MB, minutes) with ${path.relative(repoRoot, MAKER)}`);
  const t0 = performance.now();
  const r = spawnSync(PYTHON, [MAKER, tmp], { stdio: ['ignore', 2, 2], timeout: 30 * 60_000 });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`${path.relative(repoRoot, MAKER)} failed (exit ${r.status ?? r.signal})`);
  }
  rmSync(HF_SCALE_FOLDER, { recursive: true, force: true });
  renameSync(tmp, HF_SCALE_FOLDER);
  return { generated: true, seconds: round((performance.now() - t0) / 1000, 1) };
}

/** The first `n` tokens of the corpus as a text that the tokenizer, run on it alone, splits into exactly n tokens. */
function textOfTokens(tokenizer: TextTokenizer, corpus: string, skipChars: number, n: number): { text: string; tokens: Token[] } {
  const body = corpus.slice(skipChars);
  const all = tokenizer.encode(body.slice(0, n * 12));
  if (all.length < n) throw new Error(`the corpus gives only ${all.length} tokens from character ${skipChars}, ${n} needed`);
  let text = body.slice(0, all[n - 1].end);
  let tokens = tokenizer.encode(text);
  // Tokenized alone the piece may end differently by a token: trim until it is n tokens or fewer.
  while (tokens.length > n) {
    text = text.slice(0, tokens[n - 1].end);
    tokens = tokenizer.encode(text);
  }
  return { text, tokens };
}

const mib = (bytes: number): number => round(bytes / MIB, 1);

function procStatusKiB(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Resets a process's peak-RSS mark (VmHWM), Linux ≥ 4.0; false when not allowed. */
function resetPeakRss(pid: number | 'self'): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Sizes of what the real streamer posts for `result` up to and including the first headData. */
async function streamerBytes(result: Parameters<AnalysisStreamer['show']>[2]): Promise<HfScaleSection['bytesBeforeFirstPaint']['streamer']> {
  const posted: HostToWebview[] = [];
  const streamer = new AnalysisStreamer((m) => posted.push(m));
  await streamer.show(0, streamer.begin(0), result, { documentOffset: 0, sourceLabel: 'bench' });
  const size = (m: HostToWebview | undefined): number => {
    if (!m) return 0;
    let buffers = 0;
    const json = JSON.stringify(m, (_k, v: unknown) => {
      if (v instanceof ArrayBuffer) {
        buffers += v.byteLength;
        return null;
      }
      return v;
    });
    return Buffer.byteLength(json) + buffers;
  };
  const start = size(posted.find((m) => m.type === 'analysisStart'));
  const head = size(posted.find((m) => m.type === 'headData'));
  return {
    analysisStartBytes: start,
    firstHeadBytes: head,
    totalBytes: start + head,
    note: 'the real AnalysisStreamer on the same 512-token analysis, in the bench process: each message as JSON with its ArrayBuffer counted by byteLength',
  };
}

/** User + system CPU time of a process (all its threads), ms; null when it cannot be read. */
function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) in clock ticks; 100 per second on Linux.
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

/** The host's timeline of the analysis of `n` tokens that began after `since` (epoch ms), from the extension's log. */
function hostTimeline(logText: string, n: number, since: number): Record<string, number> | null {
  for (const line of logText.split('\n')) {
    const at = line.indexOf('analysis timeline ');
    if (at < 0) continue;
    try {
      const t = JSON.parse(line.slice(at + 'analysis timeline '.length)) as Record<string, number>;
      if (t.n === n && t.at >= since - 5) return t;
    } catch {
      /* a line cut by a concurrent write */
    }
  }
  return null;
}

function extensionHostPid(serverPid: number): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('--type=extensionHost')) continue;
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === serverPid) return Number(d);
    } catch {
      /* the process ended */
    }
  }
  return undefined;
}

async function panelDocument(vs: CodeServer): Promise<Frame> {
  const outer = await (await vs.page.locator('iframe.webview.ready').last().elementHandle({ timeout: 120_000 }))?.contentFrame();
  if (!outer) throw new Error('no webview frame');
  const inner = await (await outer.locator('#active-frame').elementHandle({ timeout: 120_000 }))?.contentFrame();
  if (!inner) throw new Error('no webview content frame');
  return inner;
}

interface Watch {
  paintAt?: number;
  msg: Record<string, number>;
  bytes: Record<string, number>;
}

/**
 * Arms a watcher in the panel's document: the Date.now() of the first frame after the text view shows all n
 * tokens with their attention labels (the visible head arrived), the arrival time of the first message of each
 * type and the sizes of analysisStart and the first headData as received.
 */
async function arm(frame: Frame, n: number, text: string): Promise<void> {
  await frame.evaluate(([expected, start]) => {
    const w = window as unknown as { __hfScale?: Watch; __hfScaleObserver?: MutationObserver; __hfScaleListening?: boolean };
    w.__hfScale = { msg: {}, bytes: {} };
    if (!w.__hfScaleListening) {
      w.__hfScaleListening = true;
      window.addEventListener(
        'message',
        (e: MessageEvent) => {
          const data = e.data as { type?: unknown; inferenceMs?: unknown } | null;
          const watch = w.__hfScale;
          if (!watch || typeof data?.type !== 'string' || data.type in watch.msg) return;
          watch.msg[data.type] = Date.now();
          if (data.type === 'analysisStart' && typeof data.inferenceMs === 'number') watch.msg.inferenceMs = data.inferenceMs;
          let buffers = 0;
          const json = JSON.stringify(data, (_k, v: unknown) => {
            if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
              buffers += v.byteLength;
              return null;
            }
            return v;
          });
          watch.bytes[data.type] = new TextEncoder().encode(json).length + buffers;
        },
        true,
      );
    }
    w.__hfScaleObserver?.disconnect();
    const ready = (): boolean => {
      const tokens = document.querySelectorAll('.text-view .token');
      if (tokens.length !== expected || !tokens[expected - 1].hasAttribute('aria-label')) return false;
      // The previous text may have as many tokens: the new one is told apart by its start.
      return (document.querySelector('.text-view')?.textContent ?? '').startsWith(start);
    };
    const done = (): void => {
      w.__hfScaleObserver?.disconnect();
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          if (w.__hfScale) w.__hfScale.paintAt = Date.now();
        };
        ch.port2.postMessage(0);
      });
    };
    const mo = new MutationObserver(() => {
      if (ready()) done();
    });
    w.__hfScaleObserver = mo;
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'] });
    if (ready()) done(); // the first analysis may have been painted before the watcher was armed
  }, [n, text.slice(0, 40)] as const);
}

async function painted(frame: Frame, timeoutMs: number, untilComplete = true): Promise<Watch> {
  await frame.waitForFunction(() => (window as unknown as { __hfScale?: Watch }).__hfScale?.paintAt, undefined, { timeout: timeoutMs, polling: 20 });
  if (untilComplete) await frame.waitForFunction(() => (window as unknown as { __hfScale?: Watch }).__hfScale?.msg.analysisComplete, undefined, { timeout: timeoutMs, polling: 50 });
  return frame.evaluate(() => (window as unknown as { __hfScale: Watch }).__hfScale);
}

async function inCodeServer(
  m: ModelManifest,
  texts: { warm: string; warmN: number; measured: { text: string; n: number }[] },
  inProcessMedianMs: number,
): Promise<{ cs: CodeServerScale; webviewBytes: HfScaleSection['bytesBeforeFirstPaint']['webview'] }> {
  if (!existsSync(codeServerEntry)) throw new Error(`code-server is not installed at ${codeServerEntry} (node scripts/ensure-code-server.mjs)`);
  const ws = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-bench-hfscale-'));
  writeFileSync(path.join(ws, 'warm.txt'), texts.warm);
  texts.measured.forEach((t, i) => writeFileSync(path.join(ws, `t512-${i + 1}.txt`), t.text));
  let vs: CodeServer | undefined;
  try {
    // The models path names the one HF folder (allowed in a trusted workspace; the harness disables trust).
    vs = await startCodeServer({
      workspace: ws,
      settings: { 'attentionLens.followSelection': false, 'attentionLens.modelsPath': HF_SCALE_FOLDER, 'attentionLens.defaultModel': m.id },
    });
    const server = vs;
    log(`hfScale: code-server up (workbench ${server.timings.workbenchReadyMs} ms)`);
    // First analysis: the extension rewrites the graph into its own storage and opens the session.
    await server.openFile('warm.txt');
    await server.selectAll();
    const tFirst = Date.now();
    await server.runCommand(SHOW);
    let frame = await panelDocument(server);
    await arm(frame, texts.warmN, texts.warm);
    await painted(frame, 600_000, false);
    const firstAnalysisMs = Date.now() - tFirst;
    log(`hfScale: code-server first analysis (rewrite + session + ${texts.warmN} tokens) ${firstAnalysisMs} ms`);
    const hostPid = server.pid !== undefined ? extensionHostPid(server.pid) : undefined;
    const runs: CodeServerScale['runs'] = [];
    let peak: number | null = null;
    let webviewBytes: HfScaleSection['bytesBeforeFirstPaint']['webview'] = null;
    for (const [i, t] of texts.measured.entries()) {
      await server.openFile(`t512-${i + 1}.txt`);
      await server.selectAll();
      frame = await panelDocument(server);
      await arm(frame, t.n, t.text);
      const canReset = hostPid !== undefined && resetPeakRss(hostPid);
      const rssBefore = hostPid !== undefined ? procStatusKiB(hostPid, 'VmRSS') : null;
      const cpu0 = hostPid !== undefined ? processCpuMs(hostPid) : null;
      const t0 = Date.now();
      await server.page.keyboard.press('Control+Alt+A');
      const w = await painted(frame, 300_000, false);
      const cpu1 = hostPid !== undefined ? processCpuMs(hostPid) : null;
      await painted(frame, 300_000);
      const hwm = canReset ? procStatusKiB(hostPid, 'VmHWM') : null;
      let timeline: Record<string, number> | null = null;
      for (let k = 0; k < 20 && !timeline; k++) {
        timeline = hostTimeline(server.readExtensionLog(), t.n, t0);
        if (!timeline) await new Promise((r) => setTimeout(r, 100)); // the log is written asynchronously
      }
      if (hwm !== null) peak = Math.max(peak ?? 0, hwm * 1024);
      const paint = (w.paintAt as number) - t0;
      const inf = w.msg.inferenceMs ?? null;
      runs.push({
        commandToFirstPaintMs: paint,
        hostInferenceMs: inf === null ? null : round(inf, 0),
        ratio: inf ? round(paint / inf, 2) : null,
        besidesInferenceMs: inf === null ? null : round(paint - inf, 0),
        keyPressToHostMs: timeline ? round(timeline.at - t0, 0) : null,
        toAnalysisStartMs: w.msg.analysisStart ? w.msg.analysisStart - t0 : null,
        toFirstHeadMs: w.msg.headData ? w.msg.headData - t0 : null,
        extensionHostCpuMs: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null,
        extensionHostPeakRssMiB: hwm === null ? null : mib(hwm * 1024),
        extensionHostRssBeforeMiB: rssBefore === null ? null : mib(rssBefore * 1024),
        hostTimeline: timeline,
      });
      webviewBytes ??= { analysisStartBytes: w.bytes.analysisStart, firstHeadBytes: w.bytes.headData, totalBytes: w.bytes.analysisStart + w.bytes.headData };
      log(`hfScale: code-server ${t.n} tokens: command → first paint ${paint} ms, host inference ${inf} ms, host VmHWM ${hwm === null ? 'n/a' : mib(hwm * 1024)} MiB`);
    }
    const after = hostPid !== undefined ? procStatusKiB(hostPid, 'VmRSS') : null;
    const paintMedian = median(runs.map((r) => r.commandToFirstPaintMs));
    const infs = runs.map((r) => r.hostInferenceMs).filter((x): x is number => x !== null);
    const ratios = runs.map((r) => r.ratio).filter((x): x is number => x !== null);
    return {
      cs: {
        firstAnalysisMs,
        runs,
        commandToFirstPaintMs: paintMedian,
        hostInferenceMs: infs.length ? median(infs) : null,
        ratioToInference: ratios.length ? median(ratios) : null,
        besidesInferenceMs: infs.length ? median(runs.flatMap((r) => (r.besidesInferenceMs === null ? [] : [r.besidesInferenceMs]))) : null,
        ratioToInProcessInference: round(paintMedian / inProcessMedianMs, 2),
        extensionHostPeakRssMiB: peak === null ? null : mib(peak),
        extensionHostRssAfterMiB: after === null ? null : mib(after * 1024),
      },
      webviewBytes,
    };
  } catch (e) {
    if (vs) log(`hfScale: code-server failed; screenshot ${await vs.screenshot('bench-hfscale-failure')}; extension log tail: ${vs.readExtensionLog().slice(-1500)}`);
    throw e;
  } finally {
    await vs?.stop();
    rmSync(ws, { recursive: true, force: true });
  }
}

/** The webview section's page and hovers (bench/webview.ts) on this model's analysis, in a Chromium of its own. */
async function hoversAtScale(result: AnalysisResult, id: string, options: { hovers: number; svgBudgetMs: number }): Promise<WebviewRow | { notMeasured: string }> {
  try {
    return await withChromium((browser) => benchWebviewSize(browser, result, `${id}, ${result.n} tokens`, options));
  } catch (e) {
    return { notMeasured: `failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** The section; `{ notMeasured }` with the reason when the fixture cannot be made (no python/torch). */
export async function benchHfScale(
  options: { runs?: number; codeServerRuns?: number; codeServer?: boolean; hovers: number; svgBudgetMs: number },
): Promise<HfScaleSection | { notMeasured: string }> {
  const fixture = ensureFixture();
  if ('missing' in fixture) return { notMeasured: fixture.missing };
  const cacheFolder = mkdtempSync(path.join(os.tmpdir(), 'attention-lens-bench-hfscale-graphs-'));
  try {
    const registry = new ModelRegistry([], { extraFolders: [HF_SCALE_FOLDER], cacheFolder });
    const m = await registry.getByFolder(HF_SCALE_FOLDER);
    const tokenizer = await registry.textTokenizer(m);
    const { text: corpus } = corpusText();
    const p = textOfTokens(tokenizer, corpus, 0, N);
    if (p.tokens.length !== N) log(`hfScale: the text is ${p.tokens.length} tokens, not ${N}`);

    // First open (empty cache: rewrite + write) against a second one from the cache, each a fresh session.
    let t0 = performance.now();
    await getHfSession(m, false);
    const firstOpenMs = round(performance.now() - t0, 0);
    await releaseHfSessions();
    t0 = performance.now();
    await getHfSession(m, false);
    const secondOpenFromCacheMs = round(performance.now() - t0, 0);
    const cached = readdirSync(cacheFolder).filter((f) => f.endsWith('.onnx'));
    const cachedGraphMiB = cached.length ? mib(statSync(path.join(cacheFolder, cached[0])).size) : null;
    log(`hfScale: first open ${firstOpenMs} ms, second open from the cache ${secondOpenFromCacheMs} ms`);

    // Warm session: one run, then the measured ones. Peak RSS of this process over the first measured analysis.
    await analyzeTokens(m, p.text, p.tokens, 'default');
    const rssBefore = (procStatusKiB('self', 'VmRSS') ?? 0) * 1024;
    const canReset = resetPeakRss('self');
    const inferenceRuns: number[] = [];
    const wallRuns: number[] = [];
    const cpuRuns: number[] = [];
    let peakSelf: number | null = null;
    let last: Awaited<ReturnType<typeof analyzeTokens>> | undefined;
    const runs = Math.max(3, options.runs ?? 5);
    for (let i = 0; i < runs; i++) {
      const w0 = performance.now();
      const c0 = process.cpuUsage();
      last = await analyzeTokens(m, p.text, p.tokens, 'default');
      wallRuns.push(round(performance.now() - w0, 0));
      const c = process.cpuUsage(c0);
      cpuRuns.push(round((c.user + c.system) / 1000, 0));
      inferenceRuns.push(round(last.inferenceMs, 0));
      if (i === 0 && canReset) peakSelf = (procStatusKiB('self', 'VmHWM') ?? 0) * 1024;
    }
    const inferenceMedian = median(inferenceRuns);
    log(`hfScale: in-process inference at ${p.tokens.length} tokens: median ${inferenceMedian} ms (${inferenceRuns.join(', ')})`);
    const streamer = await streamerBytes(last as NonNullable<typeof last>);
    const webview = await hoversAtScale(last as NonNullable<typeof last>, m.id, { hovers: options.hovers, svgBudgetMs: options.svgBudgetMs });
    last = undefined;
    await releaseHfSessions();

    let codeServer: HfScaleSection['codeServer'] = { notMeasured: 'skipped' };
    let webviewBytes: HfScaleSection['bytesBeforeFirstPaint']['webview'] = null;
    if (options.codeServer !== false) {
      try {
        const warm = textOfTokens(tokenizer, corpus, 100_000, 100);
        const measured = Array.from({ length: Math.max(1, options.codeServerRuns ?? 3) }, (_, i) => textOfTokens(tokenizer, corpus, 20_000 + i * 20_000, N)).map((t) => ({ text: t.text, n: t.tokens.length }));
        const r = await inCodeServer(m, { warm: warm.text, warmN: warm.tokens.length, measured }, inferenceMedian);
        codeServer = r.cs;
        webviewBytes = r.webviewBytes;
      } catch (e) {
        codeServer = { notMeasured: `failed: ${(e as Error).message.split('\n')[0]}` };
      }
    }
    return {
      folder: path.relative(repoRoot, HF_SCALE_FOLDER),
      model: { id: m.id, layers: m.layers, heads: m.heads, dModel: m.dModel, vocabSize: m.vocabSize, modelFileMiB: mib(statSync(m.modelPath).size) },
      fixture: { generated: fixture.generated, generateS: fixture.seconds },
      tokens: p.tokens.length,
      inProcess: {
        inferenceMs: { median: inferenceMedian, runs: inferenceRuns },
        analyzeWallMs: { median: median(wallRuns), runs: wallRuns },
        analyzeCpuMs: { median: median(cpuRuns), runs: cpuRuns },
        firstOpenMs,
        secondOpenFromCacheMs,
        cachedGraphMiB,
        peakRssDuringAnalysisMiB: peakSelf === null ? null : mib(peakSelf),
        rssBeforeAnalysisMiB: mib(rssBefore),
      },
      bytesBeforeFirstPaint: { streamer, webview: webviewBytes },
      codeServer,
      webview,
      loadAverage: readFileSync('/proc/loadavg', 'utf8').trim(),
      method:
        'inProcess: analyzeTokens → runHfModel in this process (the CLI path), onnxruntime-node with the runner options; firstOpenMs with an empty graph cache, secondOpenFromCacheMs after releaseHfSessions; peak RSS = VmHWM of this process after one 512-token analysis, reset through /proc/self/clear_refs just before. codeServer: attentionLens.modelsPath = the folder, defaultModel = its id; a 100-token warm-up through the command palette (the extension rewrites the graph into its storage), then fresh 512-token texts through Ctrl+Alt+A; first paint as in codeServerBench (all n tokens carry their labels, next frame); ratio = first paint / the host inference carried by analysisStart of the same analysis; extensionHostPeakRssMiB = VmHWM of the extension host process (its inference worker thread included), reset before each measured analysis',
    };
  } finally {
    await releaseHfSessions();
    rmSync(cacheFolder, { recursive: true, force: true });
  }
}
