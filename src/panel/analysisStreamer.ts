/**
 * Streams analyses to a webview over the typed protocol. No VS Code API here, so the same logic serves the
 * panel, the standalone-page recorder and the browser tests.
 *
 * Ownership: the streamer owns generations (one counter for all slots, only growing) and, per slot, the result
 * being shown and the set of heads already sent. A new `begin()` on a slot makes every older generation of that
 * slot stale: its remaining heads are never sent, and late replies to its requests are dropped.
 */
import { deflateRaw, deflateRawSync } from 'node:zlib';
import {
  encodeHead,
  type HeadEncoding,
  type HostToWebview,
  type MaskKind,
  type ModelInfo,
  type TokenInfo,
  type RequestFormulaMessage,
  type RequestHeadsMessage,
  type RequestVectorsMessage,
  type Slot,
} from '../protocol/messages';
import { headAt, headIndex } from '../common/heads';
import { headVectors, headWeights, layerBias, type AnalysisResult } from '../pipeline/analyze';
import { formulaFor, type FormulaBackend } from '../formula/formulaRunner';
import type { FormulaPayload } from '../common/formula';
import type { OutputRecycler } from './outputRecycler';

export type PostFn = (message: HostToWebview) => unknown;

export interface ShowOptions {
  documentOffset: number;
  sourceLabel: string;
  sourceUri?: string;
  window?: { index: number; count: number };
  /** The head the person is looking at: sent first. */
  firstHead?: { layer: number; head: number };
  /** A continuation: tokens from this index on were generated (src/panel/panelGeneration.ts). */
  firstGenerated?: number;
  /**
   * Send only the first head (and analysisComplete never): a step that the next one replaces at once, e.g. a
   * translation the model is still writing. Other heads are still answered when the webview asks for them.
   */
  onlyFirstHead?: boolean;
}

/**
 * The visible layer of an analysis whose later layers are still running (a progressive run, see
 * src/model/splitRunner.ts): enough to post analysisStart and that layer's heads.
 */
export interface FirstLayer {
  model: ModelInfo;
  mask: MaskKind;
  whatIf: boolean;
  text: string;
  tokens: TokenInfo[];
  n: number;
  /** inference time until this layer was ready: what the first head waited for */
  inferenceMs: number;
  layer: number;
  /** [heads, n, n] */
  attentions: Float32Array;
}

interface SlotStream {
  generation: number;
  result: AnalysisResult | undefined;
  /** Shown before `result` exists: only its layer's heads can be sent until complete() brings the rest. */
  firstLayer?: FirstLayer;
  /** Requests that need the whole result, answered by complete(). */
  deferred: (() => void)[];
  sent: Set<number>;
  /** Heads still to send, in order; requested heads jump to the front. */
  queue: number[];
  pumping: boolean;
  /** Shown with onlyFirstHead: not every head will be sent unasked, so it is never announced complete. */
  partial?: boolean;
  /** The first head went and the wait for its paint (StreamerOptions.paintWaitMs) is over or under way. */
  waitedForPaint?: boolean;
  /** Settles when the first head has been posted (see firstHeadSent). */
  headSent: Promise<void>;
  markHeadSent: () => void;
}

function newStream(generation: number): SlotStream {
  let markHeadSent = (): void => undefined;
  const headSent = new Promise<void>((resolve) => (markHeadSent = resolve));
  return { generation, result: undefined, sent: new Set(), queue: [], pumping: false, deferred: [], headSent, markHeadSent };
}

/** zlib level 1 (HeadEncoding says why level 1). */
const DEFLATE = { level: 1 };
const deflateRawAsync = (data: Uint8Array): Promise<Buffer> =>
  new Promise((resolve, reject) => deflateRaw(data, DEFLATE, (err, out) => (err ? reject(err) : resolve(out))));

/** Yields to the event loop so a long stream never blocks the extension host. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Heads smaller than this go as they are: compressing them saves the transport too little to be worth a step. */
const MIN_BYTES_TO_DEFLATE = 16 * 1024;

export interface StreamerOptions {
  /** How heads travel (HeadEncoding says why); left out: as laid out, for hosts that read the bytes themselves. */
  headEncoding?: HeadEncoding;
  /**
   * After the first head of a generation, wait up to this long for the webview's `painted` (see painted()) before
   * sending the others. The first picture needs the tokens and one head; in a remote window every further head
   * queues in the same compressed socket and, in the browser, on the same thread that paints the panel, so sent
   * at once they delay the first paint instead of following it. Left out (tests, the standalone recorder): no wait.
   */
  paintWaitMs?: number;
  /**
   * Told when a result or first layer is shown no more (retired: replaced on screen, its slot cleared, or refused
   * as stale), so arrays its owner registered go back to the backend (outputRecycler.ts). Left out: nothing is.
   */
  recycler?: OutputRecycler;
}

