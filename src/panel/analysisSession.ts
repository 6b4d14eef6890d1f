/**
 * The VS Code-free core of a panel: what each slot analyses, with which model and mask, and the latest-wins
 * path from a text to streamed messages. The panel adds only VS Code glue (progress, overlay, dialogs); the
 * storm and soak tests drive this same class.
 */
import type { HeadEncoding, HeadRef, MaskKind, Slot, TokenInfo } from '../protocol/messages';
import { AnalysisStreamer, type PostFn } from './analysisStreamer';
import { outputArrays, recyclerFor, type OutputRecycler } from './outputRecycler';
import { analyzeTokens, InputError, toTokenInfo, type AnalysisResult } from '../pipeline/analyze';
import { CancelledError, planWindows, TooManyTokensError, windowSlice } from '../pipeline/windows';
import { LatestOnlyRunner } from '../pipeline/latestOnly';
import { resolveMask } from '../common/mask';
import { toModelInfo, type ModelManifest } from '../model/modelManifest';
import type { ModelRegistry } from '../model/modelRegistry';
import { inProcessInference, type InferenceBackend, type LayerOutputs } from '../model/modelRunner';
import type { Token } from '../tokenizer/byteLevelBpe';
import type { TargetLanguage } from '../common/translation';
import { documentTokens, runSlotTranslation, TranslationRequests } from './sessionTranslation';

/** What a slot analyses: a piece of a document. */
export interface TextSource {
  uri: string;
  version: number;
  text: string;
  /** UTF-16 offset of `text` in the document. */
  startOffset: number;
  label: string;
}

export interface SlotChoice {
  modelId: string;
  mask: MaskKind | 'default';
}

export interface SessionDeps {
  registry: () => ModelRegistry;
  post: PostFn;
  maxTokens: () => number;
  defaultModel: () => string;
  /** Where the model runs; left out, on this thread (the CLI's and the tests' way). The extension passes its worker. */
  inference?: InferenceBackend;
  /** Localises a message (vscode.l10n.t in the extension); `{0}` placeholders. */
  t?: (message: string, ...args: (string | number)[]) => string;
  /** Unexpected failures (not input errors) go here. */
  logError?: (message: string) => void;
  /** Wraps the work of one analysis, e.g. in a progress indicator. */
  withProgress?: <T>(work: () => Promise<T>) => Promise<T>;
  /** Where each analysis's timeline goes (one line per analysis; see AnalysisTimeline). */
  trace?: (line: string) => void;
  /**
   * After the first head of an analysis, wait up to this long for the webview's `painted` before sending its other
   * heads (StreamerOptions.paintWaitMs) and, in a progressive run, before computing the rest (RunOptions.onLayer
   * says why). Left out (tests, the CLI): no wait.
   */
  paintWaitMs?: number;
  /** How heads travel to the webview (StreamerOptions); left out: as laid out. */
  headEncoding?: HeadEncoding;
}

/** Called when an analysis is about to be shown (slot 0 drives the editor overlay). */
export type ShownHandler = (slot: Slot, source: TextSource, documentOffset: number, shown: { tokens: TokenInfo[] }) => void;

/**
 * When each step of one analysis happened on the host, in ms since the request reached the session (the bench
 * reads these lines from the extension's log to split command → first paint into its parts, bench/README.md).
 */
export interface AnalysisTimeline {
  /** performance.timeOrigin + performance.now() when the request reached the session (epoch ms) */
  at: number;
  n?: number;
  tokenized?: number;
  inferenceCalled?: number;
  /** the visible layer's tensors arrived (progressive runs only) */
  firstLayer?: number;
  firstLayerInferenceMs?: number;
  /** analysisStart posted and the visible head on its way */
  firstHeadPosted?: number;
  /** the visible head posted (AnalysisStreamer.firstHeadSent) */
  firstHeadSent?: number;
  wholeModel?: number;
  inferenceMs?: number;
  lastHeadPosted?: number;
}

const epochNow = (): number => performance.timeOrigin + performance.now();

