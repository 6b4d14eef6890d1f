/**
 * The inference backend the extension uses: the model runs in a worker thread (dist/inferenceWorker.js, built from
 * inferenceWorker.ts) because onnxruntime-node's `session.run` holds its thread for the whole inference (≈ 200 ms at
 * 512 tokens, measured by the bench), and the extension host's thread must keep answering. The worker is started on
 * the first request, not when the client is made, so activation never starts it.
 *
 * This module also defines the messages between client and worker; both sides import them from here.
 */
import { Worker } from 'node:worker_threads';
import type { ModelManifest } from './modelManifest';
import type { InferenceBackend, LayerOutputs, ModelOutputs, RunOptions } from './modelRunner';
import { turnOffOrtTelemetry } from './ortTelemetry';
import type { FormulaTensors } from '../formula/formulaRunner';
import type { AttentionTensors, TranslationBiases, TranslationOutputs, TranslationRunOptions } from '../translate/translationTypes';

export interface WorkerRequest {
  id: number;
  manifest: ModelManifest;
  ids: number[];
  bias: Float32Array;
  /** Without onLayer: the worker posts the first layer's tensors as a `layer` reply of its own. */
  options: Omit<RunOptions, 'onLayer'>;
  /** 'formula': the computation view's extra run (src/formula/formulaRunner.ts formulaTensors) instead of runModel. */
  kind?: 'formula';
}

export type WorkerReply =
  | { id: number; ok: true; outputs: ModelOutputs }
  | { id: number; ok: false; name: string; message: string };

/** A progressive run's first layer, posted before the final reply of the same id (RunOptions.firstLayer). */
export type WorkerLayerReply = { id: number; ok: true; layer: LayerOutputs };

/** The client's answer to a layer reply: the caller's onLayer has settled, part two may run. */
export type WorkerResume = { resume: number };

/** Buffers of outputs the host is done with, moved back for the worker's next runs (outputPool.ts). */
export type WorkerRecycle = { recycle: ArrayBuffer[] };

/**
 * How long the worker waits for `resume` before running part two anyway: a lost message (or a caller that never
 * settles) costs at most this, never the analysis.
 */
export const RESUME_TIMEOUT_MS = 1000;

/** The reply to a `kind: 'formula'` request. */
export type FormulaWorkerReply = { id: number; ok: true; formula: FormulaTensors } | Extract<WorkerReply, { ok: false }>;

/** One forward pass of a translation model (src/translate/translationRunner.ts runTranslation). */
export interface TranslationWorkerRequest {
  id: number;
  kind: 'translation';
  manifest: ModelManifest;
  sourceIds: number[];
  decoderIds: number[];
  biases: TranslationBiases;
  options: TranslationRunOptions;
}

export type TranslationWorkerReply = { id: number; ok: true; translation: TranslationOutputs } | Extract<WorkerReply, { ok: false }>;

/** Every array of a translation's outputs (their buffers are moved, not copied, between the threads). */
export function translationArrays(o: TranslationOutputs): Float32Array[] {
  const sets: AttentionTensors[] = [o.encoder, o.decoder, o.cross];
  const arrays = sets.flatMap((t) => [t.attentions, t.queries, t.keys, t.values]);
  if (o.logits) arrays.push(o.logits);
  return arrays;
}

