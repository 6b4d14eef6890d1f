/**
 * onnxruntime-node 1.30 collects usage telemetry on Linux too: on its first session it writes a device id and queues
 * events (process info, system metrics, per-session run times, errors) in an SQLite file under
 * $XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime, to be sent to Microsoft's collector. Attention Lens promises
 * no telemetry and no network, so every path that loads onnxruntime turns it off first. The runtime reads the
 * variable with getenv when it starts, from the process environment: a worker thread's `process.env` is its own copy,
 * so the variable is set on the thread that starts the worker, before it does (workerClient.ts), as well as before
 * any load on the calling thread (modelRunner.ts loadOrt). A value the person set themselves is left as it is.
 */
export function turnOffOrtTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
}
