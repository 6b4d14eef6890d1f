/** Paths and readers of the Hugging Face fixture folders (test/fixtures/hf, built by models/training/hf_fixtures). */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const HF_DIR = path.resolve(__dirname, '../fixtures/hf');
export const hfFolder = (name: string): string => path.join(HF_DIR, name);

export interface Reference {
  text: string;
  input_ids: number[];
  /** [layer][head][query][key] */
  attentions: number[][][][];
  logits_last?: number[];
}

export function reference(name: string): Reference {
  return JSON.parse(readFileSync(path.join(hfFolder(name), 'reference.json'), 'utf8')) as Reference;
}

/** A fresh cache folder under the OS temp folder (never inside a model folder). */
export function tempCache(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'al-hf-cache-'));
}

/** Largest |a − b| between a reference [layer][head][q][k] and a flat [layers, heads, n, n] buffer. */
export function maxDiff(ref: number[][][][], flat: Float32Array): number {
  let max = 0;
  let i = 0;
  for (const layer of ref) for (const head of layer) for (const row of head) for (const v of row) max = Math.max(max, Math.abs(v - flat[i++]));
  if (i !== flat.length) throw new Error(`reference has ${i} weights, the run ${flat.length}`);
  return max;
}
