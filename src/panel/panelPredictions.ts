/**
 * The panel's predictions and continuations, without VS Code: answers `requestPredictions` and runs `generate`.
 *
 * Logits are computed only here, on demand, through the inference backend's session *with* logits; the panel's
 * analyses keep their attention-only session. One run per analysis answers every causal token (its logits are
 * kept for the analysis on screen); the encoder runs once per masked token asked for (kept likewise).
 *
 * A continuation shows each step as an analysis of its own (the prompt's tokens plus the tokens so far, marked by
 * `firstGenerated`), so a generated token's attention is there as soon as the token exists. It is cancelled by
 * `cancelGeneration` (Escape) and by any newer analysis of slot 0 (a new selection): the streamer's generation
 * check after every step means no token is shown after either.
 */
import type { AnalysisResult } from '../pipeline/analyze';
import { analyzeTokens } from '../pipeline/analyze';
import type { ModelRegistry } from '../model/modelRegistry';
import { inProcessInference, type InferenceBackend } from '../model/modelRunner';
import { continuation, promptForGeneration } from '../predict/continuation';
import { generate, GenerationCancelled } from '../predict/generate';
import { logitsRow } from '../predict/distribution';
import { tokenText } from '../predict/tokenText';
import { buildAttentionBias } from '../attention/mask';
import { resolveMask } from '../common/mask';
import {
  attentionChangeAt,
  maskFillPredictions,
  predictFromRow,
  predictionContext,
  runWithLogits,
  type PositionPredictions,
  type PredictionContext,
} from '../predict/predictions';
import { NoLogitsError, NoMaskTokenError, SpecialPositionError } from '../predict/specialTokens';
import type { GenerateMessage, HostToWebview, PredictionsMessage, RequestPredictionsMessage } from '../protocol/messages';
import type { AnalysisSession } from './analysisSession';

export interface PredictionDeps {
  registry: () => ModelRegistry;
  inference?: InferenceBackend;
  post: (message: HostToWebview) => unknown;
  logError?: (message: string) => void;
  /** Localises a message (vscode.l10n.t in the extension). */
  t?: (message: string, ...args: (string | number)[]) => string;
}

/** The longest continuation one request may ask for. */
export const MAX_GENERATED_TOKENS = 64;

interface Generated {
  uri: string;
  /** Document offset just after the analysed text (where the generated text goes on insert). */
  insertAt: number;
  text: string;
}

export class PanelPredictions {
  /** Logits kept for the analysis on screen: causal (one run) or per masked token (encoder). */
  private cache:
    | {
        result: AnalysisResult;
        logits?: Float32Array;
        /** Encoder: the last masked run (its logits and attention), and the text's attention under the model's mask. */
        masked?: { token: number; logits: Float32Array; attentions: Float32Array };
        original?: Float32Array;
      }
    | undefined;
  /** Continuations on screen: where their generated tokens start. */
  private readonly firstGenerated = new WeakMap<AnalysisResult, number>();
  private controller: AbortController | undefined;
  /** Generations of slot 0 that show a continuation (the editor overlay does not draw their tokens). */
  private readonly continuationGenerations = new Set<number>();
  private lastGenerated: Generated | undefined;

  constructor(
    private readonly session: AnalysisSession,
    private readonly deps: PredictionDeps,
  ) {}

  showsContinuation(generation: number): boolean {
    return this.continuationGenerations.has(generation);
  }

  private async context(result: AnalysisResult): Promise<PredictionContext> {
    return predictionContext(result.manifest, await this.deps.registry().textTokenizer(result.manifest));
  }

