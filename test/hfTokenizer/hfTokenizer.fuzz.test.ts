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
import { loadFixture, MODEL_FIXTURES, OWN_FIXTURES } from './fixtures';
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

const timings: string[] = [];
afterAll(() => {
  console.log(`fuzz: ${TEXTS.length} texts (${TEXTS.reduce((n, t) => n + t.length, 0)} UTF-16 units) per family\n${timings.join('\n')}`);
});

describe('Hugging Face tokenizers on a fuzz corpus', () => {
  for (const [name, dir] of families()) {
    it(`${name}: ids equal the library's and offsets are exact`, () => {
      const tok = loadFixture(dir);
      const json = JSON.parse(JSON.stringify(tok.pieceOf(0) ?? '')) as string; // touch pieceOf
      expect(typeof json).toBe('string');
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
