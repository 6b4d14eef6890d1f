/**
 * 10,000 generated hostile texts through the real pipeline: offsets exact, attention valid, no exception
 * escapes except the clear input errors (empty text). Texts alternate between the two bundled models.
 */
import { describe, expect, it } from 'vitest';
import { analyzeWindow, InputError, tokenizeFor } from '../../src/pipeline/analyze';
import { pieceToBytes } from '../../src/tokenizer/byteLevelBpe';
import { bundledRegistry } from '../helpers/bundled';
import { fuzzText, longLine, mulberry32 } from '../helpers/textFuzz';

const CASES = 10_000;
const encoder = new TextEncoder();

/** Lone surrogates are encoded as U+FFFD, as TextEncoder does; so the expected bytes come from TextEncoder. */
function groupBytesMatch(text: string, tokens: { piece: string; start: number; end: number }[]): boolean {
  let cursor = 0;
  for (let i = 0; i < tokens.length; ) {
    const start = tokens[i].start;
    let end = tokens[i].end;
    const bytes: number[] = [];
    let j = i;
    while (j < tokens.length && tokens[j].start < end) {
      end = Math.max(end, tokens[j].end);
      bytes.push(...pieceToBytes(tokens[j].piece));
      j++;
    }
    if (start !== cursor) return false;
    const want = encoder.encode(text.slice(start, end));
    if (want.length !== bytes.length || want.some((b, k) => b !== bytes[k])) return false;
    cursor = end;
    i = j;
  }
  return cursor === text.length;
}

describe('fuzz: generated texts through the real pipeline', () => {
  it(`${CASES} texts: exact offsets, rows summing to 1, masked entries exactly 0`, async () => {
    const registry = bundledRegistry();
    const models = [await registry.get('encoder'), await registry.get('causal')];
    const rand = mulberry32(20261125);
    const stats = { texts: 0, empty: 0, tokens: 0, windowed: 0, worstRowError: 0, maskedNonZero: 0, offsetFailures: [] as string[] };
    for (let c = 0; c < CASES; c++) {
      const text = c % 500 === 499 ? longLine(rand) : fuzzText(rand);
      const manifest = models[c % 2];
      stats.texts++;
      let tokens;
      try {
        tokens = await tokenizeFor(registry, manifest, text);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect(text).toBe('');
        stats.empty++;
        continue;
      }
      if (!groupBytesMatch(text, tokens)) stats.offsetFailures.push(JSON.stringify(text));
      const { result: r, window } = await analyzeWindow(manifest, text, tokens, 0, 'default');
      if (window.count > 1) stats.windowed++;
      stats.tokens += r.n;
      const n = r.n;
      for (let h = 0; h < r.model.layers * r.model.heads; h++) {
        for (let q = 0; q < n; q++) {
          let sum = 0;
          for (let k = 0; k < n; k++) {
            const w = r.attentions[(h * n + q) * n + k];
            sum += w;
            if (r.mask === 'causal' && k > q && w !== 0) stats.maskedNonZero++;
          }
          stats.worstRowError = Math.max(stats.worstRowError, Math.abs(sum - 1));
        }
      }
    }
    console.log(`fuzz: ${JSON.stringify({ ...stats, offsetFailures: stats.offsetFailures.length })}`);
    expect(stats.offsetFailures.slice(0, 5)).toEqual([]);
    expect(stats.worstRowError).toBeLessThan(1e-5);
    expect(stats.maskedNonZero).toBe(0);
    expect(stats.windowed).toBeGreaterThan(0);
    expect(stats.texts).toBe(CASES);
  }, 900_000);
});
