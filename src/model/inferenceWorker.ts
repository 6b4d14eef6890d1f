/**
 * Entry of the inference worker thread (built to dist/inferenceWorker.js). It holds its own onnxruntime sessions
 * and runs the same runModel code as the in-process backend, so the extension host's event loop stays free while
 * a model runs. Outputs are transferred back without a copy where onnxruntime allows it.
 */
import { parentPort } from 'node:worker_threads';
import { loadOrt, runModel, type LayerOutputs, type ModelOutputs } from './modelRunner';
import {
  RESUME_TIMEOUT_MS,
  translationArrays,
  type FormulaWorkerReply,
  type TranslationWorkerReply,
  type TranslationWorkerRequest,
  type WorkerLayerReply,
  type WorkerRecycle,
  type WorkerReply,
  type WorkerRequest,
  type WorkerResume,
} from './workerClient';
import { giveBackBuffers } from './outputPool';
import { runTranslation } from '../translate/translationRunner';
import { formulaTensors } from '../formula/formulaRunner';

const port = parentPort;
if (!port) throw new Error('inferenceWorker.js must run as a worker thread');

/** Runs waiting for their caller to finish with the first layer (see WorkerResume), by request id. */
const waiting = new Map<number, () => void>();

function resumed(id: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => waiting.delete(id) && resolve(), RESUME_TIMEOUT_MS);
    waiting.set(id, () => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve();
    });
  });
}

port.on('message', async (request: WorkerRequest | TranslationWorkerRequest | WorkerResume | WorkerRecycle | { warm: true }) => {
  if ('resume' in request) {
    waiting.get(request.resume)?.();
    return;
  }
  if ('recycle' in request) {
    giveBackBuffers(request.recycle); // the next runs write into them (outputPool.ts)
    return;
  }
  if ('warm' in request) {
    await loadOrt().catch(() => undefined); // a missing native module is reported by the first real request
    return;
  }
  if (request.kind === 'translation') {
    // One decoder step (or a teacher-forced pass): the outputs are fresh buffers of runTranslation's, moved back.
    try {
      const translation = await runTranslation(request.manifest, request.sourceIds, request.decoderIds, request.biases, request.options);
      const reply: TranslationWorkerReply = { id: request.id, ok: true, translation };
      try {
        port.postMessage(reply, [...new Set(translationArrays(translation).map((a) => a.buffer))] as ArrayBuffer[]);
      } catch {
        port.postMessage(reply); // a buffer the runtime will not move is copied instead
      }
    } catch (e) {
      port.postMessage({ id: request.id, ok: false, name: (e as Error).name, message: (e as Error).message } satisfies TranslationWorkerReply);
    }
    return;
  }
  if (request.kind === 'formula') {
    // The computation view's extra run: a handful of [n, d_model] tensors, copied back (small beside attention).
    try {
      port.postMessage({ id: request.id, ok: true, formula: await formulaTensors(request.manifest, request.ids, request.bias) } satisfies FormulaWorkerReply);
    } catch (e) {
      port.postMessage({ id: request.id, ok: false, name: (e as Error).name, message: (e as Error).message } satisfies FormulaWorkerReply);
    }
    return;
  }
  let reply: WorkerReply;
  try {
    // A progressive run hands its first layer over at once, in buffers of its own (runSplit copies the layer out of
    // part one's scratch), moved to the host: a few MB against the tens the final reply moves.
    const onLayer = (layer: LayerOutputs): Promise<void> => {
      const buffers = [layer.attentions.buffer, layer.queries.buffer, layer.keys.buffer, layer.values.buffer] as ArrayBuffer[];
      const resume = resumed(request.id);
      port.postMessage({ id: request.id, ok: true, layer } satisfies WorkerLayerReply, buffers);
      return resume;
    };
    const out = await runModel(request.manifest, request.ids, request.bias, { ...request.options, onLayer });
    reply = { id: request.id, ok: true, outputs: out };
  } catch (e) {
    port.postMessage({ id: request.id, ok: false, name: (e as Error).name, message: (e as Error).message } satisfies WorkerReply);
    return;
  }
  // onnxruntime-node returns each output in an ArrayBuffer of its own: move those across without copying
  // (38 MB at 512 tokens; the copies cost ~40 ms of a 512-token analysis under load). An output that shares its
  // buffer or sits at an offset, or a transfer the runtime refuses, falls back to one copy per output.
  try {
    port.postMessage(reply, ownBuffers(reply.outputs));
  } catch {
    port.postMessage(copyOutputs(reply), []);
  }
});

const OUTPUT_KEYS = ['attentions', 'queries', 'keys', 'values', 'logits'] as const;

/**
 * The outputs' buffers, if each output starts a buffer that no other output uses; otherwise throws. An output may
 * be shorter than its buffer: one from the output pool (outputPool.ts) is a view of a buffer up to a quarter larger.
 */
function ownBuffers(outputs: ModelOutputs): ArrayBuffer[] {
  const seen = new Set<ArrayBufferLike>();
  for (const key of OUTPUT_KEYS) {
    const a = outputs[key];
    if (!a) continue;
    if (a.byteOffset !== 0 || seen.has(a.buffer) || !(a.buffer instanceof ArrayBuffer)) {
      throw new Error('output does not own its buffer');
    }
    seen.add(a.buffer);
  }
  return [...seen] as ArrayBuffer[];
}

function copyOutputs(reply: Extract<WorkerReply, { ok: true }>): WorkerReply {
  const outputs = { ...reply.outputs };
  for (const key of OUTPUT_KEYS) if (outputs[key]) outputs[key] = outputs[key].slice();
  return { ...reply, outputs };
}