const format = (message: string, ...args: (string | number)[]): string => message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));

export class AnalysisSession {
  readonly streamer: AnalysisStreamer;
  private readonly runners = new Map<Slot, LatestOnlyRunner>();
  private readonly sources = new Map<Slot, TextSource>();
  private readonly choices = new Map<Slot, SlotChoice>();
  private readonly tokenCache = new Map<Slot, { source: TextSource; tokenizerPath: string; limit: number; tokens: Token[] }>();
  private compareMode = false;
  /** Per slot: the direction and given target of a translation model's run (src/panel/sessionTranslation.ts). */
  private readonly translationRequests = new TranslationRequests();
  private disposed = false;
  /** Per slot: the generation being computed and not yet shown, and its source. */
  private readonly inFlight = new Map<Slot, { generation: number; source: TextSource }>();
  /** Per slot: the source of the analysis on screen (or streaming to it). */
  private readonly shownSources = new Map<Slot, TextSource>();
  /** Generations superseded before they were shown (see supersedePending); removed when their work ends. */
  private readonly superseded = new Set<number>();
  /**
   * The head the person looks at (from the webview's `visibleHead`, or the restored panel state), sent first in
   * the next analysis; AnalysisStreamer.show clamps it to the model's size. Null until either says: then the
   * model's default head goes first, the one the webview opens on.
   */
  view: HeadRef | null = null;
  /** Inferences started (tests and the storm check read it). */
  inferences = 0;
  private readonly recycler: OutputRecycler | undefined;

  constructor(
    private readonly deps: SessionDeps,
    private readonly onShown: ShownHandler = () => undefined,
  ) {
    // A backend that takes outputs back (the extension's worker) gets each analysis's arrays once the panel shows
    // it no more (outputRecycler.ts).
    this.recycler = recyclerFor(deps.inference);
    this.streamer = new AnalysisStreamer(deps.post, { headEncoding: deps.headEncoding, paintWaitMs: deps.paintWaitMs, recycler: this.recycler });
  }

  private t(message: string, ...args: (string | number)[]): string {
    return (this.deps.t ?? format)(message, ...args);
  }

  /** What this session runs on, for the panel's predictions and continuations (src/panel/panelPredictions.ts). */
  runtime(): Pick<SessionDeps, 'registry' | 'inference' | 'post' | 'logError' | 't'> {
    const { registry, inference, post, logError } = this.deps;
    return { registry, inference, post, logError, t: this.deps.t };
  }

  /** The webview drew a head of this analysis (PaintedMessage): what waits for that (paintOf) goes on. */
  painted(slot: Slot, generation: number): void {
    this.streamer.painted(slot, generation);
  }

  sourceOf(slot: Slot): TextSource | undefined {
    return this.sources.get(slot);
  }

  choose(slot: Slot, choice: SlotChoice): void {
    this.choices.set(slot, choice);
  }

  setCompareMode(on: boolean): void {
    this.compareMode = on;
    if (!on) {
      if (this.sources.has(1)) this.deps.post({ type: 'slotClosed', slot: 1 });
      this.streamer.clear(1);
      this.sources.delete(1);
      this.tokenCache.delete(1);
    }
  }

  /**
   * Sets what slot 0 (and slot 1 in compare mode) analyse and runs them. `mode` switches between a single view
   * and compare mode; left out, the session keeps its mode (e.g. a followed selection in compare mode).
   */
  async analyzeSource(source: TextSource, mode?: 'single' | { left: SlotChoice; right: SlotChoice }): Promise<void> {
    if (mode === 'single') this.setCompareMode(false);
    else if (mode) {
      this.setCompareMode(true);
      this.choices.set(0, mode.left);
      this.choices.set(1, mode.right);
    }
    if (this.compareMode) await Promise.all([this.analyze(0, source), this.analyze(1, source)]);
    else await this.analyze(0, source);
  }

  /** The webview picked another model or mask for a slot: re-run its text with it. */
  async changeModel(slot: Slot, choice: SlotChoice): Promise<void> {
    this.choices.set(slot, choice);
    await this.rerun(slot);
  }

