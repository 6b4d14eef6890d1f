/**
 * Quality gates of the bundled translation model (issue 11; models/translation/metrics.json, written by
 * models/training/translation/evaluate.py on held-out pairs that share no near-duplicate with training):
 *  - translation: chrF2 of the model above the nearest-neighbour baseline's, in each direction;
 *  - alignment: on dictionary word pairs, the best cross-attention head (chosen on dev pairs) and the mean of all
 *    heads put the largest weight on the word's translation in ≥ 60 % of pairs and in ≥ 2× as many as the diagonal.
 * A model that misses them ships named "(preview)" and the gates are skipped, not loosened: the card says so.
 * The file itself must describe the model that ships (the same checkpoint as training.json).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = path.resolve(__dirname, '../../models/translation');

interface Direction {
  chrf2: number;
  nearest_neighbour_chrf2: number;
}

interface Metrics {
  checkpoint: string;
  step: number;
  test_pairs: number;
  translation: Record<'en-zh' | 'zh-en', Direction>;
  alignment: { pairs: number; mean_of_heads: number; best_head_share: number; diagonal: number; gate: { threshold: number; diagonal_factor: number } };
}

const present = existsSync(path.join(DIR, 'metrics.json'));

describe.skipIf(!present)('translation model: quality gates (metrics.json)', () => {
  const read = <T>(file: string): T => JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as T;
  const m = present ? read<Metrics>('metrics.json') : (undefined as unknown as Metrics);
  const model = present ? read<{ display_name: string }>('model.json') : { display_name: '' };
  const preview = /preview/i.test(model.display_name);

  it('describes the shipped checkpoint, on enough held-out pairs', () => {
    const training = read<{ step: number }>('training.json');
    expect(m.step).toBe(training.step);
    expect(m.test_pairs).toBeGreaterThanOrEqual(200);
    expect(m.alignment.pairs).toBeGreaterThanOrEqual(100);
    expect(m.alignment.gate.threshold).toBe(0.6);
    expect(m.alignment.gate.diagonal_factor).toBe(2);
  });

  it('a model that misses a gate is named a preview', () => {
    const a = m.alignment;
    const met =
      (['en-zh', 'zh-en'] as const).every((d) => m.translation[d].chrf2 > m.translation[d].nearest_neighbour_chrf2) &&
      [a.best_head_share, a.mean_of_heads].every((share) => share >= 0.6 && share >= 2 * a.diagonal);
    if (!met) expect(preview, `${model.display_name}: a gate is missed, so the name must say "preview"`).toBe(true);
  });

  for (const d of ['en-zh', 'zh-en'] as const) {
    it.skipIf(preview)(`gate: ${d} chrF2 above the nearest-neighbour baseline`, () => {
      expect(m.translation[d].chrf2).toBeGreaterThan(m.translation[d].nearest_neighbour_chrf2);
    });
  }

  it.skipIf(preview)('gate: best cross-attention head and mean of heads point at the dictionary translation (≥ 60 %, ≥ 2× diagonal)', () => {
    const a = m.alignment;
    for (const share of [a.best_head_share, a.mean_of_heads]) {
      expect(share).toBeGreaterThanOrEqual(0.6);
      expect(share).toBeGreaterThanOrEqual(2 * a.diagonal);
    }
  });
});
