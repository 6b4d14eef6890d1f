/**
 * What a translation run takes and gives (plain data: it crosses to the inference worker and back). Shapes follow
 * the encoder-decoder contract (models/README.md): S source tokens, T decoder inputs, L layers, H heads, d head_dim.
 */

/** The additive biases of the three attentions, row-major, row = query: 0 visible, MASKED_BIAS hidden. */
export interface TranslationBiases {
  /** S×S */
  encoder: Float32Array;
  /** T×T (the trained mask is causal) */
  decoder: Float32Array;
  /** T×S (row = decoder step, column = source token) */
  cross: Float32Array;
}

/** One attention's weights and the vectors behind them. */
export interface AttentionTensors {
  /** [L, H, queries, keys] */
  attentions: Float32Array;
  /** [L, H, queries, d] */
  queries: Float32Array;
  /** [L, H, keys, d] */
  keys: Float32Array;
  values: Float32Array;
}

export interface TranslationOutputs {
  sourceLength: number;
  targetLength: number;
  /** S×S; q/k/v over the source. */
  encoder: AttentionTensors;
  /** T×T; q/k/v over the decoder's inputs. */
  decoder: AttentionTensors;
  /** T×S; queries from the decoder's stream (T rows), keys and values from the encoder's output (S rows). */
  cross: AttentionTensors;
  /** `logits: 'all'`: [T, vocab] (row i: the distribution of target token i + 1); `'last'`: [vocab], row T − 1. */
  logits?: Float32Array;
  inferenceMs: number;
}

export interface TranslationRunOptions {
  /**
   * Which logits come back: every row (tests, fidelity), only the last (greedy decoding: the next token; the
   * default), or none (teacher forcing). The graph computes them all either way: this only spares the copy.
   */
  logits?: 'all' | 'last' | 'none';
}
