/**
 * A tokenizer folder from the internet is untrusted: each bad file gives a clear error naming the file and the
 * field, in bounded time.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HfTokenizer } from '../../src/hfTokenizer/hfTokenizer';
import { TokenizerFormatError, UnsafePatternError, UnsupportedComponentError } from '../../src/hfTokenizer/errors';
import { MAX_ADDED_TOKENS, MAX_TOKENIZER_FILE_BYTES, MAX_VOCAB_SIZE } from '../../src/hfTokenizer/limits';
import { nestedQuantifier } from '../../src/hfTokenizer/regexGuard';
import { MODEL_FIXTURES, OWN_FIXTURES } from './fixtures';

const FILE = '/models/bad/tokenizer.json';
const base = JSON.parse(readFileSync(path.join(OWN_FIXTURES, 'components-wordpiece/tokenizer.json'), 'utf8')) as Record<string, unknown>;
const withParts = (parts: Record<string, unknown>): string => JSON.stringify({ ...base, ...parts });
const load = (tokenizerJson: string) => HfTokenizer.fromFiles({ tokenizerJson, tokenizerJsonName: FILE });

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('bad tokenizer files', () => {
  it('an unsupported normaliser names the file, the JSON path and what is supported', () => {
    const e = errorOf(() => load(withParts({ normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Foo' }] } })));
    expect(e).toBeInstanceOf(UnsupportedComponentError);
    expect(e.message).toContain(FILE);
    expect(e.message).toContain('normalizer.normalizers[1].type');
    expect(e.message).toContain('"Foo" is not supported');
    expect(e.message).toContain('BertNormalizer');
  });

  it('unsupported pre-tokenizer, model and post-processor components are named by their path', () => {
    const pre = errorOf(() => load(withParts({ pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'CharDelimiterSplit', delimiter: '|' }] } })));
    expect(pre.message).toMatch(/pre_tokenizer\.pretokenizers\[1\]\.type: "CharDelimiterSplit" is not supported/);
    const model = errorOf(() => load(withParts({ model: { type: 'WordLevel', vocab: {} } })));
    expect(model.message).toMatch(/model\.type: "WordLevel" is not supported \(supported models: BPE, WordPiece, Unigram\)/);
    const post = errorOf(() => load(withParts({ post_processor: { type: 'Sequence', processors: [{ type: 'Mystery' }] } })));
    expect(post.message).toMatch(/post_processor\.processors\[0\]\.type: "Mystery"/);
    const mixed = errorOf(() => load(withParts({ pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'ByteLevel' }, { type: 'Metaspace', replacement: '▁' }] } })));
    expect(mixed.message).toMatch(/both ByteLevel and Metaspace/);
  });

  it('a catastrophically backtracking Split pattern is refused within a second, naming the pattern', () => {
    const t0 = performance.now();
    const e = errorOf(() => load(withParts({ pre_tokenizer: { type: 'Split', pattern: { Regex: '(a+)+$' }, behavior: 'Isolated', invert: false } })));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e).toBeInstanceOf(UnsafePatternError);
    expect(e.message).toContain(FILE);
    expect(e.message).toContain('pre_tokenizer.pattern.Regex');
    expect(e.message).toContain('"(a+)+$"');
  });

  it('a pattern with no nested quantifier that still backtracks polynomially is caught by timing, within a second', () => {
    const source = '\\s*\\s*\\s*\\s*\\s*\\s*\\s*\\s*\\s*x';
    expect(nestedQuantifier(source)).toBeNull();
    const t0 = performance.now();
    const e = errorOf(() => load(withParts({ normalizer: { type: 'Replace', pattern: { Regex: source }, content: ' ' } })));
    const took = performance.now() - t0;
    expect(took).toBeLessThan(1000);
    expect(e).toBeInstanceOf(UnsafePatternError);
    expect(e.message).toContain('normalizer.pattern.Regex');
    expect(e.message).toMatch(/took \d+ ms/);
  });

  it('real split patterns (GPT-2, Llama-3, Qwen2 shapes) pass the check', () => {
    for (const source of [
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    ]) {
      expect(() => load(withParts({ pre_tokenizer: { type: 'Split', pattern: { Regex: source }, behavior: 'Isolated', invert: false } }))).not.toThrow();
    }
  });

  it('a decoder the library does not know does not stop loading (decoders are not used)', () => {
    const tok = load(withParts({ decoder: { type: 'SomeFutureDecoder' } }));
    expect(tok.encode('hello world').length).toBeGreaterThan(0);
  });

  it('an oversized file is refused before parsing, naming the limit', () => {
    const e = errorOf(() => load(' '.repeat(MAX_TOKENIZER_FILE_BYTES + 1)));
    expect(e).toBeInstanceOf(TokenizerFormatError);
    expect(e.message).toContain(FILE);
    expect(e.message).toContain(`at most ${MAX_TOKENIZER_FILE_BYTES}`);
  });

  it('a vocabulary or added-token list over the limit is refused, naming the field', () => {
    const vocab = errorOf(() => load(withParts({ model: { type: 'Unigram', unk_id: 0, vocab: Array.from({ length: MAX_VOCAB_SIZE + 1 }, () => ['a', 0]) } })));
    expect(vocab.message).toContain(`${FILE}: model.vocab: has ${MAX_VOCAB_SIZE + 1} entries; at most ${MAX_VOCAB_SIZE}`);
    const added = errorOf(() => load(withParts({ added_tokens: Array.from({ length: MAX_ADDED_TOKENS + 1 }, (_, i) => ({ id: i, content: `t${i}` })) })));
    expect(added.message).toContain(`${FILE}: added_tokens: has ${MAX_ADDED_TOKENS + 1} entries`);
  });

  it('malformed JSON and wrong shapes name the file and the field', () => {
    expect(errorOf(() => load('{"model": ')).message).toMatch(new RegExp(`^${FILE}: \\(file\\): not valid JSON`));
    expect(errorOf(() => load(withParts({ model: { type: 'WordPiece', vocab: [1, 2] } }))).message).toContain('model.vocab: expected an object');
    expect(errorOf(() => load(withParts({ added_tokens: [{ content: 'x' }] }))).message).toContain('added_tokens[0]: expected');
    expect(errorOf(() => load(withParts({ model: { type: 'BPE', vocab: { a: 0 }, merges: [3] } }))).message).toContain('model.merges[0]');
    expect(errorOf(() => load(withParts({ model: { type: 'Unigram', unk_id: 9, vocab: [['a', 0]] } }))).message).toContain('model.unk_id');
    const config = errorOf(() => HfTokenizer.fromFiles({ tokenizerJson: withParts({}), tokenizerConfig: '[1', tokenizerConfigName: '/m/tokenizer_config.json' }));
    expect(config.message).toMatch(/^\/m\/tokenizer_config\.json: \(file\): not valid JSON/);
  });

  const bad = path.join(MODEL_FIXTURES, 'bad');
  it.skipIf(!existsSync(path.join(bad, 'catastrophic-regex/tokenizer.json')))('the model fixtures\' bad tokenizers fail with named errors', () => {
    const read = (name: string) => ({ tokenizerJson: readFileSync(path.join(bad, name, 'tokenizer.json'), 'utf8'), tokenizerJsonName: path.join(bad, name, 'tokenizer.json') });
    const t0 = performance.now();
    const regex = errorOf(() => HfTokenizer.fromFiles(read('catastrophic-regex')));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(regex.message).toContain('catastrophic-regex/tokenizer.json: pre_tokenizer.pretokenizers[0].pattern.Regex');
    const unsupported = errorOf(() => HfTokenizer.fromFiles(read('unsupported-component')));
    expect(unsupported.message).toContain('unsupported-component/tokenizer.json: normalizer.type: "FancyUnicodeFolding" is not supported');
  });
});
