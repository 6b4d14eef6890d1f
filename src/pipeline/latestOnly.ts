/**
 * Runs at most one task at a time and keeps only the newest waiting task: under a storm of requests, the work
 * in flight finishes, every request but the last is dropped, and the last one runs next. Dropped requests
 * resolve to `undefined` so callers can tell "superseded" from a result.
 */
export class LatestOnlyRunner {
  private running = false;
  private pending: { task: () => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void } | undefined;
  /** Most tasks ever running at once (tests read it). */
  maxInFlight = 0;
  private inFlight = 0;

  run<T>(task: () => Promise<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      if (this.pending) this.pending.resolve(undefined);
      this.pending = { task, resolve: resolve as (v: unknown) => void, reject };
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending) {
        const { task, resolve, reject } = this.pending;
        this.pending = undefined;
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          resolve(await task());
        } catch (e) {
          reject(e);
        } finally {
          this.inFlight--;
        }
      }
    } finally {
      this.running = false;
    }
  }
}
