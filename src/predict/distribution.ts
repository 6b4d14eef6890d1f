/**
 * Probabilities from a model's logits, in float64: softmax(logits / T) over one position's row of the vocabulary,
 * and the K most likely tokens. Pure functions with no onnxruntime, so the webview, the CLI and the tests can all
 * use them.
 */

/** One candidate token and its probability. */
export interface TokenProbability {
  id: number;
  p: number;
}

/** The row of `logits` ([1, n, vocab] flattened) for one position, as a view (no copy). */
export function logitsRow(logits: Float32Array, position: number, vocab: number): Float32Array {
  return logits.subarray(position * vocab, (position + 1) * vocab);
}

/**
 * softmax(row / temperature), in float64. The maximum is subtracted first so exp never overflows; a temperature
 * below 1 sharpens the distribution (the likeliest token gets more), above 1 flattens it.
 */
export function softmaxWithTemperature(row: ArrayLike<number>, temperature = 1): Float64Array {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`temperature must be a positive number (got ${temperature})`);
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  const out = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const e = Math.exp((row[i] - max) / temperature);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** The `k` most probable ids, likeliest first; ties keep the lower id first so the order is deterministic. */
export function topK(probabilities: ArrayLike<number>, k: number): TokenProbability[] {
  const best: TokenProbability[] = [];
  const count = Math.max(0, Math.min(Math.floor(k), probabilities.length));
  if (count === 0) return best;
  // A small sorted list is enough: K is 5–50 and the vocabulary a few thousand.
  for (let id = 0; id < probabilities.length; id++) {
    const p = probabilities[id];
    if (best.length === count && p <= best[count - 1].p) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].p < p) at--;
    best.splice(at, 0, { id, p });
    if (best.length > count) best.pop();
  }
  return best;
}

/** The index of the largest value (the greedy choice); the lowest index on ties. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
