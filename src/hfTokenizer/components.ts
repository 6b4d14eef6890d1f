/**
 * Checks the shape of a parsed tokenizer.json before the library sees it: every component must be one whose
 * offsets this extension can align, sizes must be inside the limits, and every regular expression is collected
 * (with its JSON path) for the backtracking check. Errors name the file and the JSON path of the component.
 */
import { UnsupportedComponentError, TokenizerFormatError } from './errors';
import { MAX_ADDED_TOKENS, MAX_MERGES, MAX_PATTERN_CHARS, MAX_VOCAB_SIZE } from './limits';

export const SUPPORTED_NORMALIZERS = [
  'BertNormalizer',
  'Lowercase',
  'NFC',
  'NFD',
  'NFKC',
  'NFKD',
  'StripAccents',
  'Replace',
  'Prepend',
  'Precompiled',
  'Strip',
  'Sequence',
] as const;
export const SUPPORTED_PRE_TOKENIZERS = [
  'ByteLevel',
  'BertPreTokenizer',
  'Whitespace',
  'WhitespaceSplit',
  'Metaspace',
  'Split',
  'Punctuation',
  'Digits',
  'Sequence',
] as const;
export const SUPPORTED_MODELS = ['BPE', 'WordPiece', 'Unigram'] as const;
export const SUPPORTED_POST_PROCESSORS = ['TemplateProcessing', 'BertProcessing', 'RobertaProcessing', 'ByteLevel', 'Sequence'] as const;

/** A regular expression found in the file, with where it is. */
export interface FoundPattern {
  field: string;
  source: string;
}

/** What the aligner needs to know about the pre-tokenizer chain. */
export interface PreTokenizerTraits {
  /** A ByteLevel pre-tokenizer turns text into the GPT-2 byte alphabet. */
  byteLevel: boolean;
  /** A Metaspace pre-tokenizer replaces spaces with this string (usually "▁"). */
  metaspace?: string;
}

