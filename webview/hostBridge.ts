/**
 * The webview's only link to its host. Inside VS Code that is `acquireVsCodeApi()`; in the standalone page
 * (exported HTML, no VS Code) a tiny local host replays the recorded message stream embedded in the page and
 * answers requests from it, so the same app code runs in both places.
 *
 * Handshake: the app calls `start()` once it listens; that posts `ready`. The app itself posts nothing else until
 * it has handled `init`.
 */
import {
  PROTOCOL_VERSION,
  dispatch,
  isHostToWebview,
  type AnalysisStartMessage,
  type HostToWebview,
  type InitMessage,
  type MaskKind,
  type MessageHandlers,
  type ModelInfo,
  type PanelState,
  type RequestPredictionsMessage,
  type WebviewToHost,
} from '../src/protocol/messages';
import { deserializeMessages } from '../src/protocol/serialize';
import { attentionJsonText } from '../src/common/attentionJson';
import { resolveMask } from '../src/common/mask';
import { recordedAnalysisJson } from './recordedJson';
import { InboundQueue } from './inboundQueue';

export interface HostBridge {
  readonly host: 'vscode' | 'standalone';
  post(message: WebviewToHost): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
  /** Start listening and send `ready`. */
  start(onMessage: (message: HostToWebview) => void, onNotice: (notice: BridgeNotice) => void): void;
}

/** Things the local host of a standalone page cannot do, told to the person (localised by the app). */
export type BridgeNotice =
  | { kind: 'standaloneModel' }
  | { kind: 'standaloneTranslate' }
  | { kind: 'noVectors'; layer: number; head: number };

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

export function createHostBridge(): HostBridge {
  if (typeof acquireVsCodeApi === 'function') return new VsCodeBridge(acquireVsCodeApi());
  return new StandaloneBridge();
}

class VsCodeBridge implements HostBridge {
  readonly host = 'vscode' as const;
  constructor(private readonly api: VsCodeApi) {}

  post(message: WebviewToHost): void {
    this.api.postMessage(message);
  }

  getState(): PanelState | undefined {
    const state = this.api.getState();
    return typeof state === 'object' && state !== null ? (state as PanelState) : undefined;
  }

  setState(state: PanelState): void {
    this.api.setState(state);
  }

  start(onMessage: (message: HostToWebview) => void): void {
    const inbound = new InboundQueue(onMessage, (m, e) =>
      this.post({ type: 'log', level: 'error', message: `headData ${m.layer}.${m.head}: the compressed bytes could not be inflated (${e.message})` }),
    );
    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      // Only messages shaped like our protocol; anything else (other extensions' noise) is ignored.
      if (isHostToWebview(event.data)) inbound.push(event.data);
    });
    this.post({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
  }
}

/** One recorded analysis of the embedded stream: its analysisStart, and every message of it in recorded order. */
interface RecordedAnalysis {
  start: AnalysisStartMessage;
  stream: HostToWebview[];
}

const headKey = (layer: number, head: number): string => `${layer}.${head}`;

/**
 * The local host of the standalone page. The page embeds (recordMessages, src/export/standalonePage.ts) an `init`,
 * then per analysis: analysisStart, headData for every head, analysisComplete, and — for texts of at most
 * MAX_TOKENS_WITH_VECTORS tokens — headVectors for every head. Everything stays in this page: nothing is fetched.
 */
class StandaloneBridge implements HostBridge {
  readonly host = 'standalone' as const;
  private readonly analyses: RecordedAnalysis[] = [];
  private init: InitMessage | null = null;
  private deliver: (message: HostToWebview) => void = () => undefined;
  private notice: (notice: BridgeNotice) => void = () => undefined;
  private generationCounter = 0;
  /** What each slot shows now: which recorded analysis, replayed under which generation. */
  private readonly current = new Map<number, { analysis: RecordedAnalysis; generation: number }>();
  private state: PanelState | undefined;
  private loadError: string | null = null;

  constructor() {
    const el = document.getElementById('attention-lens-data');
    try {
      const messages = deserializeMessages(el?.textContent ?? '[]');
      this.record(messages);
    } catch (err) {
      this.loadError = `The data embedded in this page could not be read: ${String(err)}`;
    }
  }

