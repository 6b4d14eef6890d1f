/**
 * One head's computation for one query, from the model's exact float32 vectors (no DOM, so it is testable alone):
 * scores q·k/√d_k + bias, softmax over the visible keys, and the output Σ weight·v. The computation view shows
 * these numbers and compares the softmax with the model's own attention row.
 */
import { isMaskedBias } from '../src/common/mask';
import type { HeadVectors } from './views/viewContext';

export const TOLERANCE = 1e-4;

export interface HeadComputation {
  dot: Float64Array;
  scaled: Float64Array;
  bias: Float64Array;
  masked: boolean[];
  softmax: Float64Array;
  model: Float64Array;
  output: Float64Array;
  maxDiff: number;
}

/**
 * softmax(q·kᵀ/√d + bias) for one query row, and Σ weight·v. Float64 so the check measures the model, not us.
 * `outside(j)`: keys that are not this attention's at all (a translation's other tokens): masked, and left out of
 * the check.
 */
export function computeRow(v: HeadVectors, n: number, d: number, i: number, outside?: (j: number) => boolean): HeadComputation {
  const dot = new Float64Array(n);
  const scaled = new Float64Array(n);
  const bias = new Float64Array(n);
  const masked: boolean[] = [];
  const softmax = new Float64Array(n);
  const model = new Float64Array(n);
  const output = new Float64Array(d);
  const sqrtD = Math.sqrt(d);
  let max = -Infinity;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += v.queries[i * d + c] * v.keys[j * d + c];
    dot[j] = s;
    scaled[j] = s / sqrtD;
    bias[j] = v.bias[i * n + j];
    masked.push(isMaskedBias(bias[j]) || (outside?.(j) ?? false));
    model[j] = v.attention[i * n + j];
    if (!masked[j]) max = Math.max(max, scaled[j] + bias[j]);
  }
  let sum = 0;
  for (let j = 0; j < n; j++) {
    softmax[j] = masked[j] ? 0 : Math.exp(scaled[j] + bias[j] - max);
    sum += softmax[j];
  }
  let maxDiff = 0;
  for (let j = 0; j < n; j++) {
    softmax[j] = sum > 0 ? softmax[j] / sum : 0;
    if (!outside?.(j)) maxDiff = Math.max(maxDiff, Math.abs(softmax[j] - model[j]));
    for (let c = 0; c < d; c++) output[c] += softmax[j] * v.values[j * d + c];
  }
  return { dot, scaled, bias, masked, softmax, model, output, maxDiff };
}

