/**
 * Generation: milliseconds per generated token at 128 and 512 tokens of context, beside one forward pass at that
 * length. The bundled graphs have no key/value cache (no past-key/value inputs or outputs), so each generated
 * token costs one full forward pass over the sequence so far; one pass at the final length is the floor.
 * Measured interleaved (a pass, then a generation, repeated) so both see the same machine load.
 */
import { buildAttentionBias } from '../src/attention/mask';
import type { ModelManifest } from '../src/model/modelManifest';
import { runModel } from '../src/model/modelRunner';
import { generate, KV_CACHE } from '../src/predict/generate';
import { predictionContext } from '../src/predict/predictions';
import type { ByteLevelBpeTokenizer } from '../src/tokenizer/byteLevelBpe';
import { log, round, summarize, type Summary } from './common';

export const GENERATION_CONTEXTS = [128, 512] as const;

export interface GenerationRow {
  /** Tokens of context at the last step (the prompt is this minus the generated tokens). */
  context: number;
  generatedTokens: number;
  /** Wall time of a generation divided by its tokens (greedy, the runner's session with logits). */
  msPerToken: Summary;
  /** One forward pass with logits at `context` tokens, as every step runs it. */
  forwardPassMs: Summary;
  /** median ms per token / median forward pass: 1 is the floor without a cache (the steps are shorter). */
  ratioToForwardPass: number;
}

export interface GenerationSection {
  model: string;
  kvCache: boolean;
  method: string;
  rows: GenerationRow[];
}

export async function benchGeneration(
  manifest: ModelManifest,
  tokenizer: ByteLevelBpeTokenizer,
  corpus: string,
  reps = 5,
  generatedTokens = 8,
): Promise<GenerationSection> {
  const ctx = await predictionContext(manifest, tokenizer);
  const ids = tokenizer.encode(corpus).map((t) => t.id);
  const rows: GenerationRow[] = [];
  for (const context of GENERATION_CONTEXTS) {
    if (context > manifest.maxPositions || context > ids.length) continue;
    const full = ids.slice(0, context);
    const prompt = ids.slice(0, context - generatedTokens);
    const bias = buildAttentionBias(context, 'causal');
    const pass = (): Promise<unknown> => runModel(manifest, full, bias, { logits: true });
    await pass(); // warm-up: loads the session with logits
    await generate(ctx, prompt, { tokens: 2, temperature: 0 });
    const passes: number[] = [];
    const perToken: number[] = [];
    for (let r = 0; r < reps; r++) {
      let t0 = performance.now();
      await pass();
      passes.push(performance.now() - t0);
      t0 = performance.now();
      const g = await generate(ctx, prompt, { tokens: generatedTokens, temperature: 0 });
      perToken.push((performance.now() - t0) / g.generated.length);
    }
    const msPerToken = summarize(perToken);
    const forwardPassMs = summarize(passes);
    rows.push({ context, generatedTokens, msPerToken, forwardPassMs, ratioToForwardPass: round(msPerToken.median / forwardPassMs.median, 2) });
    log(`generation ${manifest.id} @${context}: ${msPerToken.median} ms/token, one pass ${forwardPassMs.median} ms`);
  }
  return {
    model: manifest.id,
    kvCache: KV_CACHE,
    method: `greedy, ${generatedTokens} tokens after a prompt of (context − ${generatedTokens}) corpus tokens, wall time / tokens; ${reps} runs, each beside one forward pass with logits at the context length`,
    rows,
  };
}