/** One worker thread holding the sessions; requests are matched to replies by id. */
export class InferenceWorkerClient implements InferenceBackend {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (o: unknown) => void; reject: (e: Error) => void; onLayer?: (layer: LayerOutputs) => void | Promise<void> }
  >();

  /** `script`: the built worker entry, dist/inferenceWorker.js. */
  constructor(private readonly script: string) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    turnOffOrtTelemetry(); // in this thread's environment, which the worker's onnxruntime reads (ortTelemetry.ts)
    const w = new Worker(this.script);
    w.on('message', (reply: WorkerReply | FormulaWorkerReply | TranslationWorkerReply | WorkerLayerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      if (reply.ok && 'layer' in reply) {
        // The run goes on once the caller has done with the layer (the panel: painted it); its final reply follows.
        void Promise.resolve(p.onLayer?.(reply.layer))
          .catch(() => undefined)
          .finally(() => w.postMessage({ resume: reply.id } satisfies WorkerResume));
        return;
      }
      this.pending.delete(reply.id);
      if (this.pending.size === 0) w.unref();
      if (reply.ok) p.resolve('formula' in reply ? reply.formula : 'translation' in reply ? reply.translation : reply.outputs);
      else {
        const e = new Error(reply.message);
        e.name = reply.name;
        p.reject(e);
      }
    });
    // A crashed worker fails what it had in hand; the next request starts a new one.
    const fail = (e: Error): void => {
      if (this.worker !== w) return;
      this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new Error(`The inference worker stopped: ${e.message}`));
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    w.unref(); // an idle worker never keeps the process alive; one with work in hand does (see run)
    this.worker = w;
    return w;
  }

  run(manifest: ModelManifest, ids: ArrayLike<number>, bias: Float32Array, options: RunOptions = {}): Promise<ModelOutputs> {
    const { onLayer, ...rest } = options;
    return this.request(manifest, ids, bias, rest, undefined, onLayer) as Promise<ModelOutputs>;
  }

  /** The computation view's formula run (per-layer tensors as extra outputs), in the worker with the others. */
  runFormula(manifest: ModelManifest, ids: ArrayLike<number>, bias: Float32Array): Promise<FormulaTensors> {
    return this.request(manifest, ids, bias, {}, 'formula') as Promise<FormulaTensors>;
  }

  /** One forward pass of a translation model, in the worker (the decoding loop stays with the caller). */
  runTranslation(
    manifest: ModelManifest,
    sourceIds: ArrayLike<number>,
    decoderIds: ArrayLike<number>,
    biases: TranslationBiases,
    options: TranslationRunOptions = {},
  ): Promise<TranslationOutputs> {
    // Biases are copied, then moved: the caller keeps its own (the result holds them).
    const copies = { encoder: biases.encoder.slice(), decoder: biases.decoder.slice(), cross: biases.cross.slice() };
    return this.send<TranslationOutputs>(
      (id) => ({ id, kind: 'translation', manifest, sourceIds: Array.from(sourceIds), decoderIds: Array.from(decoderIds), biases: copies, options }),
      [copies.encoder.buffer, copies.decoder.buffer, copies.cross.buffer] as ArrayBuffer[],
    );
  }

  private request(
    manifest: ModelManifest,
    ids: ArrayLike<number>,
    bias: Float32Array,
    options: Omit<RunOptions, 'onLayer'>,
    kind?: 'formula',
    onLayer?: (layer: LayerOutputs) => void | Promise<void>,
  ): Promise<ModelOutputs | FormulaTensors> {
    // The bias is copied, then moved: the caller keeps its own (the analysis result holds it).
    const copy = bias.slice();
    return this.send<ModelOutputs | FormulaTensors>(
      (id) => ({ id, manifest, ids: Array.from(ids), bias: copy, options, ...(kind ? { kind } : {}) }),
      [copy.buffer as ArrayBuffer],
      onLayer,
    );
  }

  /** Posts one request (its id given by `message`), moving `transfer`, and resolves with the worker's reply. */
  private send<T>(
    message: (id: number) => WorkerRequest | TranslationWorkerRequest,
    transfer: ArrayBuffer[],
    onLayer?: (layer: LayerOutputs) => void | Promise<void>,
  ): Promise<T> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (o: unknown) => void, reject, onLayer });
      worker.ref(); // a caller awaiting this reply (a script, the bench) must not see the process exit under it
      worker.postMessage(message(id), transfer);
    });
  }

  /**
   * Moves the buffers of `arrays` (outputs of this backend's runs that nothing uses any more) back to the worker,
   * whose next runs write into them (outputPool.ts). Moving detaches them here: a stale reader finds empty arrays,
   * never another analysis's numbers. Without a worker there is nowhere to send them: they are left to the GC.
   */
  recycle(arrays: readonly Float32Array[]): void {
    const w = this.worker;
    if (!w) return;
    const buffers = [...new Set(arrays.map((a) => a.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer && b.byteLength > 0);
    if (buffers.length === 0) return;
    try {
      w.postMessage({ recycle: buffers } satisfies WorkerRecycle, buffers);
    } catch {
      // A buffer the runtime will not move (not ours to give): left to the GC, as before recycling existed.
    }
  }

  /**
   * Starts the worker thread and loads onnxruntime in it now (when a panel opens), so the first analysis does not
   * wait for either (the worker's start and the native module's load were ~100 ms of its critical path).
   */
  warm(): void {
    this.start().postMessage({ warm: true });
  }

  /** Stops the worker and with it its sessions; a later request starts a new one. */
  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}