  /** Re-runs a slot's current text (after a model or mask change). */
  async rerun(slot: Slot): Promise<void> {
    const source = this.sources.get(slot);
    if (source) await this.analyze(slot, source);
  }

  /** Re-runs every slot (the webview reloaded and lost its state). */
  async rerunAll(): Promise<void> {
    await Promise.all(([0, 1] as Slot[]).map((slot) => this.rerun(slot)));
  }

  /** Shows another window of the current long selection (both slots in compare mode). */
  async changeWindow(windowIndex: number): Promise<void> {
    const slots: Slot[] = this.compareMode ? [0, 1] : [0];
    await Promise.all(slots.map((slot) => (this.sources.has(slot) ? this.analyze(slot, this.sources.get(slot) as TextSource, windowIndex) : undefined)));
  }

  private choiceFor(slot: Slot): SlotChoice {
    let c = this.choices.get(slot);
    if (!c) {
      c = { modelId: this.deps.defaultModel(), mask: 'default' };
      this.choices.set(slot, c);
    }
    return c;
  }

  /**
   * Latest wins: a new call on a slot makes any earlier one on that slot stale before it can be shown, and the
   * slot's runner keeps at most one inference in flight. Long selections are tokenized in slices (the host never
   * blocks long) and analysed one window at a time.
   */
  async analyze(slot: Slot, source: TextSource, windowIndex = 0): Promise<void> {
    if (this.disposed) return;
    this.sources.set(slot, source);
    const generation = this.streamer.begin(slot);
    let runner = this.runners.get(slot);
    if (!runner) {
      runner = new LatestOnlyRunner();
      this.runners.set(slot, runner);
    }
    const choice = this.choiceFor(slot);
    this.inFlight.set(slot, { generation, source });
    const isStale = (): boolean => !this.streamer.isCurrent(slot, generation) || this.superseded.has(generation) || this.disposed;
    const timeline: AnalysisTimeline = { at: epochNow() };
    const mark = (): number => Math.round((epochNow() - timeline.at) * 10) / 10;
    const work = (): Promise<unknown> =>
      (runner as LatestOnlyRunner).run(async () => {
        if (isStale()) return;
        const registry = this.deps.registry();
        const manifest = await registry.get(choice.modelId);
        if (manifest.kind === 'encoder-decoder') {
          await this.translate(slot, source, manifest, generation);
          return;
        }
        const tokens = await this.tokensFor(registry, slot, source, manifest, isStale);
        if (isStale()) return;
        timeline.tokenized = mark();
        this.inferences++;
        // The window (analyzeWindow's plan), cut here so the visible layer can be shown before the whole result.
        const windows = planWindows(tokens.length, manifest.maxPositions);
        const w = windows[Math.max(0, Math.min(windowIndex, windows.length - 1))];
        const slice = windowSlice(source.text, tokens, w);
        const documentOffset = source.startOffset + slice.offset;
        const firstHead = this.view ?? manifest.defaultHead ?? { layer: 0, head: 0 };
        const showOptions = { documentOffset, sourceLabel: source.label, sourceUri: source.uri, window: { index: w.index, count: windows.length }, firstHead };
        const markShown = (tokenInfos: TokenInfo[]): void => {
          if (this.inFlight.get(slot)?.generation === generation) this.inFlight.delete(slot);
          this.shownSources.set(slot, source);
          // The editor overlay (tens of ms at 512 tokens) is attached once the visible head has been posted, never
          // before: that head is what the person waits for. A generation gone stale by then gets no overlay.
          const attach = (): void => {
            timeline.firstHeadSent ??= mark();
            if (this.streamer.isCurrent(slot, generation)) this.onShown(slot, source, documentOffset, { tokens: tokenInfos });
          };
          const sent = this.streamer.firstHeadSent(slot, generation);
          if (sent) void sent.then(attach);
          else attach();
        };
        // Progressive: the model hands over the visible layer as soon as it is computed (where the graph can be
        // split, src/model/splitRunner.ts); its heads are streamed at once, the rest when the whole run ends.
        let firstShown: Promise<void> | undefined;
        const onLayer = (layer: LayerOutputs): Promise<void> | undefined => {
          timeline.firstLayer = mark();
          timeline.firstLayerInferenceMs = Math.round(layer.inferenceMs * 10) / 10;
          if (isStale()) {
            this.deps.inference?.recycle?.(outputArrays(layer)); // nothing else has them
            return;
          }
          const { mask, whatIf } = resolveMask(manifest.kind, choice.mask);
          const tokenInfos = toTokenInfo(slice.text, slice.tokens);
          const model = toModelInfo(manifest);
          const first = { model, mask, whatIf, text: slice.text, tokens: tokenInfos, n: slice.tokens.length, inferenceMs: layer.inferenceMs, layer: layer.layer, attentions: layer.attentions };
          this.recycler?.own(first, outputArrays(layer));
          firstShown = this.streamer.showFirstLayer(slot, generation, first, showOptions);
          timeline.firstHeadPosted = mark(); // see AnalysisTimeline.firstHeadPosted
          markShown(tokenInfos);
          return this.streamer.paintOf(slot, generation);
        };
        const base = this.deps.inference ?? inProcessInference;
        const layerOfView = Math.min(firstHead.layer, manifest.layers - 1);
        const backend: InferenceBackend = {
          run: (m, ids, bias, options) => {
            timeline.inferenceCalled = mark();
            return base.run(m, ids, bias, { ...options, firstLayer: layerOfView, onLayer });
          },
          dispose: () => base.dispose(),
        };
        timeline.n = slice.tokens.length;
        const result = await analyzeTokens(manifest, slice.text, slice.tokens, choice.mask, backend);
        this.recycler?.own(result, outputArrays(result));
        timeline.wholeModel = mark();
        timeline.inferenceMs = Math.round(result.inferenceMs * 10) / 10;
        if (firstShown) {
          await firstShown;
          await this.streamer.complete(slot, generation, result);
        } else {
          if (isStale()) {
            this.recycler?.retire(result); // never shown
            return;
          }
          const shown = this.streamer.show(slot, generation, result, showOptions);
          timeline.firstHeadPosted = mark();
          markShown(result.tokens);
          await shown;
        }
        timeline.lastHeadPosted = mark();
        this.deps.trace?.(`analysis timeline ${JSON.stringify(timeline)}`);
      });
    try {
      await (this.deps.withProgress ? this.deps.withProgress(work) : work());
    } catch (e) {
      const err = e as Error;
      if (err instanceof CancelledError || this.superseded.has(generation)) return;
      const expected = err instanceof InputError || err instanceof TooManyTokensError;
      if (!expected) this.deps.logError?.(`Analysis failed (${choice.modelId}): ${err.stack ?? err.message}`);
      this.streamer.fail(slot, generation, err, expected ? undefined : err.stack);
    } finally {
      this.superseded.delete(generation);
      if (this.inFlight.get(slot)?.generation === generation) this.inFlight.delete(slot);
    }
  }

