/**
 * How the heads of a model are numbered when flattened, one home for every side: layer-major,
 * index = layer · heads + head. It is the order of the model's [layers, heads, …] outputs (the host's views into
 * them), of the streamer's queue, and of the webview's head buffers and statistics.
 */
import type { HeadRef } from '../protocol/messages';

/** The flat index of head `head` of layer `layer` in a model with `heads` heads per layer. */
export function headIndex(layer: number, head: number, heads: number): number {
  return layer * heads + head;
}

/** The layer and head at flat index `index` (the inverse of `headIndex`). */
export function headAt(index: number, heads: number): HeadRef {
  return { layer: Math.floor(index / heads), head: index % heads };
}
