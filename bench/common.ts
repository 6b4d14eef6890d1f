/** Small helpers shared by the benchmark sections: statistics, progress on stderr, the real text corpus. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export const repoRoot = path.resolve(__dirname, '..');

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  // Nearest-rank: p95 of 10 samples is the 10th (the worst), never an interpolation below it.
  const rank = Math.min(s.length, Math.max(1, Math.ceil(q * s.length)));
  return s[rank - 1];
}

export const median = (v: readonly number[]): number => quantile(v, 0.5);
export const p95 = (v: readonly number[]): number => quantile(v, 0.95);

export interface Summary {
  median: number;
  p95: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(values: readonly number[], digits = 2): Summary {
  return {
    median: round(median(values), digits),
    p95: round(p95(values), digits),
    min: round(Math.min(...values), digits),
    max: round(Math.max(...values), digits),
    runs: values.length,
  };
}

/** Times `fn` `runs` times after `warmup` runs; milliseconds. */
export async function timeRuns(fn: () => unknown, runs: number, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

function listFiles(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out;
}

/**
 * The real English + code text every figure is measured on: the repository's own README, ARCHITECTURE,
 * the model contract and every source file of src/ and webview/, concatenated in a fixed order.
 */
export function corpusText(): { text: string; files: string[] } {
  const files = [
    'README.md',
    'ARCHITECTURE.md',
    'models/README.md',
    'test/fixtures/sample-workspace/prose.md',
    ...listFiles(path.join(repoRoot, 'src'), '.ts').map((f) => path.relative(repoRoot, f)),
    ...listFiles(path.join(repoRoot, 'webview'), '.ts').map((f) => path.relative(repoRoot, f)),
  ].filter((f) => {
    try {
      return statSync(path.join(repoRoot, f)).isFile();
    } catch {
      return false;
    }
  });
  const text = files.map((f) => readFileSync(path.join(repoRoot, f), 'utf8')).join('\n\n');
  return { text, files };
}

/**
 * This thread's scheduler counters on Linux (`/proc/thread-self/schedstat`: ns on a CPU, ns waiting in the run
 * queue), or null elsewhere. Read at every probe turn, they split a gap into the thread's own work (our code, GC)
 * and the time it was ready but had no core (onnxruntime's threads and the other processes on a 2-core machine).
 */
function readSchedstat(): [number, number] | null {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? [run / 1e6, wait / 1e6] : null;
  } catch {
    return null;
  }
}

/** One gap between two probe turns: its length, and (on Linux) how much of it the thread ran or waited for a CPU. */
export interface Gap {
  gapMs: number;
  onCpuMs: number | null;
  waitingForCpuMs: number | null;
  /** V8 garbage collection within the gap (perf_hooks 'gc' entries overlapping it) */
  gcMs: number;
}

/**
 * Measures how long the event loop is blocked while work runs: a 1 ms timer chain records every gap between
 * two of its turns (a gap of g ms means the loop was busy for about g − 1 ms). Each gap is charged to the phase
 * that occupied most of it (the work calls setPhase() as it goes; transitions are time-stamped). Also
 * perf_hooks.monitorEventLoopDelay (resolution 1 ms) as a second opinion. On Linux each phase's longest gap is
 * split by the thread's schedstat into time on a CPU and time waiting for one, with the V8 garbage collection
 * inside it (`split`; the rest of a gap the thread was asleep: the 1 ms timer, a lock, GC helper threads), and the
 * longest time on a CPU within one gap is kept per phase too (`onCpuByPhase`).
 */
