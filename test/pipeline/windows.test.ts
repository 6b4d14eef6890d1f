import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planWindows, tokenizeInSlices, TooManyTokensError, windowSlice, WINDOW_OVERLAP, CancelledError } from '../../src/pipeline/windows';
import { ByteLevelBpeTokenizer } from '../../src/tokenizer/byteLevelBpe';
import { MODELS_DIR, OFFSET_TEXTS } from '../helpers/bundled';

const tokenizer = ByteLevelBpeTokenizer.fromJson(readFileSync(path.join(MODELS_DIR, 'tokenizer.json'), 'utf8'));

describe('windows over long selections', () => {
  it('keeps short texts in one window', () => {
    expect(planWindows(10, 512)).toEqual([{ index: 0, start: 0, end: 10 }]);
    expect(planWindows(512, 512)).toHaveLength(1);
  });

  for (const n of [513, 1000, 4096, 4097]) {
    it(`covers ${n} tokens with full windows of 512 that overlap by ${WINDOW_OVERLAP}`, () => {
      const ws = planWindows(n, 512);
      expect(ws[0].start).toBe(0);
      expect(ws.at(-1)?.end).toBe(n);
      for (const w of ws) expect(w.end - w.start).toBe(512);
      for (let i = 1; i < ws.length; i++) {
        expect(ws[i].start).toBeLessThan(ws[i - 1].end); // no gap
        expect(ws[i - 1].end - ws[i].start).toBeGreaterThanOrEqual(WINDOW_OVERLAP);
      }
    });
  }

  it('re-bases a window\'s tokens onto its own text exactly', async () => {
    const text = (OFFSET_TEXTS.english + '\n' + OFFSET_TEXTS.chinese + ' ' + OFFSET_TEXTS.emoji + '\r\n').repeat(30);
    const tokens = tokenizer.encode(text);
    for (const w of planWindows(tokens.length, 128)) {
      const s = windowSlice(text, tokens, w);
      expect(s.tokens).toHaveLength(w.end - w.start);
      expect(text.slice(s.offset, s.offset + s.text.length)).toBe(s.text);
      expect(s.tokens[0].start).toBe(0);
      expect(s.tokens.at(-1)?.end).toBe(s.text.length);
    }
  });

  it('tokenizes in slices to the same tokens as in one go', async () => {
    const text = (OFFSET_TEXTS.code + OFFSET_TEXTS.mixed).repeat(200);
    expect(await tokenizeInSlices(tokenizer, text, 1e9, () => false, { stepChars: 1000, sliceMs: 0 })).toEqual(tokenizer.encode(text));
  });

  it('yields after each step when the slice has no time left, and never when it has all the time there is', async () => {
    const text = 'abc '.repeat(5_000); // 20,000 characters
    let perStep = 0;
    let unbounded = 0;
    await tokenizeInSlices(tokenizer, text, 1e9, () => false, { stepChars: 1000, sliceMs: 0, onSlice: (n) => (perStep = n) });
    await tokenizeInSlices(tokenizer, text, 1e9, () => false, { stepChars: 1000, sliceMs: Infinity, onSlice: (n) => (unbounded = n) });
    expect(perStep).toBe(20);
    expect(unbounded).toBe(1);
  });

  it('stops as soon as the token limit is passed, with a message that says what to do', async () => {
    const text = 'word '.repeat(200_000);
    const err = await tokenizeInSlices(tokenizer, text, 4096).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooManyTokensError);
    expect((err as Error).message).toMatch(/more than 4096 tokens.*attentionLens.maxTokens/);
    expect((err as TooManyTokensError).charsRead).toBeLessThan(text.length / 10);
  });

  it('gives up when a newer request arrives', async () => {
    let calls = 0;
    const err = await tokenizeInSlices(tokenizer, 'abc '.repeat(50_000), 1e9, () => ++calls > 2, { stepChars: 1000, sliceMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
  });
});
