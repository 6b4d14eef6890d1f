/**
 * Who may give an analysis's output arrays back to the inference backend, and when (the other half of
 * src/model/outputPool.ts). The session `own`s what its own backend runs produced (a result, a progressive run's
 * first layer); the streamer `retire`s an object once it shows it no more; whoever reads the arrays across an
 * `await` (the formula, predictions, the HTML export) `hold`s the object meanwhile. The arrays go back when an
 * object is both retired and not held — never while anything may still read them. Objects nobody owned (a
 * translation's joint analysis, a continuation, the CLI's results) are never given back: the GC frees them.
 *
 * Giving back moves the buffers to the worker thread (detaching them here), so a reader this bookkeeping missed
 * would find empty arrays, not another analysis's numbers.
 */
import type { InferenceBackend } from '../model/modelRunner';

/** The arrays a run's outputs (a result, a first layer) hold from the backend: what `own` is given. */
export function outputArrays(o: { attentions: Float32Array; queries: Float32Array; keys: Float32Array; values: Float32Array }): Float32Array[] {
  return [o.attentions, o.queries, o.keys, o.values];
}

/** A recycler giving back to `backend`, if that backend takes outputs back (the extension's worker); else none. */
export function recyclerFor(backend: InferenceBackend | undefined): OutputRecycler | undefined {
  return backend?.recycle ? new OutputRecycler((arrays) => backend.recycle?.(arrays)) : undefined;
}

export class OutputRecycler {
  private readonly owned = new WeakMap<object, readonly Float32Array[]>();
  private readonly holds = new Map<object, number>();
  private readonly retiredWhileHeld = new Set<object>();

  constructor(private readonly giveBack: (arrays: readonly Float32Array[]) => void) {}

  /** `owner`'s `arrays` came from the backend and are read only through `owner`. */
  own(owner: object, arrays: readonly Float32Array[]): void {
    this.owned.set(owner, arrays);
  }

  /** Keeps `owner`'s arrays while the returned function has not been called (calling it twice counts once). */
  hold(owner: object): () => void {
    this.holds.set(owner, (this.holds.get(owner) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.holds.get(owner) ?? 1) - 1;
      if (left > 0) {
        this.holds.set(owner, left);
        return;
      }
      this.holds.delete(owner);
      if (this.retiredWhileHeld.delete(owner)) this.giveBackNow(owner);
    };
  }

  /** `owner` is shown no more: its arrays go back now, or when the last hold ends. */
  retire(owner: object | undefined): void {
    if (!owner || !this.owned.has(owner)) return;
    if (this.holds.has(owner)) this.retiredWhileHeld.add(owner);
    else this.giveBackNow(owner);
  }

  private giveBackNow(owner: object): void {
    const arrays = this.owned.get(owner);
    this.owned.delete(owner);
    if (arrays && arrays.length > 0) this.giveBack(arrays);
  }
}