export interface CheckedTokenizerJson {
  json: Record<string, unknown>;
  patterns: FoundPattern[];
  traits: PreTokenizerTraits;
  /** The largest id over the model's vocabulary and the added tokens, plus one. */
  vocabSize: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkType(file: string, path: string, node: unknown, supported: readonly string[], kind: string): string {
  if (!isObject(node)) throw new TokenizerFormatError(file, path, `expected a ${kind} object, got ${JSON.stringify(node)?.slice(0, 60)}`);
  const type = node.type;
  if (typeof type !== 'string' || !supported.includes(type)) {
    throw new UnsupportedComponentError(
      file,
      `${path}.type`,
      `${JSON.stringify(type)} is not supported (supported ${kind}s: ${supported.join(', ')})`,
    );
  }
  return type;
}

function collectPattern(file: string, path: string, node: Json, out: FoundPattern[]): void {
  const pattern = node.pattern;
  if (!isObject(pattern)) throw new TokenizerFormatError(file, `${path}.pattern`, 'expected {"String": …} or {"Regex": …}');
  if (typeof pattern.Regex === 'string') {
    if (pattern.Regex.length > MAX_PATTERN_CHARS) {
      throw new TokenizerFormatError(file, `${path}.pattern.Regex`, `is ${pattern.Regex.length} characters long; at most ${MAX_PATTERN_CHARS} are accepted`);
    }
    out.push({ field: `${path}.pattern.Regex`, source: pattern.Regex });
  } else if (typeof pattern.String !== 'string') {
    throw new TokenizerFormatError(file, `${path}.pattern`, 'expected {"String": …} or {"Regex": …}');
  }
}

function checkNormalizer(file: string, path: string, node: unknown, patterns: FoundPattern[]): void {
  const type = checkType(file, path, node, SUPPORTED_NORMALIZERS, 'normalizer');
  const n = node as Json;
  if (type === 'Sequence') {
    if (!Array.isArray(n.normalizers)) throw new TokenizerFormatError(file, `${path}.normalizers`, 'expected an array');
    n.normalizers.forEach((c, i) => checkNormalizer(file, `${path}.normalizers[${i}]`, c, patterns));
  } else if (type === 'Replace') {
    collectPattern(file, path, n, patterns);
    if (typeof n.content !== 'string') throw new TokenizerFormatError(file, `${path}.content`, 'expected a string');
  } else if (type === 'Prepend' && typeof n.prepend !== 'string') {
    throw new TokenizerFormatError(file, `${path}.prepend`, 'expected a string');
  }
}

function checkPreTokenizer(file: string, path: string, node: unknown, patterns: FoundPattern[], traits: PreTokenizerTraits): void {
  const type = checkType(file, path, node, SUPPORTED_PRE_TOKENIZERS, 'pre-tokenizer');
  const n = node as Json;
  if (type === 'Sequence') {
    if (!Array.isArray(n.pretokenizers)) throw new TokenizerFormatError(file, `${path}.pretokenizers`, 'expected an array');
    n.pretokenizers.forEach((c, i) => checkPreTokenizer(file, `${path}.pretokenizers[${i}]`, c, patterns, traits));
  } else if (type === 'Split') {
    collectPattern(file, path, n, patterns);
  } else if (type === 'ByteLevel') {
    traits.byteLevel = true;
  } else if (type === 'Metaspace') {
    const rep = (typeof n.str_rep === 'string' && n.str_rep) || (typeof n.replacement === 'string' ? n.replacement : '▁');
    if (rep.length === 0) throw new TokenizerFormatError(file, `${path}.replacement`, 'expected a non-empty string');
    traits.metaspace = rep;
  }
  if (traits.byteLevel && traits.metaspace !== undefined) {
    throw new UnsupportedComponentError(file, path, 'a pre-tokenizer chain with both ByteLevel and Metaspace is not supported');
  }
}

function checkPostProcessor(file: string, path: string, node: unknown): void {
  const type = checkType(file, path, node, SUPPORTED_POST_PROCESSORS, 'post-processor');
  const n = node as Json;
  if (type === 'Sequence') {
    if (!Array.isArray(n.processors)) throw new TokenizerFormatError(file, `${path}.processors`, 'expected an array');
    n.processors.forEach((c, i) => checkPostProcessor(file, `${path}.processors[${i}]`, c));
  } else if (type === 'TemplateProcessing') {
    if (!Array.isArray(n.single)) throw new TokenizerFormatError(file, `${path}.single`, 'expected an array (the template for one sequence)');
    n.single.forEach((item, i) => {
      const ok = isObject(item) && ((isObject(item.SpecialToken) && typeof item.SpecialToken.id === 'string') || isObject(item.Sequence));
      if (!ok) throw new TokenizerFormatError(file, `${path}.single[${i}]`, 'expected {"SpecialToken": {"id": …}} or {"Sequence": {"id": "A"}}');
    });
    if (n.pair !== undefined && !Array.isArray(n.pair)) throw new TokenizerFormatError(file, `${path}.pair`, 'expected an array');
  } else if (type === 'BertProcessing' || type === 'RobertaProcessing') {
    for (const key of ['cls', 'sep']) {
      const v = n[key];
      if (!Array.isArray(v) || typeof v[0] !== 'string') throw new TokenizerFormatError(file, `${path}.${key}`, 'expected ["token", id]');
    }
  }
}

function checkModel(file: string, node: unknown): number {
  const type = checkType(file, 'model', node, SUPPORTED_MODELS, 'model');
  const m = node as Json;
  let maxId = -1;
  if (type === 'Unigram') {
    if (!Array.isArray(m.vocab)) throw new TokenizerFormatError(file, 'model.vocab', 'expected an array of [piece, score] (Unigram)');
    if (m.vocab.length > MAX_VOCAB_SIZE) throw new TokenizerFormatError(file, 'model.vocab', `has ${m.vocab.length} entries; at most ${MAX_VOCAB_SIZE} are accepted`);
    m.vocab.forEach((e: unknown, i: number) => {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') {
        throw new TokenizerFormatError(file, `model.vocab[${i}]`, `expected [piece, score], got ${JSON.stringify(e)?.slice(0, 60)}`);
      }
    });
    maxId = m.vocab.length - 1;
    if (m.unk_id !== undefined && m.unk_id !== null && !(Number.isInteger(m.unk_id) && (m.unk_id as number) >= 0 && (m.unk_id as number) <= maxId)) {
      throw new TokenizerFormatError(file, 'model.unk_id', `expected an index into model.vocab (0…${maxId}), got ${JSON.stringify(m.unk_id)}`);
    }
  } else {
    if (!isObject(m.vocab)) throw new TokenizerFormatError(file, 'model.vocab', `expected an object mapping pieces to ids (${type})`);
    const entries = Object.entries(m.vocab);
    if (entries.length > MAX_VOCAB_SIZE) throw new TokenizerFormatError(file, 'model.vocab', `has ${entries.length} entries; at most ${MAX_VOCAB_SIZE} are accepted`);
    for (const [piece, id] of entries) {
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= MAX_VOCAB_SIZE) {
        throw new TokenizerFormatError(file, `model.vocab[${JSON.stringify(piece)}]`, `expected an integer id in 0…${MAX_VOCAB_SIZE - 1}, got ${JSON.stringify(id)}`);
      }
      if ((id as number) > maxId) maxId = id as number;
    }
    if (type === 'BPE') {
      if (!Array.isArray(m.merges)) throw new TokenizerFormatError(file, 'model.merges', 'expected an array');
      if (m.merges.length > MAX_MERGES) throw new TokenizerFormatError(file, 'model.merges', `has ${m.merges.length} entries; at most ${MAX_MERGES} are accepted`);
      m.merges.forEach((e: unknown, i: number) => {
        const ok = (typeof e === 'string' && e.includes(' ')) || (Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string');
        if (!ok) throw new TokenizerFormatError(file, `model.merges[${i}]`, 'expected "left right" or [left, right]');
      });
    }
  }
  return maxId;
}

