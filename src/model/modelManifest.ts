/**
 * Reads and validates `models/<id>/model.json` (the contract in models/README.md).
 * Every error names the file and the field, and says what was expected.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DefaultHead, ModelInfo, ModelKind } from '../protocol/messages';

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
  /** The head a new panel opens on, and why (model.json `default_head`, 0-based); absent: layer 0, head 0. */
  defaultHead: DefaultHead | undefined;
  /** Absolute paths. */
  folder: string;
  modelPath: string;
  tokenizerPath: string;
  /** 'contract': a folder with model.json (models/README.md); 'hf': an ordinary Hugging Face ONNX export. */
  source: 'contract' | 'hf';
  /** The model file variant chosen (e.g. `model_fp16.onnx`) for an 'hf' folder; undefined for the contract. */
  variant: string | undefined;
  /** What this model can give, so the UI can disable what it cannot (see ModelCapabilities). */
  capabilities: ModelCapabilities;
  /** Set for source 'hf': what its runner needs beyond the common fields (plain data: it crosses to the worker). */
  hf?: HfRunInfo;
  /**
   * Set for kind 'encoder-decoder' (a translation model, models/README.md): its special tokens by role. `layers`
   * above is then the model's own layer count per attention (encoder, decoder); the panel sees 3 × that, stacked.
   */
  translation?: TranslationSpec;
}

/** The roles of a translation model's added tokens (model.json `special_tokens` / `special_token_ids`). */
export const TRANSLATION_ROLES = ['pad', 'bos', 'eos', 'to_zh', 'to_en'] as const;
export type TranslationRole = (typeof TRANSLATION_ROLES)[number];

/** The graph's names for kind 'encoder-decoder' (models/README.md): every input is fed, every output read. */
export const TRANSLATION_INPUTS = ['input_ids', 'decoder_input_ids', 'encoder_attention_bias', 'decoder_attention_bias', 'cross_attention_bias'] as const;
export const TRANSLATION_OUTPUTS = [
  'encoder_attentions',
  'encoder_queries',
  'encoder_keys',
  'encoder_values',
  'decoder_attentions',
  'decoder_queries',
  'decoder_keys',
  'decoder_values',
  'cross_attentions',
  'cross_queries',
  'cross_keys',
  'cross_values',
  'logits',
] as const;

export interface TranslationSpec {
  /** The added token of tokenizer.json that plays each role (its content). */
  specialTokens: Record<TranslationRole, string>;
  /** The same tokens' ids (checked against tokenizer.json when the tokenizer is loaded). */
  specialTokenIds: Record<TranslationRole, number>;
}

export interface ModelCapabilities {
  /** Queries, keys and values per head are returned (the computation view). */
  vectors: boolean;
  /** Any n×n additive mask can be applied (the what-if mask); false: only the model's own mask. */
  anyMask: boolean;
}

/** What the Hugging Face runner needs to feed and rewrite a plain export. */
export interface HfRunInfo {
  modelType: string | undefined;
  architectures: string[];
  /** Key/value heads (grouped-query attention), for empty past_key_values inputs. */
  kvHeads: number;
  /** Where rewritten graphs are cached (never the model folder). */
  cacheFolder: string;
  configPath: string;
  tokenizerConfigPath: string | undefined;
  specialTokensMapPath: string | undefined;
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
  if (kind !== 'encoder' && kind !== 'causal' && kind !== 'encoder-decoder') {
    throw new ModelConfigError(file, 'kind', `must be "encoder", "causal" or "encoder-decoder" (${describe(kind)})`);
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
    if (key === 'model' && f.model === undefined && f.graph !== undefined) {
      // Early translation exports wrote "graph": say what to rename rather than only that "model" is missing.
      throw new ModelConfigError(file, 'files.model', `is missing: the graph is named by "files.model" (this file says "files.graph"; rename that key)`);
    }
    if (typeof f[key] !== 'string' || (f[key] as string).trim() === '') {
      throw new ModelConfigError(file, `files.${key}`, `must be a file name relative to the model folder (${describe(f[key])})`);
    }
    const resolved = path.resolve(folder, f[key] as string);
    if (!resolved.startsWith(path.resolve(folder) + path.sep)) {
      throw new ModelConfigError(file, `files.${key}`, 'must stay inside the model folder');
    }
  }
  const vocabSize = kind === 'encoder-decoder' ? (int('vocab_size') as number) : int('vocab_size', true);
  const translation = kind === 'encoder-decoder' ? parseTranslationSpec(o, file, vocabSize as number) : undefined;
  // A translation model's default head counts the stacked layers the panel shows (encoder, decoder self, cross).
  const defaultHead = parseDefaultHead(o.default_head, file, kind === 'encoder-decoder' ? 3 * layers : layers, heads);
  return {
    id,
    displayName: str('display_name', true) ?? id,
    kind,
    layers,
    heads,
    dModel,
    headDim,
    maxPositions,
    vocabSize,
    positional: str('positional', true),
    corpus: str('corpus', true),
    license: str('license', true),
    defaultHead,
    folder,
    modelPath: path.resolve(folder, f.model as string),
    tokenizerPath: path.resolve(folder, f.tokenizer as string),
    source: 'contract',
    variant: undefined,
    // The contract's graphs take attention_bias and return q/k/v: everything is available.
    capabilities: { vectors: true, anyMask: true },
    ...(translation ? { translation } : {}),
  };
}

