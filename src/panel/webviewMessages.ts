/**
 * The host's one table of webview → host messages: every message type has exactly one handler here, and the
 * table's type (`MessageHandlers<WebviewToHost>`) makes a new message type without a handler a compile error.
 *
 * No VS Code API here: what only the panel can do (the handshake, the editor overlay, save dialogs, the log) comes
 * in as `PanelActions`, so tests drive the same table with plain functions.
 */
import type { ExportRequestMessage, MessageHandlers, WebviewLogMessage, WebviewToHost } from '../protocol/messages';
import type { AnalysisSession } from './analysisSession';
import { PanelPredictions } from './panelPredictions';

/** The VS Code side of a panel, as the handlers need it. */
export interface PanelActions {
  /** The webview is listening: send init and whatever was queued. */
  ready(): Promise<void>;
  /** Draw (or, with nulls, remove) the focused token's weights in the editor. */
  showFocus(tokenIndex: number | null, weights: number[] | null): void;
  export(message: ExportRequestMessage): Promise<void>;
  log(message: WebviewLogMessage): void;
  /** Inserts generated text at a document offset (the explicit "insert" action; nothing else writes). */
  insertText?(uri: string, offset: number, text: string): Promise<void>;
}

export type WebviewHandlers = MessageHandlers<WebviewToHost, void | Promise<void>>;

export function webviewHandlers(
  session: AnalysisSession,
  panel: PanelActions,
  // Predictions and continuations run on the session's registry and inference backend (the worker, in VS Code).
  predict: PanelPredictions = new PanelPredictions(session, session.runtime()),
): WebviewHandlers {
  const streamer = session.streamer;
  return {
    requestPredictions: (m) => predict.requestPredictions(m),
    generate: (m) => predict.generate(m),
    cancelGeneration: () => predict.cancel(),
    insertGenerated: async () => {
      const g = predict.generatedText();
      if (g && panel.insertText) await panel.insertText(g.uri, g.insertAt, g.text);
    },
    ready: () => panel.ready(),
    requestHeads: (m) => streamer.requestHeads(m),
    requestVectors: (m) => streamer.requestVectors(m),
    // On the session's inference backend (the extension's worker runs it off this thread).
    requestFormula: (m) => streamer.requestFormula(m, session.runtime().inference),
    changeModel: (m) => session.changeModel(m.slot, { modelId: m.modelId, mask: m.mask }),
    // Another direction, or the person's own translation to align (teacher forcing); validated like any input.
    translate: (m) => {
      if ((m.to !== 'zh' && m.to !== 'en') || (m.target !== null && typeof m.target !== 'string')) return;
      return session.retranslate(m.slot, m.to, m.target);
    },
    changeWindow: (m) => session.changeWindow(m.windowIndex),
    focusToken: (m) => {
      // Only the view's own analysis drives the overlay: a focus on an older generation describes other tokens.
      if (m.slot !== 0 || !streamer.isCurrent(0, m.generation)) return;
      // A continuation's tokens are not in the document: the overlay draws nothing for them.
      if (predict.showsContinuation(m.generation)) return panel.showFocus(null, null);
      panel.showFocus(m.tokenIndex, m.weights);
    },
    // The only place the host learns the visible head: a head change needs no focused token and no current
    // generation to count (the next analysis, or the one computing now, streams it first).
    painted: (m) => session.painted(m.slot, m.generation),
    visibleHead: (m) => {
      if (!Number.isInteger(m.layer) || !Number.isInteger(m.head) || m.layer < 0 || m.head < 0) return;
      session.view = { layer: m.layer, head: m.head };
    },
    export: (m) => panel.export(m),
    log: (m) => panel.log(m),
  };
}
