import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BundledTextTokenizer } from '../../src/hfTokenizer/bundledTextTokenizer';
import { parseSpecialTokens } from '../../src/predict/specialTokens';
import { ByteLevelBpeTokenizer, pieceToBytes } from '../../src/tokenizer/byteLevelBpe';
import { REPO } from './fixtures';

describe('BundledTextTokenizer (the bundled byte-level BPE behind TextTokenizer)', () => {
  const file = path.join(REPO, 'models/tokenizer.json');
  const text = readFileSync(file, 'utf8');
  const bpe = ByteLevelBpeTokenizer.fromJson(text);
  const tok = new BundledTextTokenizer(bpe, parseSpecialTokens(text, file));

  it('gives the bundled tokenizer\'s tokens, sync and in slices', async () => {
    const sample = 'The quick brown fox 深度学习 😀\n\tx = 1';
    expect(tok.encode(sample)).toEqual(bpe.encode(sample));
    expect(await tok.encodeAsync(sample.repeat(50))).toEqual(bpe.encode(sample.repeat(50)));
  });

  it('offers the vocabulary, the mask and padding, and token bytes', () => {
    expect(tok.special.mask).toBe(tok.idOf('<mask>'));
    expect(tok.special.pad).toBe(tok.idOf('<pad>'));
    expect(tok.special.mask).toBeGreaterThanOrEqual(0);
    const id = tok.idOf('Ġthe') as number;
    expect(tok.pieceOf(id)).toBe('Ġthe');
    expect([...tok.tokenBytes(id)]).toEqual([...pieceToBytes('Ġthe')]);
    expect(new TextDecoder().decode(tok.tokenBytes(tok.special.mask as number))).toBe('<mask>');
    expect(tok.vocabSize).toBe(bpe.vocabSize);
  });
});