/** model.json fields of kind 'encoder-decoder': special tokens by role (names and ids), and the graph's names. */
function parseTranslationSpec(o: Record<string, unknown>, file: string, vocabSize: number): TranslationSpec {
  const roles = `{${TRANSLATION_ROLES.map((r) => `"${r}"`).join(', ')}}`;
  const object = (field: string): Record<string, unknown> => {
    const v = o[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new ModelConfigError(file, field, `must be an object with the roles ${roles} (${describe(v)})`);
    }
    return v as Record<string, unknown>;
  };
  const names = object('special_tokens');
  const ids = object('special_token_ids');
  const specialTokens = {} as Record<TranslationRole, string>;
  const specialTokenIds = {} as Record<TranslationRole, number>;
  const seen = new Map<number, TranslationRole>();
  for (const role of TRANSLATION_ROLES) {
    const name = names[role];
    if (typeof name !== 'string' || name === '') {
      throw new ModelConfigError(file, `special_tokens.${role}`, `must name an added token of the tokenizer (${describe(name)})`);
    }
    const id = ids[role];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new ModelConfigError(file, `special_token_ids.${role}`, `must be a token id from 0 to ${vocabSize - 1} (${describe(id)})`);
    }
    const other = seen.get(id);
    if (other !== undefined) throw new ModelConfigError(file, `special_token_ids.${role}`, `is ${id}, the id of "${other}" as well: each role needs its own token`);
    seen.set(id, role);
    specialTokens[role] = name;
    specialTokenIds[role] = id;
  }
  const listOfNames = (field: 'inputs' | 'outputs', expected: readonly string[]): void => {
    const v = o[field];
    const list = Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
    const missing = list ? expected.filter((x) => !list.includes(x)) : expected;
    const extra = list ? list.filter((x) => !expected.includes(x)) : [];
    if (!list || missing.length || extra.length) {
      const detail = !list ? describe(v) : [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `unknown ${extra.join(', ')}` : ''].filter(Boolean).join('; ');
      throw new ModelConfigError(file, field, `must list the graph's ${field} of an encoder-decoder model (models/README.md): ${expected.join(', ')} (${detail})`);
    }
  };
  listOfNames('inputs', TRANSLATION_INPUTS);
  listOfNames('outputs', TRANSLATION_OUTPUTS);
  return { specialTokens, specialTokenIds };
}

/** Longest `default_head.reason`: it is one line in the panel. */
const MAX_REASON = 200;

/** `default_head` is optional; when present it must name a head of this model and say why in one line. */
function parseDefaultHead(v: unknown, file: string, layers: number, heads: number): DefaultHead | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ModelConfigError(file, 'default_head', `must be an object {"layer": 0, "head": 0, "reason": "..."} (${describe(v)})`);
  }
  const o = v as Record<string, unknown>;
  const index = (field: 'layer' | 'head', count: number): number => {
    const x = o[field];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= count) {
      throw new ModelConfigError(file, `default_head.${field}`, `must be an integer from 0 to ${count - 1}, counted from 0 (${describe(x)})`);
    }
    return x;
  };
  const layer = index('layer', layers);
  const head = index('head', heads);
  const reason = o.reason;
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON || /[\r\n]/.test(reason)) {
    throw new ModelConfigError(file, 'default_head.reason', `must be one line of text, at most ${MAX_REASON} characters (${describe(reason)})`);
  }
  return { layer, head, reason: reason.trim() };
}

/**
 * Reads and parses a JSON file; every failure is a ModelConfigError naming the file. `whenMissing` says what the
 * missing file is for (e.g. "a Hugging Face model folder needs its config.json …").
 */
export async function readJsonFile(file: string, whenMissing?: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (whenMissing !== undefined && (e as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelConfigError(file, '(file)', `is missing: ${whenMissing}`);
    throw new ModelConfigError(file, '(file)', `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ModelConfigError(file, '(file)', `is not valid JSON (${(e as Error).message})`);
  }
}

export async function loadManifest(folder: string): Promise<ModelManifest> {
  const file = path.join(folder, 'model.json');
  return parseManifest(await readJsonFile(file), file, folder);
}

export function toModelInfo(m: ModelManifest): ModelInfo {
  // A translation model's three attentions are stacked as layers (src/common/translation.ts).
  const stacked = m.kind === 'encoder-decoder';
  return {
    id: m.id,
    displayName: m.displayName,
    kind: m.kind,
    layers: stacked ? 3 * m.layers : m.layers,
    ...(stacked ? { setLayers: m.layers } : {}),
    heads: m.heads,
    headDim: m.headDim,
    maxPositions: m.maxPositions,
    ...(m.defaultHead ? { defaultHead: m.defaultHead } : {}),
    // Only where something may be missing: a bundled model's info stays as it was.
    ...(m.source === 'hf' ? { capabilities: { ...m.capabilities } } : {}),
  };
}
