/**
 * Reads a Hugging Face model folder as people have them (a transformers.js repository or an Optimum export):
 * config.json, tokenizer.json (+ tokenizer_config.json, special_tokens_map.json) and the ONNX files, in `onnx/` or
 * beside config.json. Nothing here runs the model or writes anything; every error names the file and the field.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelConfigError, readJsonFile } from '../model/modelManifest';

export type HfKind = 'causal' | 'encoder' | 'encoder-decoder';

export interface HfConfig {
  modelType: string | undefined;
  architectures: string[];
  layers: number;
  heads: number;
  /** Key/value heads (grouped-query attention); = heads when config.json does not say. */
  kvHeads: number;
  dModel: number;
  /** Per-head size: config.json `head_dim` when given (some Llama-likes), else d_model / heads. */
  headDim: number;
  maxPositions: number;
  vocabSize: number | undefined;
  kind: HfKind;
}

export interface HfVariant {
  /** File name, e.g. `model_fp16.onnx`. */
  name: string;
  path: string;
}

export interface HfFolderInfo {
  folder: string;
  configPath: string;
  tokenizerPath: string;
  tokenizerConfigPath: string | undefined;
  specialTokensMapPath: string | undefined;
  config: HfConfig;
  /**
   * Single-graph variants (`model*.onnx`; for a decoder-only Optimum export also `decoder_model.onnx` and
   * `decoder_model_merged.onnx`), `model.onnx` first, then by name. Empty for encoder-decoder folders.
   */
  variants: HfVariant[];
  /** Seq2seq folders: the encoder and decoder graphs. */
  encoderDecoder: { encoder: string; decoder: string } | undefined;
}

/** Decoder-only families (they attend left to right). */
const CAUSAL_TYPES = new Set([
  'gpt2', 'gpt_neo', 'gpt_neox', 'gptj', 'gpt_bigcode', 'llama', 'mistral', 'mixtral', 'qwen2', 'qwen3', 'qwen2_moe', 'phi', 'phi3',
  'gemma', 'gemma2', 'gemma3_text', 'olmo', 'olmo2', 'opt', 'bloom', 'falcon', 'codegen', 'stablelm', 'starcoder2', 'smollm3', 'granite', 'cohere',
]);
/** Encoder-only families (every token sees every token). */
const ENCODER_TYPES = new Set(['bert', 'roberta', 'distilbert', 'albert', 'electra', 'xlm-roberta', 'camembert', 'deberta', 'deberta-v2', 'mpnet', 'modernbert']);
/** Encoder-decoder families. */
const SEQ2SEQ_TYPES = new Set(['marian', 't5', 'mt5', 'bart', 'mbart', 'pegasus', 'm2m_100', 'nllb', 'whisper', 'blenderbot']);

type Json = Record<string, unknown>;

async function readJsonObject(file: string): Promise<Json> {
  const raw = await readJsonFile(file, 'a Hugging Face model folder needs its config.json (layers, heads, sizes) beside tokenizer.json');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelConfigError(file, '(file)', 'must hold a JSON object');
  return raw as Json;
}

const exists = (p: string): Promise<boolean> => stat(p).then((s) => s.isFile(), () => false);

