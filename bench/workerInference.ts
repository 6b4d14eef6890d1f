/**
 * A what-if for the blocking figure: onnxruntime-node runs `session.run` on the calling JS thread (its backend
 * calls the native run synchronously inside a setImmediate), so the extension host cannot run anything else
 * during inference. This runs the same model, same inputs and session options in a worker_thread instead and
 * measures the main thread's longest blocked slice meanwhile. It is a measurement of an alternative, not of the
 * extension's current code (which the `blocking` figure measures).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ModelManifest } from '../src/model/modelManifest';
import { LagProbe, summarize, type Summary } from './common';
import { openSession, SESSION_OPTIONS, sessionSource } from '../src/model/modelRunner';
import { turnOffOrtTelemetry } from '../src/model/ortTelemetry';

interface Job {
  modelPath: string;
  ids: number[];
  bias: Float32Array;
  runs: number;
}

/** Worker side: started by `new Worker(__filename, { workerData: { benchWorker: true, ... } })` from dist/bench.js. */
export async function workerMain(): Promise<boolean> {
  if (isMainThread || !(workerData as { benchWorker?: boolean } | undefined)?.benchWorker) return false;
  const job = (workerData as { job: Job }).job;
  const ort = (await import('onnxruntime-node')) as typeof import('onnxruntime-node');
  // The graph and options the runner uses for the panel.
  const session = await openSession((await sessionSource(job.modelPath, false)).source, SESSION_OPTIONS);
  const n = job.ids.length;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(job.ids, (x) => BigInt(x)), [1, n]),
    attention_bias: new ort.Tensor('float32', job.bias, [n, n]),
  };
  parentPort!.postMessage({ type: 'ready' });
  parentPort!.on('message', async () => {
    const t0 = performance.now();
    const out = await session.run(feeds, ['attentions', 'queries', 'keys', 'values']);
    const ms = performance.now() - t0;
    const att = out.attentions.data as Float32Array;
    parentPort!.postMessage({ type: 'done', ms, attentions: att }, [att.buffer as ArrayBuffer]);
  });
  return true;
}

export interface WorkerWhatIf {
  n: number;
  inferenceMs: Summary;
  longestMainThreadSliceMs: number;
  byPhase: Record<string, number>;
  note: string;
}

export async function benchInferenceInWorker(manifest: ModelManifest, ids: number[], bias: Float32Array, runs: number): Promise<WorkerWhatIf> {
  turnOffOrtTelemetry(); // here, not in the worker: its process.env is a copy (src/model/ortTelemetry.ts)
  const worker = new Worker(__filename, { workerData: { benchWorker: true, job: { modelPath: manifest.modelPath, ids, bias, runs } } });
  try {
    const next = (): Promise<{ type: string; ms?: number }> =>
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    await next(); // ready (session created)
    const probe = new LagProbe();
    probe.start();
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      probe.setPhase('inference in a worker (main thread idle but for the probe)');
      const reply = next();
      worker.postMessage('run');
      const r = await reply;
      probe.setPhase('idle');
      ms.push(r.ms ?? NaN);
    }
    const lag = probe.stop();
    return {
      n: ids.length,
      inferenceMs: summarize(ms, 1),
      longestMainThreadSliceMs: lag.longestGapMs,
      byPhase: lag.byPhase,
      note: 'what-if, not the extension: the same session.run in a worker_thread, outputs transferred back; the main thread stays free',
    };
  } finally {
    await worker.terminate();
  }
}

// ───────────── thread settings side by side (issue 14: inference inside code-server vs the bare runner) ─────────────

/** The settings compared: the runner's (2 intra-op threads, onnxruntime's default spin-wait), no spinning, 1 thread. */
export const THREAD_SETTINGS: Record<string, { intraOpNumThreads: number; spin: boolean }> = {
  'intraOp2-spin (the runner: onnxruntime default)': { intraOpNumThreads: 2, spin: true },
  'intraOp2-noSpin': { intraOpNumThreads: 2, spin: false },
  'intraOp1-noSpin': { intraOpNumThreads: 1, spin: false },
};

export interface ThreadSettingsResult {
  n: number;
  runsEach: number;
  /** per setting: the run's wall time and the process CPU time it used, alone and beside a busy thread */
  settings: Record<string, { alone: { wallMs: Summary; cpuMs: Summary }; besideBusyThread: { wallMs: Summary; cpuMs: Summary } }>;
  method: string;
}