  async requestPredictions(m: RequestPredictionsMessage): Promise<void> {
    const streamer = this.session.streamer;
    const result = streamer.currentResult(m.slot);
    if (!result || !streamer.isCurrent(m.slot, m.generation)) return;
    if (!Number.isInteger(m.token) || m.token < 0 || m.token >= result.n) return;
    const temperature = m.temperature > 0 && Number.isFinite(m.temperature) ? m.temperature : 1;
    const k = Math.max(1, Math.min(20, Math.floor(m.k) || 5));
    const kind = result.manifest.kind === 'causal' ? 'next' : 'fill';
    const reply = (p: PositionPredictions | undefined, unavailable?: string, extra?: Pick<PredictionsMessage, 'head' | 'attentionChange'>): void => {
      if (!streamer.isCurrent(m.slot, m.generation)) return; // stale: the person moved on
      this.deps.post({
        type: 'predictions',
        generation: m.generation,
        slot: m.slot,
        token: m.token,
        temperature,
        kind,
        top: p?.top ?? [],
        ...(p?.actual ? { actual: p.actual } : {}),
        ...(unavailable ? { unavailable } : {}),
        ...(kind === 'fill' && m.head ? { head: m.head } : {}),
        ...extra,
      });
    };
    // The result's attentions are read after the model runs below: kept from the backend meanwhile.
    const release = streamer.hold(result);
    try {
      const ctx = await this.context(result);
      if (this.cache?.result !== result) this.cache = { result };
      const cache = this.cache;
      const describe = (id: number): string => tokenText(ctx.tokenizer, ctx.special, id);
      if (kind === 'next') {
        // Predictions are the trained model's: under its own (causal) mask, whatever mask the panel shows.
        cache.logits ??= (await runWithLogits(result.manifest, result.ids, this.deps.inference)).logits;
        const vocab = result.manifest.vocabSize ?? cache.logits.length / result.n;
        reply(predictFromRow(logitsRow(cache.logits, m.token, vocab), m.token, k, temperature, describe, result.ids[m.token + 1]));
      } else {
        if (cache.masked?.token !== m.token) {
          const { outputs } = await maskFillPredictions(ctx, result.ids, m.token, k, temperature, this.deps.inference);
          cache.masked = { token: m.token, logits: outputs.logits, attentions: outputs.attentions };
        }
        const masked = cache.masked;
        const vocab = result.manifest.vocabSize ?? masked.logits.length / result.n;
        const predictions = predictFromRow(logitsRow(masked.logits, m.token, vocab), m.token, k, temperature, describe, result.ids[m.token]);
        const h = m.head;
        const { layers, heads } = result.manifest;
        const validHead = h && Number.isInteger(h.layer) && Number.isInteger(h.head) && h.layer >= 0 && h.layer < layers && h.head >= 0 && h.head < heads;
        if (!validHead) return reply(predictions);
        // Before and after under the same mask, the model's own (the masked run's): a what-if analysis is re-run.
        if (!cache.original) {
          if (!result.whatIf) cache.original = result.attentions;
          else {
            const { mask } = resolveMask(result.manifest.kind, 'default');
            cache.original = (await (this.deps.inference ?? inProcessInference).run(result.manifest, result.ids, buildAttentionBias(result.n, mask), { logits: false })).attentions;
          }
        }
        const change = attentionChangeAt(cache.original, masked.attentions, result.n, heads, h.layer, h.head, m.token);
        reply(predictions, undefined, { head: { layer: h.layer, head: h.head }, attentionChange: change });
      }
    } catch (e) {
      // Not failures: the model cannot answer here (no mask token, no LM head, a [CLS]/[SEP] position).
      if (e instanceof NoMaskTokenError || e instanceof NoLogitsError || e instanceof SpecialPositionError) return reply(undefined, e.message);
      this.deps.logError?.(`Predictions failed: ${(e as Error).stack ?? e}`);
      reply(undefined, (e as Error).message);
    } finally {
      release();
    }
  }

  /** Stops a running continuation; the tokens already shown stay. */
  cancel(): void {
    this.controller?.abort();
  }

  /** What `insertGenerated` writes, and where: the last finished (or stopped) continuation. */
  generatedText(): Generated | undefined {
    return this.lastGenerated && this.lastGenerated.text ? this.lastGenerated : undefined;
  }

