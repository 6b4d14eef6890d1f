/**
 * The whole attention formula for one layer and one query token, as the host computes it from the model's own
 * numbers (src/formula/) and the computation view shows it: X → Q, K, V (LayerNorm, W_Q, W_K, W_V), rotary
 * positions, then (in the view, from headVectors) q·k, ÷√d_k, + mask, softmax, Σ weight·v, and finally every
 * head's output concatenated, times W_O, plus the residual. Plain arrays only: the record crosses postMessage and is
 * embedded in the standalone page as JSON. Each step carries the largest difference between what we computed and
 * the tensor the model itself computed (the check, ≤ FORMULA_TOLERANCE).
 */

export const FORMULA_TOLERANCE = 1e-4;
/** Texts up to this many tokens carry their formula steps into the standalone page (layers × tokens records). */
export const MAX_TOKENS_WITH_FORMULA = 16;
/** The distance plot covers Δ = 0 … ROTARY_PLOT_MAX tokens. */
export const ROTARY_PLOT_MAX = 64;
/** The rotary base of models/training/model.py (θ_c = position · base^(−2c/head_dim)). */
export const ROTARY_BASE = 10000;

/** One head of the layer, for the query token `token` and its focused key `key`. */
export interface FormulaHead {
  head: number;
  /** The key of the focused pair: the one this head weights most for the query (the model's own row). */
  key: number;
  /** X_query·W_Q + b_Q, X_key·W_K + b_K, X_query·W_V + b_V: before the rotation (this head's slices). */
  qPre: number[];
  kPre: number[];
  vPre: number[];
  /** q and k rotated for their positions (computed here; checked against the model's `queries`/`keys`). */
  qRot: number[];
  kRot: number[];
  /** (R(Δ)·qPre)·kPre for Δ = 0 … ROTARY_PLOT_MAX: the score of the same two vectors Δ tokens apart. */
  distancePlot: number[];
  /** Σ weight·v of this head for the query (the model's weights and values). */
  output: number[];
  /** max |X·W_V + b − values| over every token (step 1's check for this head) */
  valueError: number;
  /** max |R(pos)·(X·W + b) − model| over q of the query and k of every token (step 2's check) */
  rotaryError: number;
}

export interface FormulaRecord {
  layer: number;
  token: number;
  headDim: number;
  rotaryBase: number;
  /** The residual stream entering the layer (the row LayerNorm reads). */
  residualIn: number[];
  /** LayerNorm(residualIn) as computed here, and the model's own (the X of the formula). */
  lnComputed: number[];
  lnModel: number[];
  lnError: number;
  heads: FormulaHead[];
  /** concat(heads' outputs)·W_Oᵀ + b_O as computed here, and the attention block's output in the model. */
  projected: number[];
  attentionModel: number[];
  projectionError: number;
  /** residualIn + attention block output, computed here and in the model. */
  residualComputed: number[];
  residualModel: number[];
  residualError: number;
}

/** Why a model's formula steps cannot be shown; `detail` names what is missing (English, for the log and title). */
export type FormulaUnavailable = 'notRecorded' | 'noWeights' | 'notRotary' | 'failed';

export type FormulaPayload = { ok: true; record: FormulaRecord } | { ok: false; reason: FormulaUnavailable; detail: string };

/** Rotates x (one head's vector) for `position`, rotate-half layout: pairs (c, c + d/2) turn by position·base^(−2c/d). */
export function rotate(x: ArrayLike<number>, position: number, base = ROTARY_BASE): number[] {
  const d = x.length;
  const half = d / 2;
  const out = new Array<number>(d);
  for (let c = 0; c < half; c++) {
    // The angle in float32 as the model's table holds it, then cos/sin in float64.
    const angle = Math.fround(position * Math.fround(1 / Math.fround(base ** ((2 * c) / d))));
    const cos = Math.fround(Math.cos(angle));
    const sin = Math.fround(Math.sin(angle));
    out[c] = x[c] * cos - x[c + half] * sin;
    out[c + half] = x[c + half] * cos + x[c] * sin;
  }
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** (R(Δ)q)·k for Δ = 0 … max: rotation only, the same two vectors placed Δ tokens apart (query after key). */
export function distanceScores(q: ArrayLike<number>, k: ArrayLike<number>, max = ROTARY_PLOT_MAX, base = ROTARY_BASE): number[] {
  const out: number[] = [];
  for (let delta = 0; delta <= max; delta++) out.push(dot(rotate(q, delta, base), k));
  return out;
}

/** The largest check error of each step in a record (the view's ✓ lines and the tests' report). */
export function formulaErrors(r: FormulaRecord): { layerNorm: number; qkv: number; rotary: number; projection: number; residual: number } {
  return {
    layerNorm: r.lnError,
    qkv: Math.max(...r.heads.map((h) => h.valueError)),
    rotary: Math.max(...r.heads.map((h) => h.rotaryError)),
    projection: r.projectionError,
    residual: r.residualError,
  };
}
