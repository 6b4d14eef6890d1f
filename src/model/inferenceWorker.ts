/**
 * Entry of the inference worker thread (built to dist/inferenceWorker.js). It holds its own onnxruntime sessions
 * and runs the same runModelHere code as the main thread, so the extension host's event loop stays free while
 * a model runs. Outputs are copied into fresh buffers and transferred back (no second copy).
 */
import { parentPort } from 'node:worker_threads';
import { runModelHere, type WorkerReply, type WorkerRequest } from './modelRunner';

const port = parentPort;
if (!port) throw new Error('inferenceWorker.js must run as a worker thread');

port.on('message', async (request: WorkerRequest) => {
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const out = await runModelHere(request.manifest, request.ids, request.bias, request.options);
    // onnxruntime's output buffers may be native memory that cannot be transferred: copy each once.
    const own = (a: Float32Array): Float32Array => {
      const c = a.slice();
      transfer.push(c.buffer as ArrayBuffer);
      return c;
    };
    reply = {
      id: request.id,
      ok: true,
      outputs: {
        attentions: own(out.attentions),
        queries: own(out.queries),
        keys: own(out.keys),
        values: own(out.values),
        logits: out.logits ? own(out.logits) : undefined,
        inferenceMs: out.inferenceMs,
      },
    };
  } catch (e) {
    reply = { id: request.id, ok: false, name: (e as Error).name, message: (e as Error).message };
  }
  port.postMessage(reply, transfer);
});