  /**
   * A translation model's slot (src/panel/sessionTranslation.ts): every decoding step is shown as a new generation
   * of the slot (the translation grows on screen), so staleness follows the newest of them; a newer analysis of the
   * slot, a supersede or the panel closing stops the decoding between two steps.
   */
  private async translate(slot: Slot, source: TextSource, manifest: ModelManifest, generation: number): Promise<void> {
    let current = generation;
    let shownOnce = false;
    const isStale = (): boolean => !this.streamer.isCurrent(slot, current) || this.superseded.has(generation) || this.disposed;
    const options = { documentOffset: source.startOffset, sourceLabel: source.label, sourceUri: source.uri, window: { index: 0, count: 1 } };
    this.inferences++;
    await runSlotTranslation({
      registry: this.deps.registry(),
      manifest,
      text: source.text,
      request: this.translationRequests.for(slot, source.text),
      inference: this.deps.inference,
      isCancelled: isStale,
      sink: {
        show: async (joint, final) => {
          if (isStale()) return;
          if (shownOnce) current = this.streamer.begin(slot);
          else if (this.inFlight.get(slot)?.generation === generation) this.inFlight.delete(slot);
          shownOnce = true;
          this.shownSources.set(slot, source);
          this.onShown(slot, source, source.startOffset, { tokens: documentTokens(joint) });
          // While the model writes, only the visible head goes with each step (the next step replaces it at once);
          // the webview asks for any other head it shows, and the last step streams them all.
          // The model's default head (its best-aligned cross head, models/translation/model.json), else Cross 1.1.
          const firstHead = this.view ?? manifest.defaultHead ?? { layer: 2 * manifest.layers, head: 0 };
          await this.streamer.show(slot, current, joint, { ...options, firstHead, onlyFirstHead: !final });
        },
      },
    });
  }

