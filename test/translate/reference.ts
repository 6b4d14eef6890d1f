/** The export's PyTorch reference for the bundled translation model (models/translation/reference/reference.json). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MODELS_DIR } from '../helpers/bundled';

export interface TranslationReference {
  pair: { en: string; zh: string };
  inputs: {
    input_ids: number[][];
    decoder_input_ids: number[][];
    encoder_attention_bias: number[][];
    decoder_attention_bias: number[][];
    cross_attention_bias: number[][];
  };
  outputs: Record<string, { dims: number[]; data: number[] }>;
  greedy: { source: number[]; start: number; eos: number; max_positions: number; tokens: number[] };
}

let cached: TranslationReference | undefined;
export function translationReference(): TranslationReference {
  cached ??= JSON.parse(readFileSync(path.join(MODELS_DIR, 'translation', 'reference', 'reference.json'), 'utf8')) as TranslationReference;
  return cached;
}

/** softmax(q·kᵀ/√d + bias) of one head, worst |difference| against `att` ([rows × cols]); q: rows×d, k: cols×d. */
export function worstFromQk(att: Float32Array, q: Float32Array, k: Float32Array, bias: ArrayLike<number>, rows: number, cols: number, d: number): number {
  let worst = 0;
  const scale = 1 / Math.sqrt(d);
  for (let i = 0; i < rows; i++) {
    const s = new Float64Array(cols);
    let max = -Infinity;
    for (let j = 0; j < cols; j++) {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += q[i * d + t] * k[j * d + t];
      s[j] = dot * scale + bias[i * cols + j];
      max = Math.max(max, s[j]);
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += s[j] = Math.exp(s[j] - max);
    for (let j = 0; j < cols; j++) worst = Math.max(worst, Math.abs(s[j] / sum - att[i * cols + j]));
  }
  return worst;
}
