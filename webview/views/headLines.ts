/**
 * Per-token line lists of one head, computed once per analysis and reused by every hover.
 *
 * A hover in the head view (lines from the hovered token) or the text view's all-heads mode (a stripe per head
 * under each token) needs, for the hovered token f, the tokens whose weight with f is visible, and how strongly.
 * Finding them scans a row (or column) of the head and rescales it by its largest weight; with every head of a
 * layer drawn, that is n·H reads plus string and path work per hover. Here it is done for every token at once,
 * the first time a head is drawn, and kept beside the head's weights (a WeakMap on its Float32Array, which the
 * derived data caches per analysis): a hover then only walks a short list of (token, opacity step) pairs.
 */
import type { AttentionMatrix } from '../attentionMath';
import type { Direction } from '../viewTypes';

/** Opacity is drawn in this many steps; a hover draws one path per step, finer steps cannot be told apart. */
export const LINE_STEPS = 16;
/**
 * Lines lighter than this are left out: on any theme a 1.5 px line (or a stripe) at 3% opacity cannot be seen, and
 * each one drawn costs raster time in the hover's frame.
 */
export const MIN_VISIBLE = 0.03;
/**
 * With every head of a layer drawn, at most this many lines per token and head (the heaviest). Only near-uniform
 * heads reach it (at 512 tokens a uniform row puts 1/512 on every key, each drawn at full opacity when scaled to
 * the row's largest weight); there a fan of 96 lines already reads as "everywhere", while eight such fans would
 * be 4,096 lines to raster in one frame. A single head is drawn without a cap.
 */
export const MAX_LINES_ALL_HEADS = 96;

/** For every token f: the other end of each visible line, and its opacity step (1…LINE_STEPS). */
export interface LineLists {
  n: number;
  /** lines of token f are [start[f], start[f + 1]) */
  start: Int32Array;
  other: Int32Array;
  step: Uint8Array;
}

const cache = new WeakMap<Float32Array, Map<string, LineLists>>();

/**
 * The line lists of a token-level head matrix for a direction ('to': f is the query, the lines go to keys;
 * 'from': f is the key) and colour rule (`scaled`: opacity = weight ÷ the largest visible weight of f's row).
 */
export function lineLists(m: AttentionMatrix, direction: Direction, scaled: boolean, maxPerToken = m.n): LineLists {
  let byKey = cache.get(m.data);
  if (!byKey) cache.set(m.data, (byKey = new Map()));
  const key = `${m.n}:${direction}:${scaled}:${maxPerToken}`;
  let lists = byKey.get(key);
  if (!lists) byKey.set(key, (lists = buildLineLists(m, direction, scaled, maxPerToken)));
  return lists;
}

function buildLineLists(m: AttentionMatrix, direction: Direction, scaled: boolean, maxPerToken: number): LineLists {
  const { n, data } = m;
  const start = new Int32Array(n + 1);
  const others: number[] = [];
  const steps: number[] = [];
  const w = new Float32Array(n);
  const candidates: number[] = [];
  for (let f = 0; f < n; f++) {
    start[f] = others.length;
    let max = 0;
    const to = direction === 'to';
    for (let j = 0; j < n; j++) {
      const q = to ? f : j;
      const k = to ? j : f;
      const x = m.masked(q, k) ? -1 : data[q * n + k];
      w[j] = x;
      if (x > max) max = x;
    }
    const scale = scaled ? (max > 0 ? 1 / max : 0) : 1;
    candidates.length = 0;
    for (let j = 0; j < n; j++) if (w[j] * scale >= MIN_VISIBLE) candidates.push(j);
    if (candidates.length > maxPerToken) {
      candidates.sort((a, b) => w[b] - w[a]);
      candidates.length = maxPerToken;
    }
    for (const j of candidates) {
      others.push(j);
      steps.push(Math.max(1, Math.round(Math.min(1, w[j] * scale) * LINE_STEPS)));
    }
  }
  start[n] = others.length;
  return { n, start, other: Int32Array.from(others), step: Uint8Array.from(steps) };
}
