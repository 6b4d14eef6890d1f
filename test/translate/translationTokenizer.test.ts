/**
 * The translation tokenizer on the real models/translation/tokenizer.json: source offsets tile the text, the end
 * token follows it; generated ids go back to the exact text with every token's UTF-16 range (a byte piece of a
 * character shares that character's range), on English and Chinese alike.
 */
import { mkdtemp, readFile, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { decodeUtf8WithRanges } from '../../src/translate/utf8Ranges';
import { pieceToBytes } from '../../src/tokenizer/byteLevelBpe';
import { MODELS_DIR, OFFSET_TEXTS } from '../helpers/bundled';

const registry = new ModelRegistry([MODELS_DIR]);
const tokenizer = async () => registry.translationTokenizer(await registry.get('translation'));

const TEXTS: Record<string, string> = {
  english: 'Set the password now, then press Enter to continue.',
  chinese: '现在设置密码，然后按回车键继续。',
  mixed: '文件 "%s" 已存在 (size: 1.2 MB) — 覆盖吗？😀',
  identifiers: 'Run `npm install --save-dev typescript@5.4` in ~/project.',
  ...OFFSET_TEXTS,
};
// A lone surrogate is no text UTF-8 can hold: it comes back as U+FFFD, so the round trip is checked without it.
delete TEXTS.loneSurrogate;

describe('translation tokenizer', () => {
  for (const [name, text] of Object.entries(TEXTS)) {
    it(`source offsets tile the text and the end token follows: ${name}`, async () => {
      const tok = await tokenizer();
      const { tokens, ids } = tok.encodeSource(text);
      expect(ids.length).toBe(tokens.length);
      expect(ids[ids.length - 1]).toBe(tok.ids.eos);
      expect(tokens[tokens.length - 1]).toEqual({ text: '</s>', start: text.length, end: text.length, special: true });
      let covered = 0;
      for (const t of tokens.slice(0, -1)) {
        // Tokens that split a character share its range; otherwise each starts where the last ended.
        expect(t.start === covered || t.end === covered || t.start < covered).toBe(true);
        expect(t.text).toBe(text.slice(t.start, t.end));
        covered = Math.max(covered, t.end);
      }
      expect(covered).toBe(text.length);
    });

    it(`target ids decode to the same text with exact ranges: ${name}`, async () => {
      const tok = await tokenizer();
      const ids = [tok.startId('zh'), ...tok.encodeTarget(text)];
      const { text: decoded, tokens } = tok.decodeTarget(ids);
      expect(decoded).toBe(text);
      expect(tokens[0]).toEqual({ text: '<2zh>', start: 0, end: 0, special: true });
      // The ranges are the same as the encoder's offsets of the same text.
      const source = tok.encodeSource(text).tokens.slice(0, -1);
      expect(tokens.slice(1)).toEqual(source);
    });
  }

  it('a Han character split over byte tokens: each piece has the character range', async () => {
    const m = await registry.get('translation');
    const tok = await registry.translationTokenizer(m);
    const bpe = await registry.tokenizer(m);
    const byteId = new Map<number, number>();
    for (let id = 0; id < bpe.vocabSize; id++) {
      const piece = bpe.pieceOf(id);
      if (piece !== undefined && [...piece].length === 1) byteId.set(pieceToBytes(piece)[0], id);
    }
    const bytes = [...new TextEncoder().encode('a鑫b')];
    const ids = [tok.startId('zh'), ...bytes.map((b) => byteId.get(b) as number)];
    const { text, tokens } = tok.decodeTarget(ids);
    expect(text).toBe('a鑫b');
    expect(tokens.slice(1).map((t) => [t.text, t.start, t.end])).toEqual([
      ['a', 0, 1],
      ['鑫', 1, 2],
      ['鑫', 1, 2],
      ['鑫', 1, 2],
      ['b', 2, 3],
    ]);
    // Cut off after two of its three bytes (a length stop): one U+FFFD covers both.
    const cut = tok.decodeTarget(ids.slice(0, 4));
    expect(cut.text).toBe('a\ufffd');
    expect(cut.tokens.slice(2).map((t) => [t.start, t.end])).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it('added tokens the model writes mid-way have an empty range where they stand', async () => {
    const tok = await tokenizer();
    const ids = [tok.startId('en'), ...tok.encodeTarget('Hello'), tok.ids.to_zh, ...tok.encodeTarget(' world')];
    const { text, tokens } = tok.decodeTarget(ids);
    expect(text).toBe('Hello world');
    const mid = tokens.find((t, i) => i > 0 && t.special);
    expect(mid).toEqual({ text: '<2zh>', start: 5, end: 5, special: true });
  });

  it('tokenizer.json must hold the special tokens model.json names', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'al-trtok-'));
    const folder = path.join(dir, 'translation');
    await import('node:fs/promises').then((fs) => fs.mkdir(folder));
    await copyFile(path.join(MODELS_DIR, 'translation', 'model.json'), path.join(folder, 'model.json'));
    const tj = JSON.parse(await readFile(path.join(MODELS_DIR, 'translation', 'tokenizer.json'), 'utf8'));
    tj.added_tokens = tj.added_tokens.filter((t: { content: string }) => t.content !== '<2en>');
    await writeFile(path.join(folder, 'tokenizer.json'), JSON.stringify(tj));
    const reg = new ModelRegistry([dir]);
    await expect(reg.translationTokenizer(await reg.get('translation'))).rejects.toThrow(/tokenizer.json: field "added_tokens" must hold "<2en>" at id 8191 .*it has no such token/);
  });
});

describe('UTF-8 with ranges', () => {
  it('decodes exactly as TextDecoder, valid or not, and gives every byte its character', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);
    const pool = [0x41, 0x7f, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xa0, 0xed, 0x9f, 0xa0, 0xef, 0xf0, 0x90, 0xf4, 0x8f, 0xf5, 0xff, 0xc0, 0xe4, 0xb8, 0xad];
    for (let k = 0; k < 3000; k++) {
      const bytes = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => pool[Math.floor(rand() * pool.length)]);
      const { text, charStart, charEnd } = decodeUtf8WithRanges(bytes);
      expect(text).toBe(new TextDecoder().decode(Uint8Array.from(bytes)));
      for (let i = 0; i < bytes.length; i++) {
        expect(charStart[i]).toBeLessThan(charEnd[i]);
        expect(charEnd[i]).toBeLessThanOrEqual(text.length);
        if (i > 0) expect(charStart[i]).toBeGreaterThanOrEqual(charStart[i - 1]);
      }
      expect(charEnd[bytes.length - 1]).toBe(text.length);
    }
  });
});
