/** HfTokenizer: exact ranges for each family's hard cases, special tokens, the vocabulary API, slices and yields. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkCuts, type ChunkMode } from '../../src/hfTokenizer/chunking';
import type { TextToken } from '../../src/hfTokenizer/textTokenizer';
import { CancelledError, TooManyTokensError } from '../../src/pipeline/windows';
import { fuzzTexts } from './fuzzCorpus';
import { loadFixture, MODEL_FIXTURES, OWN_FIXTURES } from './fixtures';
import { offsetProblem } from './tokenProperty';

const load = (name: string) => loadFixture(path.join(OWN_FIXTURES, name));
const shown = (text: string, tokens: TextToken[]): [string, string][] => tokens.map((t) => [t.piece, text.slice(t.start, t.end)]);

describe('HfTokenizer offsets', () => {
  it('BERT: lower-casing and accent stripping map back to the original characters', () => {
    const tok = load('bert-uncased');
    const text = 'Héllo Ökonomie';
    const tokens = tok.encode(text);
    expect(tokens[0]).toMatchObject({ piece: '[CLS]', start: 0, end: 0, special: true });
    expect(tokens[tokens.length - 1]).toMatchObject({ piece: '[SEP]', start: text.length, end: text.length, special: true });
    expect(shown(text, tokens.slice(1, 6))).toEqual([
      ['h', 'H'],
      ['##e', 'é'],
      ['##l', 'l'],
      ['##l', 'l'],
      ['##o', 'o'],
    ]);
    expect(shown(text, tokens).find(([p]) => p === 'o')).toEqual(['o', 'Ö']);
  });

  it('BERT: a decomposed accent (e + U+0301) and a CJK character map to their own text', () => {
    const tok = load('bert-uncased');
    const text = 'cafe\u0301 深度';
    const got = shown(text, tok.encode(text, { addSpecialTokens: false }));
    // The accent is inside the range of the piece that spells its "e"; each CJK character is its own piece.
    expect(got.map(([, s]) => s).join('')).toBe('cafe\u0301深度');
    expect(got.find(([p]) => p.endsWith('e'))?.[1].endsWith('e\u0301')).toBe(true);
    expect(got.slice(-2)).toEqual([
      ['深', '深'],
      ['度', '度'],
    ]);
  });

  it('byte fallback: the pieces of one emoji share its two UTF-16 units', () => {
    const tok = load('llama2-bytefallback');
    const text = 'a 😀 b';
    const tokens = tok.encode(text).filter((t) => /^<0x/.test(t.piece));
    expect(tokens.map((t) => t.piece)).toEqual(['<0xF0>', '<0x9F>', '<0x98>', '<0x80>']);
    for (const t of tokens) expect([t.start, t.end]).toEqual([2, 4]);
  });

  it('SentencePiece BPE: the prepended "▁" stands for no text, a "▁" for a space covers that space', () => {
    const tok = load('llama2-bytefallback');
    const text = 'the the';
    const tokens = tok.encode(text);
    expect(tokens[0]).toMatchObject({ piece: '<s>', special: true, start: 0, end: 0 });
    const content = tokens.slice(1);
    expect(content.map((t) => t.piece).join('')).toBe('▁the▁the');
    expect(text.slice(content[content.length - 1].start, content[content.length - 1].end)).toBe(' the');
    expect(offsetProblem(tok, text, tokens, {}, false)).toBeNull();
  });

  it('Unigram with Precompiled (NFKC): a ligature and full-width letters map back to what they came from', () => {
    const tok = load('t5-unigram');
    const text = 'ﬁne ＡＢＣ';
    const tokens = tok.encode(text);
    expect(tokens[tokens.length - 1]).toMatchObject({ piece: '</s>', start: text.length, end: text.length, special: true });
    const content = tokens.filter((t) => !t.special && t.end > t.start);
    // Pieces that split the ligature share its range (ﬁ → "▁f" + "in" covers ﬁ and ﬁn); the full-width letters
    // map to themselves.
    expect(content[0].start).toBe(0);
    expect(text.slice(content[0].start, content[0].end)).toBe('ﬁ');
    const covered = new Set(content.flatMap((t) => [...text.slice(t.start, t.end)]));
    for (const ch of 'ﬁneＡＢＣ') expect(covered.has(ch), ch).toBe(true);
    for (const t of content) expect(text.slice(t.start, t.end).normalize('NFKC').replace(/\s/g, '')).toContain(t.piece.replace('▁', '').slice(-1));
    expect(offsetProblem(tok, text, tokens, {}, false)).toBeNull();
  });

  it('byte-level BPE (RoBERTa, add_prefix_space): the added space stands for no text; <s> and </s> are special', () => {
    const tok = load('roberta-bytelevel');
    const text = 'Hello world';
    const tokens = tok.encode(text);
    expect(tokens.map((t) => [t.piece, t.start, t.end, t.special ?? false])).toEqual([
      ['<s>', 0, 0, true],
      ...tokens.slice(1, -1).map((t) => [t.piece, t.start, t.end, false]),
      ['</s>', 11, 11, true],
    ]);
    expect(text.slice(tokens[1].start, tokens[1].end)).toBe('Hello'.slice(0, tokens[1].end));
    expect(tokens[1].piece.startsWith('Ġ')).toBe(true);
  });

  it('an added token typed in the text is matched as the library matches it and covers its text', () => {
    const tok = load('gpt2-bytelevel');
    const text = 'end<|endoftext|>next';
    const tokens = tok.encode(text);
    const eot = tokens.find((t) => t.piece === '<|endoftext|>') as TextToken;
    expect(eot).toBeDefined();
    expect(text.slice(eot.start, eot.end)).toBe('<|endoftext|>');
    expect(eot.special).toBeUndefined();
    expect(tokens.map((t) => t.id)).toEqual(tok.libraryIds(text));
  });

  it('a text that starts with the token the template adds keeps its own token; the added one is special', () => {
    const tok = load('llama2-bytefallback');
    const text = '<s>hi';
    const tokens = tok.encode(text);
    expect(tokens[0]).toMatchObject({ piece: '<s>', start: 0, end: 0, special: true });
    expect(tokens[1]).toMatchObject({ piece: '<s>', start: 0, end: 3 });
    expect(tokens[1].special).toBeUndefined();
    expect(tokens.map((t) => t.id)).toEqual(tok.libraryIds(text));
  });

  it('an empty or blank text gives only the special tokens, at 0', () => {
    for (const text of ['', '   ', '\n']) {
      const tokens = load('bert-uncased').encode(text);
      expect(tokens.map((t) => [t.piece, t.start, t.end, t.special])).toEqual([
        ['[CLS]', 0, 0, true],
        ['[SEP]', text.length, text.length, true],
      ]);
    }
  });

  it('addSpecialTokens: false leaves the post-processor\'s tokens out, as the library does', () => {
    const tok = load('bert-uncased');
    const tokens = tok.encode('hello', { addSpecialTokens: false });
    expect(tokens.some((t) => t.special)).toBe(false);
    expect(tokens.map((t) => t.id)).toEqual(tok.libraryIds('hello', false));
  });

  it('the offset property notices a token moved by one character', () => {
    // The check used by the fuzz test must be able to fail.
    const tok = load('bert-uncased');
    const text = 'hello world, the fox';
    const tokens = tok.encode(text);
    expect(offsetProblem(tok, text, tokens, { continuingPrefix: '##', unk: '[UNK]' }, false)).toBeNull();
    const moved = tokens.map((t, i) => (i === 2 ? { ...t, start: t.start + 1, end: t.end + 1 } : t));
    expect(offsetProblem(tok, text, moved, { continuingPrefix: '##', unk: '[UNK]' }, false)).not.toBeNull();
  });
});

describe('HfTokenizer vocabulary and special tokens', () => {
  it('vocabSize is the largest id over vocab and added tokens plus one; pieceOf and idOf invert each other', () => {
    const tok = load('roberta-bytelevel');
    expect(tok.vocabSize).toBe(8192 + 3);
    expect(tok.idOf('<mask>')).toBe(8194);
    expect(tok.pieceOf(8194)).toBe('<mask>');
    expect(tok.idOf(tok.pieceOf(300) as string)).toBe(300);
    expect(tok.pieceOf(-1)).toBeUndefined();
    expect(tok.idOf('no such piece')).toBeUndefined();
  });

  it('special tokens by role come from tokenizer_config.json, special_tokens_map.json and the post-processor', () => {
    expect(load('bert-uncased').special).toMatchObject({ cls: 2, sep: 3, mask: 4, pad: 0, unk: 1 });
    const roberta = load('roberta-bytelevel');
    expect(roberta.special).toMatchObject({ bos: 8192, eos: 8193, cls: 8192, sep: 8193, mask: 8194 });
    expect(load('marian-unigram').special).toMatchObject({ eos: 0, unk: 1, pad: 2 });
    expect(load('llama2-bytefallback').special).toMatchObject({ bos: 1, eos: 2, unk: 0 });
  });

  it('tokenBytes gives the text a piece stands for (byte alphabet, byte fallback, ▁, ##)', () => {
    const dec = (b: Uint8Array) => new TextDecoder().decode(b);
    const gpt2 = load('gpt2-bytelevel');
    expect(dec(gpt2.tokenBytes(gpt2.idOf('Ġthe') as number))).toBe(' the');
    const llama = load('llama2-bytefallback');
    expect([...llama.tokenBytes(llama.idOf('<0xF0>') as number)]).toEqual([0xf0]);
    expect(dec(llama.tokenBytes(llama.idOf('▁the') as number))).toBe(' the');
    const bert = load('bert-uncased');
    expect(dec(bert.tokenBytes(bert.idOf('##ing') as number))).toBe('ing');
    expect(dec(bert.tokenBytes(bert.idOf('[MASK]') as number))).toBe('[MASK]');
  });
});

describe('HfTokenizer.encodeAsync', () => {
  const long = fuzzTexts(7, 400).join(' ');

  it('gives the same tokens as encode and yields to the event loop on a long text', async () => {
    const tok = load('t5-unigram');
    let ticks = 0;
    let running = true;
    const tick = (): void => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const tokens = await tok.encodeAsync(long);
    running = false;
    expect(tokens).toEqual(tok.encode(long));
    expect(ticks).toBeGreaterThan(1);
  });

  it('stops with TooManyTokensError past the limit and with CancelledError when cancelled', async () => {
    const tok = load('bert-uncased');
    const e = await tok.encodeAsync(long, { limit: 100 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TooManyTokensError);
    // Refused from a prefix of about 8 characters per allowed token, not after the whole text.
    expect((e as TooManyTokensError).charsRead).toBeLessThanOrEqual(800);
    expect((e as TooManyTokensError).totalChars).toBe(long.length);
    // Under the limit, the prefix check changes nothing.
    const short = long.slice(0, 2000);
    expect(await tok.encodeAsync(short, { limit: 100_000 })).toEqual(tok.encode(short));
    await expect(tok.encodeAsync(long, { isCancelled: () => true })).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('HfTokenizer chunks of long sections', () => {
  // encodeAsync cuts long sections only where that gives the library's result; with tiny chunks every cut is
  // exercised, and the result must be encode's exactly.
  // Joined so that the cut places (a single space between letters) occur often.
  const text = fuzzTexts(99, 200)
    .join('\nz A')
    .replace(/<\/?s>|<unk>|<mask>|\[CLS\]|\[MASK\]|<\|endoftext\|>/g, 'w');
  const modes: Record<string, ChunkMode | undefined> = {
    'bert-uncased': 'space',
    'bert-cased': 'space',
    'components-wordpiece': 'space',
    'components-bpe-suffix': 'space',
    't5-unigram': 'space', // WhitespaceSplit first; its Replace " {2,}" → " " only touches spaces
    'xlmr-unigram': undefined, // Metaspace alone: one pre-token per section (Unigram over all of it)
    'gpt2-bytelevel': 'bytelevel',
    'llama3-split-bytelevel': 'bytelevel',
    'roberta-bytelevel': 'bytelevel', // chunks start with a space, so add_prefix_space adds none
    'marian-unigram': undefined,
    'llama2-bytefallback': 'prepended', // later chunks are normalised without the prepended ▁
  };
  for (const [name, mode] of Object.entries(modes)) {
    it(`${name}: ${mode ? `cut (${mode}), ` : 'not cut, '}tiny chunks give encode's tokens`, async () => {
      const tok = load(name);
      expect(tok.chunking).toBe(mode);
      if (mode) expect(chunkCuts(text, 64, mode).length).toBeGreaterThan(50);
      const chunked = await tok.encodeAsync(text, { chunkChars: 64 });
      expect(chunked.map((t) => t.id)).toEqual(tok.libraryIds(text));
      expect(chunked).toEqual(tok.encode(text));
    });
  }
  for (const name of existsSync(MODEL_FIXTURES) ? readdirSync(MODEL_FIXTURES).filter((n) => n.startsWith('tiny-')) : []) {
    const dir = path.join(MODEL_FIXTURES, name);
    it.skipIf(!existsSync(path.join(dir, 'tokenizer.json')))(`hf/${name}: tiny chunks give encode's tokens`, async () => {
      const tok = loadFixture(dir);
      expect(await tok.encodeAsync(text, { chunkChars: 64 })).toEqual(tok.encode(text));
    });
  }
});
