/**
 * 10,000 generated hostile texts through the real pipeline: offsets exact, attention valid, no exception
 * escapes except the clear input errors (empty text). Texts alternate between the two bundled models.
 */
import { describe, expect, it } from 'vitest';
import { analyzeWindow, InputError, tokenizeFor } from '../../src/pipeline/analyze';
import { offsetProblem } from '../helpers/offsets';
import { bundledRegistry } from '../helpers/bundled';
import { fuzzText, longLine, mulberry32 } from '../helpers/textFuzz';

const CASES = 10_000;
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
      if (offsetProblem(text, tokens) !== null) stats.offsetFailures.push(JSON.stringify(text));
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
