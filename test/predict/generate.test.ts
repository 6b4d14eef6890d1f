/** Generation with the real causal model: reproducible from a seed, cancellable, attention of generated tokens. */
import { describe, expect, it } from 'vitest';
import { analyzeTokens, headWeights } from '../../src/pipeline/analyze';
import { continuation } from '../../src/predict/continuation';
import { chooseToken, generate, GenerationCancelled, KV_CACHE } from '../../src/predict/generate';
import { predictionContext } from '../../src/predict/predictions';
import { seededRandom } from '../../src/predict/seededRandom';
import { bundledRegistry } from '../helpers/bundled';

const registry = bundledRegistry();
const PROMPT = 'In the beginning the programmer wrote a function that';

async function causal() {
  const manifest = await registry.get('causal');
  const tokenizer = await registry.tokenizer(manifest);
  const tokens = tokenizer.encode(PROMPT);
  return { manifest, tokenizer, tokens, ctx: await predictionContext(manifest, tokenizer) };
}

describe('generate', () => {
  it('a fixed seed reproduces the same sampled tokens; greedy ignores the seed', async () => {
    const { ctx, tokens } = await causal();
    const ids = tokens.map((t) => t.id);
    const a = await generate(ctx, ids, { tokens: 6, temperature: 0.9, topK: 20, seed: 42 });
    const b = await generate(ctx, ids, { tokens: 6, temperature: 0.9, topK: 20, seed: 42 });
    expect(a.generated.map((t) => t.id)).toEqual(b.generated.map((t) => t.id));
    expect(a.generated).toHaveLength(6);
    expect(a.ids.slice(0, ids.length)).toEqual(ids);
    expect(a.text).toBe(a.generated.map((t) => t.text).join(''));
    expect(a.kvCache).toBe(false);
    expect(KV_CACHE).toBe(false);
    // No added token (<mask>, <pad>) is ever produced.
    for (const t of a.generated) expect(ctx.special.added.has(t.id)).toBe(false);
    const greedy1 = await generate(ctx, ids, { tokens: 3, temperature: 0 });
    const greedy2 = await generate(ctx, ids, { tokens: 3, temperature: 0, seed: 7 });
    expect(greedy1.generated.map((t) => t.id)).toEqual(greedy2.generated.map((t) => t.id));
  });

  it("each generated token's attention row sums to 1 with exact zeros above the diagonal", async () => {
    const { ctx, tokens, manifest } = await causal();
    const result = await generate(ctx, tokens.map((t) => t.id), { tokens: 5, temperature: 1, topK: 40, seed: 3 });
    const extended = continuation(PROMPT, tokens, result.generated);
    expect(extended.text).toBe(PROMPT + result.text);
    const analysis = await analyzeTokens(manifest, extended.text, extended.tokens, 'default');
    expect(analysis.mask).toBe('causal');
    const n = analysis.n;
    for (let l = 0; l < manifest.layers; l++) {
      for (let h = 0; h < manifest.heads; h++) {
        const w = headWeights(analysis, l, h);
        for (const g of result.generated) {
          const q = g.position;
          let sum = 0;
          for (let k = 0; k < n; k++) {
            if (k > q) expect(w[q * n + k]).toBe(0);
            sum += w[q * n + k];
          }
          expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('stops at once when cancelled: no token after the abort', async () => {
    const { ctx, tokens } = await causal();
    const controller = new AbortController();
    const seen: number[] = [];
    const run = generate(ctx, tokens.map((t) => t.id), {
      tokens: 10,
      seed: 1,
      signal: controller.signal,
      onToken: (t) => {
        seen.push(t.id);
        if (seen.length === 2) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(GenerationCancelled);
    expect(seen).toHaveLength(2);
  });

  it('stops at max_positions, and refuses the encoder', async () => {
    const { ctx, tokens } = await causal();
    const short = { ...ctx, manifest: { ...ctx.manifest, maxPositions: tokens.length + 2 } };
    const r = await generate(short, tokens.map((t) => t.id), { tokens: 10, temperature: 0 });
    expect(r.generated).toHaveLength(2);
    expect(r.stoppedBy).toBe('maxPositions');
    const encoder = await registry.get('encoder');
    await expect(generate({ ...ctx, manifest: encoder }, [1, 2], { tokens: 1 })).rejects.toThrow(/encoder/);
  });

  it('chooseToken samples only from the top-k and is repeatable', () => {
    const row = Float32Array.from([0, 5, 4, 3, 1]);
    const draws = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 50 }, () => chooseToken(row, new Set([2]), 1, 2, r).id);
    };
    const d = draws(9);
    expect(new Set(d)).toEqual(new Set([1, 3]));
    expect(draws(9)).toEqual(d);
    expect(chooseToken(row, new Set(), 0, 0, Math.random)).toEqual({ id: 1, p: 1 });
  });
});