/** Validates a parsed tokenizer.json (`file` names it in errors). */
export function checkTokenizerJson(file: string, parsed: unknown): CheckedTokenizerJson {
  if (!isObject(parsed)) throw new TokenizerFormatError(file, '(file)', 'expected a JSON object');
  const patterns: FoundPattern[] = [];
  const traits: PreTokenizerTraits = { byteLevel: false };
  if (parsed.normalizer !== null && parsed.normalizer !== undefined) checkNormalizer(file, 'normalizer', parsed.normalizer, patterns);
  if (parsed.pre_tokenizer !== null && parsed.pre_tokenizer !== undefined) checkPreTokenizer(file, 'pre_tokenizer', parsed.pre_tokenizer, patterns, traits);
  if (parsed.post_processor !== null && parsed.post_processor !== undefined) checkPostProcessor(file, 'post_processor', parsed.post_processor);
  if (!isObject(parsed.model)) throw new TokenizerFormatError(file, 'model', 'missing (expected an object with "type")');
  let maxId = checkModel(file, parsed.model);
  const added = parsed.added_tokens ?? [];
  if (!Array.isArray(added)) throw new TokenizerFormatError(file, 'added_tokens', 'expected an array');
  if (added.length > MAX_ADDED_TOKENS) throw new TokenizerFormatError(file, 'added_tokens', `has ${added.length} entries; at most ${MAX_ADDED_TOKENS} are accepted`);
  added.forEach((t: unknown, i: number) => {
    if (!isObject(t) || typeof t.content !== 'string' || t.content.length === 0 || !Number.isInteger(t.id) || (t.id as number) < 0 || (t.id as number) >= MAX_VOCAB_SIZE) {
      throw new TokenizerFormatError(file, `added_tokens[${i}]`, `expected {"id": integer in 0…${MAX_VOCAB_SIZE - 1}, "content": non-empty string}`);
    }
    maxId = Math.max(maxId, t.id as number);
  });
  // The library requires these keys to exist (null is fine), so a file without them gets them as null. The
  // decoder is never used here (offsets come from the aligner, text from the document), so an exotic decoder
  // does not stop a tokenizer from loading.
  const json: Json = { normalizer: null, pre_tokenizer: null, post_processor: null, ...parsed, decoder: null, added_tokens: added };
  return { json, patterns, traits, vocabSize: maxId + 1 };
}