/** Worker side of the thread comparison: one session per setting, run in turns; replies with wall and CPU times. */
export async function threadWorkerMain(): Promise<boolean> {
  const data = workerData as { threadBench?: boolean; job?: Job; busy?: boolean } | undefined;
  if (isMainThread || !data) return false;
  if (data.busy) {
    // The competitor: keeps one core busy, as the renderer and the extension host do while a panel paints.
    const stop = new Int32Array(data.job as unknown as SharedArrayBuffer);
    let x = 0;
    while (Atomics.load(stop, 0) === 0) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
    parentPort!.postMessage(x);
    return true;
  }
  if (!data.threadBench || !data.job) return false;
  const job = data.job;
  const ort = (await import('onnxruntime-node')) as typeof import('onnxruntime-node');
  const source = (await sessionSource(job.modelPath, false)).source;
  const sessions: Record<string, import('onnxruntime-node').InferenceSession> = {};
  for (const [name, s] of Object.entries(THREAD_SETTINGS)) {
    sessions[name] = await openSession(source, {
      ...SESSION_OPTIONS,
      intraOpNumThreads: s.intraOpNumThreads,
      extra: { session: { intra_op: { allow_spinning: s.spin ? '1' : '0' } } },
    });
  }
  const n = job.ids.length;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(job.ids, (x) => BigInt(x)), [1, n]),
    attention_bias: new ort.Tensor('float32', job.bias, [n, n]),
  };
  for (const s of Object.values(sessions)) await s.run(feeds);
  parentPort!.postMessage({ type: 'ready' });
  parentPort!.on('message', async (name: string) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await sessions[name].run(feeds, ['attentions', 'queries', 'keys', 'values']);
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    parentPort!.postMessage({ wallMs, cpuMs: (c.user + c.system) / 1000 });
  });
  return true;
}

/**
 * The runner's session in a worker thread (as the extension runs it) under each thread setting, in turns, alone and
 * beside a thread that keeps one core busy (standing in for the renderer and the extension host on a 2-core
 * machine). CPU time is the process's (both threads' work counts; the busy thread's share is the same for every
 * setting, since they alternate).
 */
export async function benchThreadSettings(manifest: ModelManifest, ids: number[], bias: Float32Array, runs: number): Promise<ThreadSettingsResult> {
  turnOffOrtTelemetry();
  const worker = new Worker(__filename, { workerData: { threadBench: true, job: { modelPath: manifest.modelPath, ids, bias, runs } } });
  const once = <T>(w: Worker): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: T): void => {
        w.off('error', onError);
        resolve(m);
      };
      const onError = (e: Error): void => {
        w.off('message', onMessage);
        reject(e);
      };
      w.once('message', onMessage);
      w.once('error', onError);
    });
  try {
    await once(worker);
    const names = Object.keys(THREAD_SETTINGS);
    const wall: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    for (const busy of [false, true]) {
      let stop: Int32Array | undefined;
      let competitor: Worker | undefined;
      if (busy) {
        const shared = new SharedArrayBuffer(4);
        stop = new Int32Array(shared);
        competitor = new Worker(__filename, { workerData: { busy: true, job: shared } });
      }
      for (let r = 0; r < runs; r++) {
        for (const name of names) {
          const key = `${name}\n${busy}`;
          const reply = once<{ wallMs: number; cpuMs: number }>(worker);
          worker.postMessage(name);
          const { wallMs, cpuMs } = await reply;
          (wall[key] ??= []).push(wallMs);
          (cpu[key] ??= []).push(cpuMs);
        }
      }
      if (stop && competitor) {
        Atomics.store(stop, 0, 1);
        await once(competitor);
        await competitor.terminate();
      }
    }
    const settings: ThreadSettingsResult['settings'] = {};
    for (const name of names) {
      const pick = (busy: boolean) => ({ wallMs: summarize(wall[`${name}\n${busy}`], 1), cpuMs: summarize(cpu[`${name}\n${busy}`], 1) });
      settings[name] = { alone: pick(false), besideBusyThread: pick(true) };
    }
    return {
      n: ids.length,
      runsEach: runs,
      settings,
      method: 'the runner graph and options in a worker_thread; settings in turns; "beside a busy thread": a second worker_thread spins on one core meanwhile',
    };
  } finally {
    await worker.terminate();
  }
}