/** Parses config.json content. Reads every common spelling of each size; `file` is named in errors. */
export function parseHfConfig(o: Json, file: string): HfConfig {
  // Seq2seq configs keep some sizes under their own names (d_model, encoder_layers, …); the first key found wins.
  const int = (keys: string[], what: string, optional = false): number | undefined => {
    for (const k of keys) {
      const v = o[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
        throw new ModelConfigError(file, k, `must be a positive integer, the ${what} (got ${JSON.stringify(v)})`);
      }
      return v;
    }
    if (optional) return undefined;
    throw new ModelConfigError(file, keys[0], `is missing: the ${what} must be given (as ${keys.map((k) => `"${k}"`).join(' or ')})`);
  };
  const modelType = typeof o.model_type === 'string' ? o.model_type : undefined;
  const architectures = Array.isArray(o.architectures) ? o.architectures.filter((a): a is string => typeof a === 'string') : [];
  const layers = int(['num_hidden_layers', 'n_layer', 'num_layers', 'encoder_layers', 'n_layers'], 'number of layers') as number;
  const heads = int(['num_attention_heads', 'n_head', 'num_heads', 'encoder_attention_heads', 'n_heads'], 'number of attention heads') as number;
  const dModel = int(['hidden_size', 'n_embd', 'd_model', 'dim'], 'model width (d_model)') as number;
  const kvHeads = int(['num_key_value_heads', 'num_kv_heads', 'n_kv_heads'], 'number of key/value heads', true) ?? heads;
  if (heads % kvHeads !== 0) {
    throw new ModelConfigError(file, 'num_key_value_heads', `must divide num_attention_heads (${kvHeads} does not divide ${heads})`);
  }
  const givenHeadDim = int(['head_dim', 'd_kv'], 'size of one head', true);
  if (givenHeadDim === undefined && dModel % heads !== 0) {
    throw new ModelConfigError(file, 'num_attention_heads', `must divide the model width (${heads} does not divide ${dModel}); give "head_dim"`);
  }
  const headDim = givenHeadDim ?? dModel / heads;
  // T5 has relative positions and no maximum; 512 is what its tokenizer config uses.
  const maxPositions = int(['max_position_embeddings', 'n_positions', 'n_ctx', 'max_sequence_length', 'seq_length'], 'longest input in tokens', modelType === 't5' || modelType === 'mt5') ?? 512;
  const vocabSize = int(['vocab_size'], 'vocabulary size', true);
  return { modelType, architectures, layers, heads, kvHeads, dModel, headDim, maxPositions, vocabSize, kind: kindOf(o, modelType, architectures) };
}

function kindOf(o: Json, modelType: string | undefined, architectures: string[]): HfKind {
  if (o.is_encoder_decoder === true || (modelType && SEQ2SEQ_TYPES.has(modelType)) || architectures.some((a) => /ForConditionalGeneration$|MTModel$/.test(a) && !/CausalLM/.test(a))) {
    return 'encoder-decoder';
  }
  if (o.is_decoder === true || (modelType && CAUSAL_TYPES.has(modelType)) || architectures.some((a) => /CausalLM|LMHeadModel$/.test(a))) return 'causal';
  if ((modelType && ENCODER_TYPES.has(modelType)) || architectures.some((a) => /MaskedLM|ForSequenceClassification|ForTokenClassification|Model$/.test(a))) {
    return 'encoder';
  }
  // Unknown family: without is_decoder, Hugging Face treats a model as an encoder.
  return 'encoder';
}

/** Single-graph model files: `model.onnx`, `model_fp16.onnx`, `model_quantized.onnx`, … */
const VARIANT = /^model(_[A-Za-z0-9_]+)?\.onnx$/;

/** Decoder-only graph names of Optimum exports, the plain one first (see inspectHfFolder). */
const DECODER_ONLY = ['decoder_model.onnx', 'decoder_model_merged.onnx'];

/** Sort order of variants: model.onnx, then decoder_model.onnx, then the rest by name. */
const rank = (name: string): number => (name === 'model.onnx' ? 0 : name === 'decoder_model.onnx' ? 1 : 2);

/** The ONNX files of a folder: `onnx/` first (transformers.js layout), then the folder itself (Optimum). */
async function onnxFiles(folder: string): Promise<{ dir: string; names: string[] }[]> {
  const out: { dir: string; names: string[] }[] = [];
  for (const dir of [path.join(folder, 'onnx'), folder]) {
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      out.push({ dir, names: entries.filter((e) => e.isFile() && e.name.endsWith('.onnx')).map((e) => e.name).sort() });
    } catch {
      // no such folder: fine
    }
  }
  return out;
}

/**
 * True when `folder` looks like a Hugging Face model folder: no model.json, ONNX files (in `onnx/` or beside), and
 * config.json or tokenizer.json — one of them is enough, so a folder missing the other is reported with that error
 * rather than passed over. `strict` (for a models path that may be a root of folders): both must be there.
 */
