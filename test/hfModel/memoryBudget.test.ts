/** A request whose attention would not fit the memory budget is refused before anything is allocated or run. */
import { describe, expect, it } from 'vitest';
import { budgetProblem, HF_MEMORY_BUDGET_BYTES, MemoryBudgetError, runHfModel, tokensWithinBudget } from '../../src/hfModel/hfRunner';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { analyzeTokens, InputError } from '../../src/pipeline/analyze';
import { hfFolder, tempCache } from './hfFixtures';

describe('memory budget', () => {
  it('a GPT-2-small-sized model fits 512 tokens; a 32 × 32 model at 2,048 tokens does not, and the message says what fits', () => {
    const small = { id: 'gpt2', layers: 12, heads: 12, vocabSize: 50257 };
    expect(budgetProblem(small, 512)).toBeUndefined(); // 144 MiB
    const big = { id: 'big', layers: 32, heads: 32, vocabSize: 32000 };
    const fit = tokensWithinBudget(big);
    // The largest n with layers × heads × n² × 4 ≤ budget.
    expect(32 * 32 * fit * fit * 4).toBeLessThanOrEqual(HF_MEMORY_BUDGET_BYTES);
    expect(32 * 32 * (fit + 1) * (fit + 1) * 4).toBeGreaterThan(HF_MEMORY_BUDGET_BYTES);
    expect(budgetProblem(big, fit)).toBeUndefined();
    expect(budgetProblem(big, 2048)).toMatch(new RegExp(`2048 tokens .* 16384 MiB, more than the 512 MiB budget; at most ${fit} tokens fit`));
    // Logits count too when they are asked for.
    expect(budgetProblem(small, 512, true)).toBeUndefined();
    expect(budgetProblem({ ...small, vocabSize: 300_000 }, 512, true)).toMatch(/with logits/);
  });

  it('the runner and the pipeline refuse an over-budget request for a real folder without running it', async () => {
    const folder = hfFolder('tiny-gpt2');
    const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache() });
    const real = await registry.getByFolder(folder);
    // The same folder as if its config.json declared a huge model: 64 layers × 64 heads, 4,096 positions.
    const declared = { ...real, layers: 64, heads: 64, maxPositions: 4096 };
    const n = 200; // 64 × 64 × 200² × 4 bytes = 625 MiB
    const ids = Array.from({ length: n }, () => 5);
    await expect(runHfModel(declared, ids, new Float32Array(n * n))).rejects.toBeInstanceOf(MemoryBudgetError);
    const tokens = ids.map((id, i) => ({ id, piece: 'x', start: i, end: i + 1 }));
    const refused = analyzeTokens(declared, 'x'.repeat(n), tokens, 'default');
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow(/at most 181 tokens fit/);
  });

  it('a what-if mask is refused for a plain decoder export, whose causal mask is built inside its graph', async () => {
    const folder = hfFolder('tiny-gpt2');
    const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache() });
    const m = await registry.getByFolder(folder);
    expect(m.capabilities.anyMask).toBe(false);
    const tokens = [{ id: 5, piece: 'a', start: 0, end: 1 }];
    await expect(analyzeTokens(m, 'a', tokens, 'full')).rejects.toThrow(/applies only its own causal mask/);
  });
});
