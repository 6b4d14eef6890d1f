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
