/**
 * Reads and validates `models/<id>/model.json` (the contract in models/README.md).
 * Every error names the file and the field, and says what was expected.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelInfo, ModelKind } from '../protocol/messages';

export interface ModelManifest {
  id: string;
  displayName: string;
  kind: ModelKind;
  layers: number;
  heads: number;
  dModel: number;
  headDim: number;
  maxPositions: number;
  vocabSize: number | undefined;
  positional: string | undefined;
  corpus: string | undefined;
  license: string | undefined;
  /** Absolute paths. */
  folder: string;
  modelPath: string;
  tokenizerPath: string;
}

export class ModelConfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${file}: ${field === '(file)' ? '' : `field "${field}" `}${expected}`);
    this.name = 'ModelConfigError';
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'it is missing';
  return `got ${JSON.stringify(value)}`;
}

/** Validates parsed model.json content. `file` is the path shown in errors; `folder` resolves relative files. */
export function parseManifest(raw: unknown, file: string, folder: string): ModelManifest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ModelConfigError(file, '(file)', 'must hold a JSON object');
  }
  const o = raw as Record<string, unknown>;
  const str = (field: string, optional = false): string | undefined => {
    const v = o[field];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      throw new ModelConfigError(file, field, `must be a non-empty string (${describe(v)})`);
    }
    return v;
  };
  const int = (field: string, optional = false): number | undefined => {
    const v = o[field];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new ModelConfigError(file, field, `must be a positive integer (${describe(v)})`);
    }
    return v;
  };
  const id = str('id') as string;
  const kind = o.kind;
  if (kind !== 'encoder' && kind !== 'causal') {
    throw new ModelConfigError(file, 'kind', `must be "encoder" or "causal" (${describe(kind)})`);
  }
  const layers = int('layers') as number;
  const heads = int('heads') as number;
  const dModel = int('d_model') as number;
  const headDim = int('head_dim') as number;
  if (heads * headDim !== dModel) {
    throw new ModelConfigError(file, 'head_dim', `× heads must equal d_model (${headDim} × ${heads} ≠ ${dModel})`);
  }
  const maxPositions = int('max_positions') as number;
  const files = o.files;
  if (typeof files !== 'object' || files === null) {
    throw new ModelConfigError(file, 'files', `must be an object {"model": "...", "tokenizer": "..."} (${describe(files)})`);
  }
  const f = files as Record<string, unknown>;
  for (const key of ['model', 'tokenizer']) {
    if (typeof f[key] !== 'string' || (f[key] as string).trim() === '') {
      throw new ModelConfigError(file, `files.${key}`, `must be a file name relative to the model folder (${describe(f[key])})`);
    }
    const resolved = path.resolve(folder, f[key] as string);
    if (!resolved.startsWith(path.resolve(folder) + path.sep)) {
      throw new ModelConfigError(file, `files.${key}`, 'must stay inside the model folder');
    }
  }
  return {
    id,
    displayName: str('display_name', true) ?? id,
    kind,
    layers,
    heads,
    dModel,
    headDim,
    maxPositions,
    vocabSize: int('vocab_size', true),
    positional: str('positional', true),
    corpus: str('corpus', true),
    license: str('license', true),
    folder,
    modelPath: path.resolve(folder, f.model as string),
    tokenizerPath: path.resolve(folder, f.tokenizer as string),
  };
}

export async function loadManifest(folder: string): Promise<ModelManifest> {
  const file = path.join(folder, 'model.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ModelConfigError(file, '(file)', `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelConfigError(file, '(file)', `is not valid JSON (${(e as Error).message})`);
  }
  return parseManifest(raw, file, folder);
}

export function toModelInfo(m: ModelManifest): ModelInfo {
  return {
    id: m.id,
    displayName: m.displayName,
    kind: m.kind,
    layers: m.layers,
    heads: m.heads,
    headDim: m.headDim,
    maxPositions: m.maxPositions,
  };
}