export class LagProbe {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private lastSched: [number, number] | null = null;
  private readonly histogram = monitorEventLoopDelay({ resolution: 1 });
  /** Phase transitions since the last tick (time, phase), starting with the phase current at the last tick. */
  private transitions: Array<[number, string]> = [[0, 'idle']];
  readonly worst = new Map<string, Gap & { from: number; to: number }>();
  private readonly worstOnCpu = new Map<string, number>();
  private readonly gcs: Array<[number, number]> = [];
  private readonly gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.gcs.push([e.startTime, e.startTime + e.duration]);
  });

  setPhase(phase: string): void {
    this.transitions.push([performance.now(), phase]);
  }

  private charge(from: number, to: number, sched: [number, number] | null): void {
    const share = new Map<string, number>();
    for (let i = 0; i < this.transitions.length; i++) {
      const s = Math.max(from, this.transitions[i][0]);
      const e = i + 1 < this.transitions.length ? Math.min(to, this.transitions[i + 1][0]) : to;
      if (e > s) share.set(this.transitions[i][1], (share.get(this.transitions[i][1]) ?? 0) + (e - s));
    }
    let phase = this.transitions[this.transitions.length - 1][1];
    let best = -1;
    for (const [k, v] of share) if (v > best) [phase, best] = [k, v];
    const before = this.lastSched;
    const gap = {
      from,
      to,
      gapMs: to - from,
      onCpuMs: sched && before ? sched[0] - before[0] : null,
      waitingForCpuMs: sched && before ? sched[1] - before[1] : null,
      gcMs: 0,
    };
    if (gap.gapMs > (this.worst.get(phase)?.gapMs ?? 0)) this.worst.set(phase, gap);
    if (gap.onCpuMs !== null && gap.onCpuMs > (this.worstOnCpu.get(phase) ?? 0)) this.worstOnCpu.set(phase, gap.onCpuMs);
    this.transitions = [[to, this.transitions[this.transitions.length - 1][1]]];
  }

  start(): void {
    this.histogram.enable();
    this.gcObserver.observe({ entryTypes: ['gc'] });
    this.last = performance.now();
    this.lastSched = readSchedstat();
    this.transitions = [[this.last, this.transitions[this.transitions.length - 1][1]]];
    const tick = (): void => {
      const now = performance.now();
      const sched = readSchedstat();
      this.charge(this.last, now, sched);
      this.last = now;
      this.lastSched = sched;
      this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }

  stop(): {
    longestGapMs: number;
    byPhase: Record<string, number>;
    split: Record<string, Gap>;
    onCpuByPhase: Record<string, number>;
    eventLoopDelayMaxMs: number;
    eventLoopDelayP99Ms: number;
  } {
    clearTimeout(this.timer);
    this.histogram.disable();
    this.gcObserver.disconnect();
    const gcWithin = (from: number, to: number): number =>
      this.gcs.reduce((sum, [s, e]) => sum + Math.max(0, Math.min(to, e) - Math.max(from, s)), 0);
    const byPhase: Record<string, number> = {};
    const split: Record<string, Gap> = {};
    for (const [k, g] of this.worst) {
      byPhase[k] = round(g.gapMs, 1);
      split[k] = {
        gapMs: round(g.gapMs, 1),
        onCpuMs: g.onCpuMs === null ? null : round(g.onCpuMs, 1),
        waitingForCpuMs: g.waitingForCpuMs === null ? null : round(g.waitingForCpuMs, 1),
        gcMs: round(gcWithin(g.from, g.to), 1),
      };
    }
    const onCpuByPhase: Record<string, number> = {};
    for (const [k, v] of this.worstOnCpu) onCpuByPhase[k] = round(v, 1);
    return {
      longestGapMs: round(Math.max(0, ...Object.values(byPhase)), 1),
      byPhase,
      split,
      onCpuByPhase,
      eventLoopDelayMaxMs: round(this.histogram.max / 1e6, 1),
      eventLoopDelayP99Ms: round(this.histogram.percentile(99) / 1e6, 1),
    };
  }
}

/** The median of the values that were measured (null and NaN left out), or null when none was. */
export function medianOrNull(xs: readonly (number | null | undefined)[], digits = 1): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  return round(v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2, digits);
}

/**
 * Who used the CPU while something was measured: per-process CPU time (utime + stime from /proc/PID/stat, whole
 * processes with their threads) between two snapshots, grouped by what the process is. On a 2-core machine a
 * figure measured in code-server shares the cores with the browser that paints it; this says with whom and how much.
 */
export type CpuGroup = 'extensionHost' | 'chromiumRenderers' | 'chromiumOther' | 'codeServer' | 'benchDriver' | 'other';

export interface CpuSnapshot {
  at: number;
  /** by pid: CPU ticks so far and the process's group */
  procs: Map<string, { ticks: number; group: CpuGroup }>;
}

const groupCache = new Map<string, CpuGroup>();
const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux x86-64

function groupOf(pid: string): CpuGroup {
  const cached = groupCache.get(pid);
  if (cached) return cached;
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    /* gone */
  }
  const group: CpuGroup =
    pid === String(process.pid)
      ? 'benchDriver'
      : cmd.includes('type=extensionHost')
        ? 'extensionHost'
        : /chrom(e|ium).*--type=renderer/.test(cmd)
          ? 'chromiumRenderers'
          : /chrom(e|ium)/.test(cmd)
            ? 'chromiumOther'
            : cmd.includes('code-server')
              ? 'codeServer'
              : 'other';
  // A pid's command line is only cached once it has one (a process read before its exec would be misfiled).
  if (cmd) groupCache.set(pid, group);
  return group;
}

export function cpuSnapshot(): CpuSnapshot {
  const procs = new Map<string, { ticks: number; group: CpuGroup }>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return { at: Date.now(), procs }; // no /proc (not Linux): nothing to attribute
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(pid, { ticks: Number(fields[11]) + Number(fields[12]), group: groupOf(pid) });
    } catch {
      /* exited between the listing and the read */
    }
  }
  return { at: Date.now(), procs };
}

/** CPU time per process group over a span of wall time (both ms). */
export interface CpuSpan {
  wallMs: number;
  cpuMs: Record<CpuGroup, number>;
}

const noCpu = (): Record<CpuGroup, number> => ({ extensionHost: 0, chromiumRenderers: 0, chromiumOther: 0, codeServer: 0, benchDriver: 0, other: 0 });

/** CPU milliseconds per group between two snapshots (processes that exited in between are not counted), and the wall time. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuSpan {
  const cpuMs = noCpu();
  for (const [pid, now] of b.procs) cpuMs[now.group] += (now.ticks - (a.procs.get(pid)?.ticks ?? 0)) * CLOCK_TICK_MS;
  return { wallMs: b.at - a.at, cpuMs };
}

/** Sums per-group CPU of several measured spans (e.g. the runs of one mode). */
export function sumCpu(spans: readonly CpuSpan[]): CpuSpan {
  const cpuMs = noCpu();
  let wallMs = 0;
  for (const s of spans) {
    wallMs += s.wallMs;
    for (const k of Object.keys(cpuMs) as CpuGroup[]) cpuMs[k] += s.cpuMs[k];
  }
  return { wallMs, cpuMs };
}
