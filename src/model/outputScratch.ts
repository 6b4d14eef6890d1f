/**
 * Warm output buffers for the runs that hand the visible layer over before the rest (splitRunner.ts part one, and a
 * whole run with a visible layer, modelRunner.ts). Why: in the extension host, fresh memory is slow — allocating the
 * 38 MB of full output buffers in front of a 512-token run took 42–69 ms there against 2–7 ms in a bare Node process
 * (bench/README.md, "Issue 14 probe"). Such a run writes into memory an earlier run has already touched, copies the
 * visible layer out for the host, and only then allocates the full buffers it returns and copies into them.
 *
 * A run takes a set for itself and gives it back, so runs going on at once (the two sides of compare mode) never
 * share one; one idle set is kept (the largest: a smaller selection fits in it), so the memory held between runs is
 * at most one model's outputs at the largest selection seen (38 MB at 512 tokens for the bundled 4 × 8 models).
 */
import { STACKED_OUTPUTS, type StackedOutput } from './layerSplit';

export type OutputSet = Record<StackedOutput, Float32Array>;
export type OutputSizes = Record<StackedOutput, number>;

let idle: OutputSet | undefined;

/** A set at least as large as `sizes`: the idle one if it fits, else a new one (fresh memory: the slow path). */
export function takeScratch(sizes: OutputSizes): OutputSet {
  const fits = idle && STACKED_OUTPUTS.every((k) => (idle as OutputSet)[k].length >= sizes[k]);
  if (fits) {
    const set = idle as OutputSet;
    idle = undefined;
    return set;
  }
  return freshOutputs(sizes);
}

/** Keeps `set` for the next run unless a larger set is kept already. */
export function giveBackScratch(set: OutputSet): void {
  if (!idle || idle.attentions.length < set.attentions.length) idle = set;
}

/** Drops the idle set (with the sessions, when the models path changes or the extension stops). */
export function releaseScratch(): void {
  idle = undefined;
}

export function freshOutputs(sizes: OutputSizes): OutputSet {
  return {
    attentions: new Float32Array(sizes.attentions),
    queries: new Float32Array(sizes.queries),
    keys: new Float32Array(sizes.keys),
    values: new Float32Array(sizes.values),
  };
}

/** The first `sizes` values of each of `from`, copied into fresh buffers of exactly that size (the caller's to keep). */
export function copiedOutputs(from: OutputSet, sizes: OutputSizes): OutputSet {
  const out = freshOutputs(sizes);
  for (const k of STACKED_OUTPUTS) out[k].set(from[k].subarray(0, sizes[k]));
  return out;
}