export class AnalysisStreamer {
  private generationCounter = 0;
  private readonly slots = new Map<Slot, SlotStream>();
  /** Per slot: the last stream that showed something, kept so a superseded generation can hand back to it. */
  private readonly previous = new Map<Slot, SlotStream>();
  /** Waits for the webview's first paint of a generation, by `slot:generation` (see paintOf). */
  private readonly paintWaits = new Map<string, { promise: Promise<void>; done: () => void }>();

  constructor(
    private readonly post: PostFn,
    private readonly options: StreamerOptions = {},
  ) {}

  /** The webview drew a head of this generation (PaintedMessage): whatever waits for that goes on. */
  painted(slot: Slot, generation: number): void {
    this.paintWaits.get(`${slot}:${generation}`)?.done();
  }

  /**
   * Resolves when the webview says it painted this generation, or after options.paintWaitMs (a webview that never
   * answers delays what waits by that at most); undefined when the streamer does not wait. One wait per
   * generation, shared by every caller (the rest of its heads here, the rest of a progressive run in the session).
   */
  paintOf(slot: Slot, generation: number): Promise<void> | undefined {
    const ms = this.options.paintWaitMs;
    if (!ms) return undefined;
    const key = `${slot}:${generation}`;
    const existing = this.paintWaits.get(key);
    if (existing) return existing.promise;
    let done = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), ms);
      done = () => {
        clearTimeout(timer);
        this.paintWaits.delete(key);
        resolve();
      };
    });
    this.paintWaits.set(key, { promise, done });
    return promise;
  }

  /** Starts a new generation for `slot`; everything older on that slot becomes stale. */
  begin(slot: Slot): number {
    const current = this.slots.get(slot);
    if (current?.result || current?.firstLayer) this.previous.set(slot, current);
    const generation = ++this.generationCounter;
    this.slots.set(slot, newStream(generation));
    return generation;
  }

  /**
   * Settles when the first head of `generation` has been posted (never, for a generation that went stale first);
   * undefined when `generation` is not the slot's current one.
   */
  firstHeadSent(slot: Slot, generation: number): Promise<void> | undefined {
    const stream = this.slots.get(slot);
    return stream?.generation === generation ? stream.headSent : undefined;
  }

  isCurrent(slot: Slot, generation: number): boolean {
    return this.slots.get(slot)?.generation === generation;
  }

  currentGeneration(slot: Slot): number | undefined {
    return this.slots.get(slot)?.generation;
  }

  currentResult(slot: Slot): AnalysisResult | undefined {
    return this.slots.get(slot)?.result;
  }

  /** Forgets a slot (e.g. leaving compare mode). */
  clear(slot: Slot): void {
    const gone = [this.slots.get(slot), this.previous.get(slot)];
    this.slots.delete(slot);
    this.previous.delete(slot);
    for (const stream of new Set(gone)) if (stream) this.retire(stream);
  }

  /**
   * Keeps `owner`'s arrays (a result on screen now) from going back to the backend until the returned function is
   * called: for work that reads them across an `await` (OutputRecycler says why).
   */
  hold(owner: object): () => void {
    return this.options.recycler?.hold(owner) ?? (() => undefined);
  }

  /** A stream is shown no more: what it showed may go back (StreamerOptions.recycler). */
  private retire(stream: SlotStream): void {
    this.options.recycler?.retire(stream.result);
    this.options.recycler?.retire(stream.firstLayer);
  }

  /**
   * `generation` was superseded before it showed anything: the analysis the webview still shows becomes current
   * again, so its head and vector requests are answered and its remaining heads are sent.
   */
  reinstate(slot: Slot, generation: number): void {
    const current = this.slots.get(slot);
    const previous = this.previous.get(slot);
    if (!current || current.generation !== generation || current.result || current.firstLayer || !previous) return;
    this.slots.set(slot, previous);
    if (previous.queue.length > 0) void this.pump(slot, previous); // its stream was cut short: finish it
  }

  /** `detail` (a stack, for the log) only for unexpected failures; refusals of bad input carry none. */
  fail(slot: Slot, generation: number, error: Error, detail?: string): void {
    if (!this.isCurrent(slot, generation)) return;
    this.post({ type: 'analysisError', generation, slot, message: error.message, detail });
  }

  /**
   * Shows `result` as generation `generation` of `slot`: posts the tokens, then the visible head, then the
   * other heads one at a time with a yield between them. Resolves when all heads are sent or the generation
   * went stale.
   */
  async show(slot: Slot, generation: number, result: AnalysisResult, options: ShowOptions): Promise<void> {
    const stream = this.slots.get(slot);
    if (!stream || stream.generation !== generation) {
      this.options.recycler?.retire(result); // stale: never shown
      return;
    }
    stream.result = result;
    await this.start(slot, stream, result, options);
  }

  /**
   * A progressive run's first step: posts analysisStart and the heads of `first.layer` (the visible head first),
   * and keeps every other head queued until complete() brings the whole result. Resolves when that layer's heads
   * are sent or the generation went stale.
   */
  async showFirstLayer(slot: Slot, generation: number, first: FirstLayer, options: ShowOptions): Promise<void> {
    const stream = this.slots.get(slot);
    if (!stream || stream.generation !== generation || stream.result) return;
    stream.firstLayer = first;
    await this.start(slot, stream, first, { ...options, firstHead: { layer: first.layer, head: options.firstHead?.head ?? 0 } });
  }

  /**
   * The whole result of a generation shown with showFirstLayer: the remaining heads are sent (none twice), then
   * analysisComplete, and deferred requests are answered. Ignored for a generation that is neither current nor
   * the one the webview would fall back to (reinstate).
   */
  async complete(slot: Slot, generation: number, result: AnalysisResult): Promise<void> {
    const stream = [this.slots.get(slot), this.previous.get(slot)].find((s) => s?.generation === generation && s.firstLayer && !s.result);
    if (!stream) {
      this.options.recycler?.retire(result); // stale: never shown
      return;
    }
    stream.result = result;
    this.options.recycler?.retire(stream.firstLayer); // its heads come from the result from now on
    stream.firstLayer = undefined;
    for (const answer of stream.deferred.splice(0)) answer();
    if (this.slots.get(slot) === stream) await this.pump(slot, stream);
  }

  private async start(slot: Slot, stream: SlotStream, result: AnalysisResult | FirstLayer, options: ShowOptions): Promise<void> {
    // This generation is what the webview shows now: the one before may go.
    const before = this.previous.get(slot);
    this.previous.delete(slot);
    if (before && before !== stream) this.retire(before);
    const { layers, heads } = result.model;
    const first = options.firstHead ?? { layer: 0, head: 0 };
    const firstIndex = headIndex(Math.min(first.layer, layers - 1), Math.min(first.head, heads - 1), heads);
    stream.queue = [firstIndex];
    stream.partial = options.onlyFirstHead;
    if (!options.onlyFirstHead) for (let i = 0; i < layers * heads; i++) if (i !== firstIndex) stream.queue.push(i);
    this.post({
      type: 'analysisStart',
      generation: stream.generation,
      slot,
      model: result.model,
      mask: result.mask,
      whatIf: result.whatIf,
      text: result.text,
      documentOffset: options.documentOffset,
      sourceLabel: options.sourceLabel,
      sourceUri: options.sourceUri,
      tokens: result.tokens,
      window: options.window ?? { index: 0, count: 1 },
      inferenceMs: result.inferenceMs,
      ...(options.firstGenerated !== undefined ? { firstGenerated: options.firstGenerated } : {}),
      ...('translation' in result && result.translation ? { translation: result.translation } : {}),
    });
    await this.pump(slot, stream);
  }

  private async pump(slot: Slot, stream: SlotStream): Promise<void> {
    if (stream.pumping) return;
    stream.pumping = true;
    try {
      let first = true;
      while (stream.queue.length > 0) {
        if (!first) await yieldToEventLoop();
        first = false;
        if (this.slots.get(slot) !== stream) return; // stale: a newer generation replaced this one
        // Until the whole result is here, only the first layer's heads can go; the rest wait for complete().
        const at = stream.queue.findIndex((index) => this.available(stream, index));
        if (at < 0) return;
        const [index] = stream.queue.splice(at, 1);
        await this.sendHead(slot, stream, index);
        // Only when more is to follow: a partial step (onlyFirstHead) must not hold up the next one.
        if (!stream.waitedForPaint && stream.queue.length > 0) {
          stream.waitedForPaint = true;
          await this.paintOf(slot, stream.generation);
        }
      }
      if (this.slots.get(slot) === stream && stream.result && !stream.partial) {
        this.post({ type: 'analysisComplete', generation: stream.generation, slot });
      }
    } finally {
      stream.pumping = false;
    }
  }

  /** Whether head `index` can be sent now: the whole result is here, or it is in the first layer shown. */
  private available(stream: SlotStream, index: number): boolean {
    if (stream.result) return true;
    const first = stream.firstLayer;
    return !!first && headAt(index, first.model.heads).layer === first.layer;
  }

  /** Posts head `index` unless sent already; settles once it is posted (compressing it takes a moment). */
  private async sendHead(slot: Slot, stream: SlotStream, index: number): Promise<void> {
    const shown = stream.result ?? stream.firstLayer;
    if (!shown || stream.sent.has(index) || !this.available(stream, index)) return;
    stream.sent.add(index);
    const { layer, head } = headAt(index, shown.model.heads);
    const n = shown.n;
    const weights = stream.result ? headWeights(stream.result, layer, head) : (stream.firstLayer as FirstLayer).attentions.subarray(head * n * n, (head + 1) * n * n);
    const { layout, data } = encodeHead(weights, n, shown.mask);
    if (this.options.headEncoding === 'deflate-raw' && data.byteLength >= MIN_BYTES_TO_DEFLATE) {
      // The first head of a generation is what the person waits for: compressed here and posted at once (≈ 3 ms
      // at 512 tokens). Through the thread pool its post waited 10–80 ms for a pool thread and then for this thread
      // on 2 busy cores (bench/README.md, "Issue 14 probe"). The others go through the pool, off this thread.
      const packed = stream.sent.size === 1 ? deflateRawSync(data, DEFLATE) : await deflateRawAsync(data);
      const buffer = packed.buffer.slice(packed.byteOffset, packed.byteOffset + packed.byteLength) as ArrayBuffer;
      this.post({ type: 'headData', generation: stream.generation, slot, layer, head, layout, data: buffer, encoding: 'deflate-raw' });
    } else {
      this.post({ type: 'headData', generation: stream.generation, slot, layer, head, layout, data: data.buffer as ArrayBuffer });
    }
    stream.markHeadSent(); // a no-op after the first
  }

  /** The webview asks for heads of a generation out of turn; a stale generation or a bad index is ignored. */
  requestHeads(message: RequestHeadsMessage): void {
    const stream = this.slots.get(message.slot);
    const shown = stream?.result ?? stream?.firstLayer;
    if (!stream || stream.generation !== message.generation || !shown) return;
    const { layers, heads } = shown.model;
    for (const ref of message.heads) {
      if (ref.layer < 0 || ref.head < 0 || ref.head >= heads || ref.layer >= layers) continue;
      const index = headIndex(ref.layer, ref.head, heads);
      // Sent at once, out of turn: the person is waiting for exactly this head. One that is not computed yet
      // goes to the front of the queue, the first to be sent when the whole result arrives.
      if (this.available(stream, index)) void this.sendHead(message.slot, stream, index);
      else if (!stream.sent.has(index)) stream.queue = [index, ...stream.queue.filter((i) => i !== index)];
    }
  }

  /** The webview asks for the exact vectors of one head (computation view). */
  requestVectors(message: RequestVectorsMessage): void {
    const stream = this.slots.get(message.slot);
    const r = stream?.result;
    if (stream?.firstLayer && stream.generation === message.generation) {
      stream.deferred.push(() => this.requestVectors(message)); // answered when the whole result is here
      return;
    }
    if (!stream || !r || stream.generation !== message.generation) return;
    if (message.layer < 0 || message.layer >= r.model.layers || message.head < 0 || message.head >= r.model.heads) return;
    this.post(vectorsMessage(r, stream.generation, message.slot, message.layer, message.head));
  }

  /**
   * The webview asks for the formula steps of one layer and query token (computation view). The first request of
   * an analysis runs the model once more with its per-layer tensors as outputs (src/formula/, on `backend`: the
   * extension's inference worker, or this thread; the panel's own session is not involved); the reply is dropped if
   * the generation went stale meanwhile.
   */
  async requestFormula(message: RequestFormulaMessage, backend?: FormulaBackend): Promise<void> {
    const stream = this.slots.get(message.slot);
    if (stream?.firstLayer && stream.generation === message.generation) {
      await new Promise<void>((resolve) => stream.deferred.push(resolve)); // the whole result is needed
    }
    const r = stream?.result;
    if (!stream || !r || stream.generation !== message.generation) return;
    if (!Number.isInteger(message.layer) || !Number.isInteger(message.token)) return;
    const release = this.hold(r); // read again after the formula's run
    let formula: FormulaPayload;
    try {
      formula = await formulaFor(r, message.layer, message.token, backend);
    } finally {
      release();
    }
    if (!this.isCurrent(message.slot, message.generation)) return;
    this.post({ type: 'formulaData', generation: message.generation, slot: message.slot, layer: message.layer, token: message.token, formula });
  }
}

/** The exact float32 numbers of one head, copied into their own buffers (they cross the boundary). */
export function vectorsMessage(r: AnalysisResult, generation: number, slot: Slot, layer: number, head: number): HostToWebview {
  const copy = (a: Float32Array): ArrayBuffer => a.slice().buffer as ArrayBuffer;
  return {
    type: 'headVectors',
    generation,
    slot,
    layer,
    head,
    queries: copy(headVectors(r, 'queries', layer, head)),
    keys: copy(headVectors(r, 'keys', layer, head)),
    values: copy(headVectors(r, 'values', layer, head)),
    attention: copy(headWeights(r, layer, head)),
    // A translation's three attentions have their own masks (src/common/translation.ts): the bias of this layer's set.
    bias: copy(layerBias(r, layer)),
  };
}