export async function isHfFolder(folder: string, strict = false): Promise<boolean> {
  const [config, tokenizer, contract] = await Promise.all(['config.json', 'tokenizer.json', 'model.json'].map((f) => exists(path.join(folder, f))));
  if (contract || !(strict ? config && tokenizer : config || tokenizer)) return false;
  return (await onnxFiles(folder)).some((d) => d.names.length > 0);
}

/** Reads a Hugging Face model folder. Throws ModelConfigError naming the file (and field) that is wrong. */
export async function inspectHfFolder(folder: string): Promise<HfFolderInfo> {
  const abs = path.resolve(folder);
  const configPath = path.join(abs, 'config.json');
  const tokenizerPath = path.join(abs, 'tokenizer.json');
  const config = parseHfConfig(await readJsonObject(configPath), configPath);
  if (!(await exists(tokenizerPath))) {
    throw new ModelConfigError(tokenizerPath, '(file)', 'is missing: a Hugging Face model folder needs its tokenizer.json beside config.json');
  }
  const optional = async (name: string): Promise<string | undefined> => ((await exists(path.join(abs, name))) ? path.join(abs, name) : undefined);
  const files = await onnxFiles(abs);
  const variants: HfVariant[] = [];
  let encoderDecoder: HfFolderInfo['encoderDecoder'];
  for (const { dir, names } of files) {
    // A decoder-only Optimum export names its graphs decoder_model.onnx (no cache), decoder_with_past_model.onnx
    // and decoder_model_merged.onnx (both behind an If); the first is the one whose attention can be exposed.
    const decoderOnly = !names.includes('encoder_model.onnx');
    for (const name of names) {
      const isVariant = VARIANT.test(name) || (decoderOnly && DECODER_ONLY.includes(name));
      if (isVariant && !variants.some((v) => v.name === name)) variants.push({ name, path: path.join(dir, name) });
    }
    if (!encoderDecoder && names.includes('encoder_model.onnx') && names.includes('decoder_model.onnx')) {
      encoderDecoder = { encoder: path.join(dir, 'encoder_model.onnx'), decoder: path.join(dir, 'decoder_model.onnx') };
    }
  }
  variants.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  if (!variants.length && !encoderDecoder) {
    throw new ModelConfigError(
      path.join(abs, 'onnx'),
      '(file)',
      'holds no model: expected onnx/model.onnx (or model_fp16.onnx, model_quantized.onnx, …), model.onnx beside config.json, or encoder_model.onnx + decoder_model.onnx',
    );
  }
  const kind: HfKind = encoderDecoder && !variants.length ? 'encoder-decoder' : config.kind;
  return {
    folder: abs,
    configPath,
    tokenizerPath,
    tokenizerConfigPath: await optional('tokenizer_config.json'),
    specialTokensMapPath: await optional('special_tokens_map.json'),
    config: { ...config, kind },
    variants,
    encoderDecoder,
  };
}

/** The variant to open: the one named, else `model.onnx`, else the only one. Errors list what there is. */
export function chooseVariant(info: HfFolderInfo, wanted: string | undefined): HfVariant {
  const names = info.variants.map((v) => v.name).join(', ') || 'none';
  if (wanted !== undefined) {
    const found = info.variants.find((v) => v.name === wanted || v.name === `${wanted}.onnx` || v.name === `model_${wanted}.onnx`);
    if (!found) throw new ModelConfigError(path.join(info.folder, 'onnx'), wanted, `is not a model variant of this folder (found: ${names})`);
    return found;
  }
  const chosen =
    info.variants.find((v) => v.name === 'model.onnx') ??
    info.variants.find((v) => v.name === 'decoder_model.onnx') ??
    (info.variants.length === 1 ? info.variants[0] : undefined);
  if (!chosen) throw new ModelConfigError(path.join(info.folder, 'onnx'), 'model.onnx', `is missing; pick one of the variants found: ${names}`);
  return chosen;
}

/** A stable id from the folder's name: lower-case letters, digits and dashes ("Xenova/gpt2" → "gpt2"). */
export function slugFor(folder: string, taken: ReadonlySet<string>): string {
  const base =
    path
      .basename(path.resolve(folder))
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'model';
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  return id;
}