  /**
   * The webview asked to translate the slot's text again: into `to`, aligning `target` when given (teacher forcing).
   */
  async retranslate(slot: Slot, to: TargetLanguage, target: string | null): Promise<void> {
    const source = this.sources.get(slot);
    if (!source) return;
    this.translationRequests.set(slot, { text: source.text, to, target: target && target.length > 0 ? target : null });
    await this.analyze(slot, source);
  }

  /**
   * The person's selection moved on: whatever is still being computed for an older selection is never shown
   * (a new selection cancels the old one), while the analysis on screen stays usable. The new selection is
   * analysed when the caller asks (the follow-selection debounce), so a pause in a storm of changes does not
   * paint a selection that is already gone.
   */
  supersedePending(): void {
    for (const [slot, pending] of this.inFlight) {
      this.superseded.add(pending.generation);
      this.inFlight.delete(slot);
      this.streamer.reinstate(slot, pending.generation);
      // What the slot shows is again what a model change or a window move re-runs.
      const shown = this.shownSources.get(slot);
      if (shown) this.sources.set(slot, shown);
    }
  }

  /** Whether every slot in use shows, or is computing (not superseded), exactly this text at this place. */
  covers(source: TextSource): boolean {
    const same = (a: TextSource | undefined): boolean =>
      !!a && a.uri === source.uri && a.text === source.text && a.startOffset === source.startOffset && a.version === source.version;
    const slots: Slot[] = this.compareMode ? [0, 1] : [0];
    return slots.every((slot) => {
      const pending = this.inFlight.get(slot);
      return pending ? same(pending.source) : same(this.shownSources.get(slot));
    });
  }

  /** Tokens of the whole source for this model's tokenizer, cached so moving between windows is instant. */
  private async tokensFor(
    registry: ModelRegistry,
    slot: Slot,
    source: TextSource,
    manifest: ModelManifest,
    isStale: () => boolean,
  ): Promise<Token[]> {
    const limit = this.deps.maxTokens();
    const cached = this.tokenCache.get(slot);
    if (cached && cached.source === source && cached.tokenizerPath === manifest.tokenizerPath && cached.limit === limit) {
      return cached.tokens;
    }
    if (source.text.length === 0) throw new InputError(this.t('The selection is empty: select some text first.'));
    // Either tokenizer (the bundled BPE or a Hugging Face folder's), in slices with the same limit and cancellation.
    const tokenizer = await registry.textTokenizer(manifest);
    const tokens = await tokenizer.encodeAsync(source.text, { limit, isCancelled: isStale });
    if (tokens.length === 0) throw new InputError(this.t('The selection has no tokens to analyse.'));
    this.tokenCache.set(slot, { source, tokenizerPath: manifest.tokenizerPath, limit, tokens });
    return tokens;
  }

  currentResults(): AnalysisResult[] {
    return ([0, 1] as Slot[]).map((s) => this.streamer.currentResult(s)).filter((r): r is AnalysisResult => r !== undefined);
  }

  dispose(): void {
    this.disposed = true;
    this.inFlight.clear();
    this.streamer.clear(0);
    this.streamer.clear(1);
    this.tokenCache.clear();
  }
}
