/**
 * Output buffers handed back after use, for the next run to write into (the thread that runs the model: the
 * inference worker). The extension host gives an analysis's arrays back once the panel no longer shows it
 * (src/panel/outputRecycler.ts → InferenceBackend.recycle), so at 512 tokens each run takes its 38 MB of outputs
 * from here instead of from fresh memory. Why (bench/README.md, "Issue 14 probe", tenth session):
 * - in the host, every run's new ArrayBuffers counted as external memory, and V8 started a major collection about
 *   once per analysis — most often right when the visible layer arrived, where its marking threads took the two
 *   cores the host's socket and the panel's paint needed;
 * - in the worker, fresh memory costs a page fault per 4 KB on these machines, the largest single cost of a run
 *   beside onnxruntime's kernels.
 *
 * A buffer is reused for an output of its size or up to a quarter smaller (the array is then a view that does not
 * fill it). The pool holds at most MAX_POOLED_BYTES (or its newest buffer alone, if larger) and empties itself when
 * nothing came back for IDLE_MS, so an idle extension keeps no more than it did before.
 */
const free: ArrayBuffer[] = [];
let pooledBytes = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/** Two 512-token results of the bundled models (38 MB each) with room to spare. */
export const MAX_POOLED_BYTES = 96 * 1024 * 1024;
export const IDLE_MS = 60_000;

/** Adds `buffers` to the pool (detached ones and ones already in it are skipped); the oldest go past the limit. */
export function giveBackBuffers(buffers: Iterable<ArrayBuffer>): void {
  for (const b of buffers) {
    if (b.byteLength === 0 || free.includes(b)) continue;
    free.push(b);
    pooledBytes += b.byteLength;
  }
  // The newest buffer stays even alone past the limit: a large model's single attention buffer (151 MB for a
  // GPT-2-small-sized export at 512 tokens) is worth the most to reuse.
  while (pooledBytes > MAX_POOLED_BYTES && free.length > 1) pooledBytes -= (free.shift() as ArrayBuffer).byteLength;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(emptyOutputPool, IDLE_MS);
  idleTimer.unref?.();
}

/**
 * A Float32Array of `length` zero-or-stale values for a run to overwrite entirely: the smallest pooled buffer that
 * fits (and is at most a quarter larger), else new memory.
 */
export function outputArray(length: number): Float32Array {
  const bytes = length * Float32Array.BYTES_PER_ELEMENT;
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const size = free[i].byteLength;
    if (size >= bytes && size <= bytes * 1.25 && (best < 0 || size < free[best].byteLength)) best = i;
  }
  if (best < 0) return new Float32Array(length);
  const [buffer] = free.splice(best, 1);
  pooledBytes -= buffer.byteLength;
  return new Float32Array(buffer, 0, length);
}

export function emptyOutputPool(): void {
  free.length = 0;
  pooledBytes = 0;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
}

/** What the pool holds (tests). */
export function pooledOutputBytes(): number {
  return pooledBytes;
}