  private record(messages: HostToWebview[]): void {
    const byGeneration = new Map<string, RecordedAnalysis>();
    for (const m of messages) {
      // Only message types this bundle handles (a page made by another version may hold others).
      if (!isHostToWebview(m)) continue;
      if (m.type === 'init') {
        this.init = m;
        continue;
      }
      if (!('generation' in m)) continue;
      this.generationCounter = Math.max(this.generationCounter, m.generation);
      const slot = 'slot' in m ? m.slot : 0;
      const key = `${m.generation}:${slot}`;
      if (m.type === 'analysisStart') {
        const rec = { start: m, stream: [] as HostToWebview[] };
        byGeneration.set(key, rec);
        this.analyses.push(rec);
      }
      byGeneration.get(key)?.stream.push(m);
    }
  }

  post(message: WebviewToHost): void {
    // Answer asynchronously, like a real host would.
    queueMicrotask(() => this.handle(message));
  }

  getState(): PanelState | undefined {
    return this.state;
  }

  setState(state: PanelState): void {
    this.state = state;
  }

  start(onMessage: (message: HostToWebview) => void, onNotice: (notice: BridgeNotice) => void): void {
    this.deliver = onMessage;
    this.notice = onNotice;
    this.post({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
  }

  private emit(message: HostToWebview): void {
    this.deliver(message);
  }

  private handle(message: WebviewToHost): void {
    dispatch(this.handlers, message);
  }

  /** This local host's answer to each webview → host message type (the type makes a missing one a compile error). */
  private readonly handlers: MessageHandlers<WebviewToHost> = {
    // No model in the page: predictions are answered from the recording (short texts), generation is disabled.
    requestPredictions: (m) => this.onRequestPredictions(m),
    generate: () => undefined,
    cancelGeneration: () => undefined,
    // Translating again (the other direction, or the person's own target) needs the model: the page says so.
    translate: () => this.notice({ kind: 'standaloneTranslate' }),
    insertGenerated: () => undefined,
    ready: () => this.onReady(),
    requestHeads: (m) => this.onRequestHeads(m.slot, m.generation, m.heads),
    requestVectors: (m) => this.onRequestVectors(m.slot, m.generation, m.layer, m.head),
    requestFormula: (m) => this.onRequestFormula(m.slot, m.generation, m.layer, m.token),
    changeModel: (m) => this.onChangeModel(m.slot, m.modelId, m.mask),
    export: (m) => this.onExport(m.format, m.payload, m.suggestedName),
    // No editor to draw on, no other windows, and nothing streamed: every head is in the page already.
    focusToken: () => undefined,
    visibleHead: () => undefined,
    painted: () => undefined, // a recorded page computes nothing after its first paint
    changeWindow: () => undefined,
    log: (m) => {
      if (m.level === 'error') console.error(m.message);
    },
  };

  private onReady(): void {
    const models = new Map<string, ModelInfo>();
    for (const m of this.init?.models ?? []) models.set(m.id, m);
    for (const a of this.analyses) if (!models.has(a.start.model.id)) models.set(a.start.model.id, a.start.model);
    this.emit({
      type: 'init',
      protocolVersion: this.init?.protocolVersion ?? PROTOCOL_VERSION,
      models: [...models.values()],
      host: 'standalone',
      strings: this.init?.strings ?? {},
    });
    if (this.loadError) {
      this.emit({ type: 'analysisError', generation: 1, slot: 0, message: this.loadError });
      return;
    }
    // The first recorded analysis of each slot is what the page opens with.
    for (const slot of [0, 1] as const) {
      const first = this.analyses.find((a) => a.start.slot === slot);
      if (first) this.replay(first, slot, first.start.generation);
    }
  }

  /** Replays one analysis into a slot: start, heads, complete. Vectors wait until asked for. */
  private replay(analysis: RecordedAnalysis, slot: 0 | 1, generation: number): void {
    this.current.set(slot, { analysis, generation });
    const recordedPredictions = analysis.stream.some((m) => m.type === 'predictions');
    for (const m of analysis.stream) {
      if (m.type === 'headVectors' || m.type === 'formulaData' || m.type === 'predictions') continue;
      if (m.type === 'analysisStart' && recordedPredictions) this.emit({ ...m, generation, slot, recordedPredictions });
      else this.emit({ ...m, generation, slot } as HostToWebview);
    }
  }

  /** A token's recorded top-5 (temperature 1 only: the page keeps no logits to rescale); nothing if not recorded. */
  private onRequestPredictions(m: RequestPredictionsMessage): void {
    const analysis = this.find(m.slot, m.generation);
    if (!analysis || m.temperature !== 1) return;
    const recorded = analysis.stream.find((x) => x.type === 'predictions' && x.token === m.token);
    if (!recorded) return;
    this.emit({ ...recorded, generation: m.generation, slot: m.slot, ...(m.head ? { head: m.head } : {}) } as HostToWebview);
  }

  private find(slot: number, generation: number): RecordedAnalysis | null {
    const cur = this.current.get(slot);
    return cur && cur.generation === generation ? cur.analysis : null;
  }

  private onRequestHeads(slot: 0 | 1, generation: number, heads: Array<{ layer: number; head: number }>): void {
    const analysis = this.find(slot, generation);
    if (!analysis) return;
    const wanted = new Set(heads.map((h) => headKey(h.layer, h.head)));
    for (const m of analysis.stream) {
      if (m.type === 'headData' && wanted.has(headKey(m.layer, m.head))) this.emit({ ...m, generation, slot });
    }
  }

  private onRequestVectors(slot: 0 | 1, generation: number, layer: number, head: number): void {
    const analysis = this.find(slot, generation);
    if (!analysis) return;
    const m = analysis.stream.find((x) => x.type === 'headVectors' && x.layer === layer && x.head === head);
    if (m) {
      this.emit({ ...m, generation, slot } as HostToWebview);
    } else {
      // Long texts are exported without the n×d vectors (they grow quickly); say so instead of waiting forever.
      this.notice({ kind: 'noVectors', layer, head });
    }
  }

  /** The formula steps recorded for this layer and token, or why there are none (the page has no model to run). */
  private onRequestFormula(slot: 0 | 1, generation: number, layer: number, token: number): void {
    const analysis = this.find(slot, generation);
    if (!analysis) return;
    const m = analysis.stream.find((x) => x.type === 'formulaData' && x.layer === layer && x.token === token);
    this.emit(
      m
        ? ({ ...m, generation, slot } as HostToWebview)
        : { type: 'formulaData', generation, slot, layer, token, formula: { ok: false, reason: 'notRecorded', detail: 'not recorded in this page' } },
    );
  }

  private onChangeModel(slot: 0 | 1, modelId: string, mask: MaskKind | 'default'): void {
    const match = this.analyses.find((a) => a.start.model.id === modelId && a.start.mask === resolveMask(a.start.model.kind, mask).mask);
    if (!match) {
      this.notice({ kind: 'standaloneModel' });
      return;
    }
    this.replay(match, slot, ++this.generationCounter);
  }

  private onExport(format: string, payload: string | undefined, name: string): void {
    let blob: Blob;
    if (format === 'png' && payload) {
      const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
      blob = new Blob([bytes], { type: 'image/png' });
    } else if (format === 'svg' && payload) {
      blob = new Blob([payload], { type: 'image/svg+xml' });
    } else if (format === 'json') {
      // The analysis on the left, as the CLI's --json and the panel write it (recordedJson.ts).
      const cur = this.current.get(0);
      const json = cur ? recordedAnalysisJson(cur.analysis.start, cur.analysis.stream) : null;
      blob = new Blob([attentionJsonText(json)], { type: 'application/json' });
    } else {
      // The page itself, without what the app rendered into it (the copy renders itself again when opened).
      const clone = document.documentElement.cloneNode(true) as HTMLElement;
      clone.querySelector('#app')?.replaceChildren();
      blob = new Blob([`<!DOCTYPE html>\n${clone.outerHTML}`], { type: 'text/html' });
    }
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}
