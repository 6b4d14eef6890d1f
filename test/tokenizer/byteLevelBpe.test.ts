import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ByteLevelBpeTokenizer, TokenizerFormatError, type Token } from '../../src/tokenizer/byteLevelBpe';
import { offsetProblem } from '../helpers/offsets';
import { MODELS_DIR, OFFSET_TEXTS } from '../helpers/bundled';

const tokenizerText = readFileSync(path.join(MODELS_DIR, 'tokenizer.json'), 'utf8');
const tokenizer = ByteLevelBpeTokenizer.fromJson(tokenizerText);
function checkOffsets(text: string, tokens: Token[]): void {
  expect(offsetProblem(text, tokens)).toBeNull();
}

describe('byte-level BPE tokenizer', () => {
  it('gives the same ids as the Python encoder the models were trained with', () => {
    const fixtures = JSON.parse(readFileSync(path.join(MODELS_DIR, 'tokenizer-fixtures.json'), 'utf8')) as { text: string; ids: number[] }[];
    expect(fixtures.length).toBeGreaterThan(20);
    for (const f of fixtures) expect(tokenizer.encode(f.text).map((t) => t.id), JSON.stringify(f.text)).toEqual(f.ids);
  });

  for (const [name, text] of Object.entries(OFFSET_TEXTS)) {
    it(`maps every token to its exact UTF-16 range: ${name}`, () => {
      const tokens = tokenizer.encode(text);
      expect(tokens.length).toBeGreaterThan(0);
      checkOffsets(text, tokens);
      for (const t of tokens) expect(t.id).toBeGreaterThanOrEqual(0);
    });
  }

  it('gives tokens that split one character that character\'s whole range', () => {
    const text = '😀';
    const tokens = tokenizer.encode(text);
    // Whatever the merges, every token of a lone emoji covers the emoji's two UTF-16 units.
    for (const t of tokens) expect([t.start, t.end]).toEqual([0, 2]);
  });

  it('keeps CRLF, tabs and indentation as tokens with exact ranges', () => {
    const text = 'a\r\n\tb';
    const tokens = tokenizer.encode(text);
    expect(tokens.map((t) => text.slice(t.start, t.end)).join('')).toBe(text);
  });

  it('tokenizes a long run of CJK text (one pre-token) with exact offsets', () => {
    const text = '注意力机制'.repeat(2000);
    const tokens = tokenizer.encode(text);
    checkOffsets(text, tokens);
  });

  it('encodes in slices that join up to the whole-text encoding', () => {
    const text = OFFSET_TEXTS.code.repeat(20) + OFFSET_TEXTS.chinese.repeat(5);
    const whole = tokenizer.encode(text);
    const sliced: Token[] = [];
    let at = 0;
    while (at < text.length) at = tokenizer.encodeRange(text, at, at + 37, sliced);
    expect(sliced).toEqual(whole);
  });

  it('rejects files that are not byte-level BPE, naming the file and the field', () => {
    const parsed = JSON.parse(tokenizerText);
    const bad = (mutate: (o: any) => void): string => {
      const copy = JSON.parse(JSON.stringify(parsed));
      mutate(copy);
      return JSON.stringify(copy);
    };
    expect(() => ByteLevelBpeTokenizer.fromJson('{oops', 'x/tokenizer.json')).toThrow(/x\/tokenizer.json: \(file\): not valid JSON/);
    expect(() => ByteLevelBpeTokenizer.fromJson(bad((o) => (o.model.type = 'WordPiece')), 't.json')).toThrow(/t.json: model.type: expected "BPE"/);
    expect(() => ByteLevelBpeTokenizer.fromJson(bad((o) => (o.pre_tokenizer = null)), 't.json')).toThrow(/pre_tokenizer/);
    expect(() => ByteLevelBpeTokenizer.fromJson(bad((o) => delete o.model.vocab['Ā']), 't.json')).toThrow(/byte 0x00 has no token/);
    expect(() => ByteLevelBpeTokenizer.fromJson(bad((o) => (o.model.merges = 'x')), 't.json')).toThrow(/model.merges: expected an array/);
    expect(() => ByteLevelBpeTokenizer.fromJson(bad((o) => (o.model.merges[3] = 42)), 't.json')).toThrow(/model.merges\[3\]/);
    expect(TokenizerFormatError).toBeDefined();
  });
});
