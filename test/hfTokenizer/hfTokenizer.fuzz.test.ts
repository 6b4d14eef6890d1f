/**
 * Every family's tokenizer on a seeded fuzz corpus: ids equal the library's exactly, and offsets have the
 * property of tokenProperty.ts. Families: this folder's fixtures (one per family and per supported component)
 * and the model fixtures' tokenizers under test/fixtures/hf when they are there.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reconciledCount } from '../../src/hfTokenizer/alignedText';
import { fuzzTexts } from './fuzzCorpus';
import { HfTokenizer } from '../../src/hfTokenizer/hfTokenizer';
import { loadFixture, MODEL_FIXTURES, OWN_FIXTURES, readFixtureFiles } from './fixtures';
import { offsetProblem, type FamilyConventions } from './tokenProperty';

const TEXTS = fuzzTexts(20261202, 300);

function families(): [string, string][] {
  const out: [string, string][] = [];
  for (const name of readdirSync(OWN_FIXTURES)) {
    if (existsSync(path.join(OWN_FIXTURES, name, 'tokenizer.json'))) out.push([name, path.join(OWN_FIXTURES, name)]);
  }
  if (existsSync(MODEL_FIXTURES)) {
    for (const name of readdirSync(MODEL_FIXTURES)) {
      if (name.startsWith('tiny-') && existsSync(path.join(MODEL_FIXTURES, name, 'tokenizer.json'))) out.push([`hf/${name}`, path.join(MODEL_FIXTURES, name)]);
    }
  }
  return out.sort();
}

type Json = Record<string, unknown>;
/** Variants of the fixtures for components and settings no family above uses. */
const VARIANTS: { name: string; base: string; tokenizer?: (j: Json) => void; config?: Json }[] = [
  { name: 'metaspace-first-nosplit', base: 'marian-unigram', tokenizer: (j) => void (j.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false }) },
  { name: 'metaspace-never', base: 'marian-unigram', tokenizer: (j) => void (j.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: true }) },
  {
    name: 'split-removed-punct',
    base: 'components-wordpiece',
    tokenizer: (j) =>
      void (j.pre_tokenizer = {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { String: ' ' }, behavior: 'Removed', invert: false },
          { type: 'Split', pattern: { Regex: '\\p{P}' }, behavior: 'Isolated', invert: false },
          { type: 'Punctuation', behavior: 'Isolated' },
          { type: 'WhitespaceSplit' },
          { type: 'Digits', individual_digits: true },
        ],
      }),
  },
  {
    // Non-special added tokens matched in the normalised text ("Attention" → "attention"), one with lstrip/rstrip.
    name: 'added-normalized-strip',
    base: 'bert-uncased',
    tokenizer: (j) => {
      const added = j.added_tokens as Json[];
      const next = Math.max(...Object.values((j.model as Json).vocab as Record<string, number>)) + 1;
      added.push({ id: next, content: 'Attention', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false });
      added.push({ id: next + 1, content: '[MASK]', single_word: false, lstrip: true, rstrip: true, normalized: false, special: true });
    },
  },
  { name: 'wordpiece-max5', base: 'bert-uncased', tokenizer: (j) => void ((j.model as Json).max_input_chars_per_word = 5) },
  { name: 'bytelevel-noregex-prefix', base: 'gpt2-bytelevel', tokenizer: (j) => void (j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: false }) },
  { name: 'config-remove-space-lowercase', base: 'components-bpe-suffix', config: { remove_space: true, do_lowercase_and_remove_accent: true } },
  {
    name: 'strip-left-nfkc-replace',
    base: 'llama2-bytefallback',
    tokenizer: (j) =>
      void (j.normalizer = {
        type: 'Sequence',
        normalizers: [
          { type: 'Strip', strip_left: true, strip_right: false },
          { type: 'NFKC' },
          { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
          { type: 'Prepend', prepend: '▁' },
          { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
        ],
      }),
  },
];

function loadVariant(v: (typeof VARIANTS)[number]): HfTokenizer {
  const files = readFixtureFiles(path.join(OWN_FIXTURES, v.base));
  const j = JSON.parse(files.tokenizerJson) as Json;
  v.tokenizer?.(j);
  const config = { ...(files.tokenizerConfig ? (JSON.parse(files.tokenizerConfig) as Json) : {}), ...v.config };
  return HfTokenizer.fromFiles({ ...files, tokenizerJson: JSON.stringify(j), tokenizerConfig: JSON.stringify(config) });
}

const timings: string[] = [];
afterAll(() => {
  console.log(`fuzz: ${TEXTS.length} texts (${TEXTS.reduce((n, t) => n + t.length, 0)} UTF-16 units) per family\n${timings.join('\n')}`);
});

describe('Hugging Face tokenizers on a fuzz corpus', () => {
  const all: [string, () => HfTokenizer][] = [
    ...families().map(([name, dir]): [string, () => HfTokenizer] => [name, () => loadFixture(dir)]),
    ...VARIANTS.map((v): [string, () => HfTokenizer] => [`variant/${v.name}`, () => loadVariant(v)]),
  ];
  for (const [name, make] of all) {
    it(`${name}: ids equal the library's and offsets are exact`, () => {
      const tok = make();
      const unkId = tok.special.unk;
      const conv: FamilyConventions = {
        continuingPrefix: tok.idOf('##a') !== undefined || tok.idOf('##e') !== undefined ? '##' : undefined,
        endOfWordSuffix: tok.idOf('e</w>') !== undefined ? '</w>' : undefined,
        unk: unkId !== undefined ? tok.pieceOf(unkId) : undefined,
      };
      const exact = tok.byteLevel && tok.normalized('Aé ') === 'Aé ';
      const approxBefore = tok.approximations;
      const reconciledBefore = reconciledCount();
      let tokens = 0;
      let ms = 0;
      for (const text of TEXTS) {
        const t0 = performance.now();
        const out = tok.encode(text);
        ms += performance.now() - t0;
        tokens += out.length;
        expect(out.map((t) => t.id), JSON.stringify(text)).toEqual(tok.libraryIds(text));
        expect(offsetProblem(tok, text, out, conv, exact), JSON.stringify(text)).toBeNull();
      }
      const approx = tok.approximations - approxBefore;
      const reconciled = reconciledCount() - reconciledBefore;
      timings.push(`  ${name.padEnd(28)} ${tokens} tokens, encode ${ms.toFixed(0)} ms, approximated pieces ${approx}, reconciled normalisations ${reconciled}`);
      expect(approx).toBe(0);
    });
  }
});