  async generate(m: GenerateMessage): Promise<void> {
    this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    const streamer = this.session.streamer;
    const shown = streamer.currentResult(0);
    const source = this.session.sourceOf(0);
    const total = Math.max(1, Math.min(MAX_GENERATED_TOKENS, Math.floor(m.tokens) || 1));
    const state = (s: 'running' | 'done' | 'cancelled' | 'error', generated: number, text: string, message?: string): void => {
      this.deps.post({ type: 'generationState', state: s, generated, total, text, ...(message ? { message } : {}) });
    };
    const t = this.deps.t ?? ((message: string) => message);
    if (!shown || !source) return state('error', 0, '', t('Analyse a selection first: the continuation starts after it.'));
    // The prompt is what the panel shows without any earlier continuation's tokens.
    const firstGenerated = this.firstGeneratedOf(shown);
    const promptTokens = shown.tokens.slice(0, firstGenerated);
    const promptText = shown.text.slice(0, promptTokens[promptTokens.length - 1]?.end ?? 0);
    const registry = this.deps.registry();
    const { models } = await registry.list();
    const causal = shown.manifest.kind === 'causal' ? shown.manifest : models.find((x) => x.kind === 'causal');
    if (!causal) return state('error', 0, '', t('No causal model is installed: only a causal model continues a text.'));
    const tokenizer = await registry.textTokenizer(causal);
    // Tokens a tokenizer adds after the text (</s>) are left out: the continuation follows the last word.
    const prompt = promptForGeneration(tokenizer.encode(promptText));
    const documentOffset = source.startOffset + (shown.text === source.text ? 0 : Math.max(0, source.text.indexOf(promptText)));
    this.lastGenerated = { uri: source.uri, insertAt: documentOffset + promptText.length, text: '' };
    const generated: { id: number; text: string; position: number; p: number }[] = [];
    let text = '';
    state('running', 0, '');
    try {
      const ctx = await predictionContext(causal, tokenizer);
      await generate(ctx, prompt.map((t) => t.id), {
        tokens: total,
        temperature: m.temperature,
        topK: m.topK,
        seed: m.seed,
        signal: controller.signal,
        inference: this.deps.inference,
        onToken: async (token) => {
          generated.push(token);
          text += token.text;
          const whole = continuation(promptText, prompt, generated);
          const generation = streamer.begin(0);
          this.continuationGenerations.add(generation);
          const result = await analyzeTokens(causal, whole.text, whole.tokens, 'default', this.deps.inference);
          this.firstGenerated.set(result, whole.firstGenerated);
          if (controller.signal.aborted || !streamer.isCurrent(0, generation)) {
            controller.abort(); // a new selection took slot 0: stop, and show nothing more
            return;
          }
          this.lastGenerated = { uri: source.uri, insertAt: documentOffset + promptText.length, text };
          state('running', generated.length, text);
          await streamer.show(0, generation, result, {
            documentOffset,
            sourceLabel: source.label,
            sourceUri: source.uri,
            firstHead: this.session.view ?? causal.defaultHead ?? { layer: 0, head: 0 },
            firstGenerated: whole.firstGenerated,
          });
        },
      });
      if (this.controller === controller) state('done', generated.length, text);
    } catch (e) {
      if (e instanceof GenerationCancelled) {
        if (this.controller === controller) state('cancelled', generated.length, text);
        return;
      }
      this.deps.logError?.(`Generation failed: ${(e as Error).stack ?? e}`);
      state('error', generated.length, text, (e as Error).message);
    } finally {
      if (this.controller === controller) this.controller = undefined;
    }
  }

  /** Where the generated tokens of an analysis start (its token count if it is no continuation). */
  private firstGeneratedOf(result: AnalysisResult): number {
    return this.firstGenerated.get(result) ?? result.n;
  }
}
