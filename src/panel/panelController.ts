/**
 * One Attention Lens panel: owns its webview (the handshake and the messages queued before it) and the editor
 * overlay for its source document. What each slot analyses, with which model and mask, lives in AnalysisSession;
 * streaming and staleness in AnalysisStreamer; incoming messages go through the table in webviewMessages.ts.
 * This class is the VS Code glue around them.
 */
import { RESTORED_PANEL_VIEW_TYPE } from '../activationContributions';
import * as vscode from 'vscode';
import {
  dispatch,
  isWebviewToHost,
  PROTOCOL_VERSION,
  type HostToWebview,
  type PanelState,
  type Slot,
  type TokenInfo,
} from '../protocol/messages';
import { AnalysisSession, type SlotChoice, type TextSource } from './analysisSession';
import { webviewHandlers, type WebviewHandlers } from './webviewMessages';
import { PanelPredictions } from './panelPredictions';
import type { GenerateMessage } from '../protocol/messages';
import { makeNonce, renderWebviewHtml } from './panelHtml';
import { toModelInfo } from '../model/modelManifest';
import type { ModelRegistry } from '../model/modelRegistry';
import type { InferenceBackend } from '../model/modelRunner';
import { EditorOverlay } from '../editor/editorOverlay';
import { analysisToJson, buildStandaloneHtml } from '../export/standalonePage';
import type { Settings } from '../settings';

export type { TextSource } from './analysisSession';

// Defined once, beside the command ids, so the small activation bundle can register the serializer for it.
export const PANEL_VIEW_TYPE = RESTORED_PANEL_VIEW_TYPE;

export interface PanelDeps {
  extensionUri: vscode.Uri;
  registry: () => ModelRegistry;
  /** Where the model runs (the extension's worker thread); shared by every panel. */
  inference: InferenceBackend;
  log: vscode.LogOutputChannel;
  settings: () => Settings;
  onDispose: (panel: AttentionPanel) => void;
  onFocus: (panel: AttentionPanel) => void;
}

export class AttentionPanel implements vscode.Disposable {
  private readonly session: AnalysisSession;
  private ready = false;
  /** Messages posted before the webview said `ready` (only the latest analysis per slot is kept, see post()). */
  private backlog: HostToWebview[] = [];
  private readonly overlay: EditorOverlay;
  private readonly handlers: WebviewHandlers;
  private readonly predictions: PanelPredictions;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  static create(deps: PanelDeps, column: vscode.ViewColumn): AttentionPanel {
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, vscode.l10n.t('Attention Lens'), column, {
      ...AttentionPanel.webviewOptions(deps.extensionUri),
      retainContextWhenHidden: true,
    });
    return new AttentionPanel(panel, deps, undefined);
  }

  /** Only the bundle folder is readable by the webview. */
  static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')] };
  }

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: PanelDeps,
    restored: PanelState | undefined,
  ) {
    this.session = new AnalysisSession(
      {
        registry: deps.registry,
        inference: deps.inference,
        post: (m) => this.post(m),
        maxTokens: () => deps.settings().maxTokens,
        defaultModel: () => deps.settings().defaultModel,
        t: (m, ...args) => vscode.l10n.t(m, ...args),
        logError: (m) => deps.log.error(m),
        // One line per analysis: where its time went on the host (read by the bench, bench/README.md).
        trace: (line) => deps.log.info(line),
        // Long enough for VS Code to relay the first head and the webview to draw it (≈ 100–300 ms in code-server
        // on 2 cores, bench/README.md); a webview that never answers delays the other heads and the rest of a
        // progressive run by this at most.
        paintWaitMs: 400,
        // The webview inflates them (webview/inboundQueue.ts); HeadEncoding says why.
        headEncoding: 'deflate-raw',
        withProgress: (work) =>
          Promise.resolve(
            vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Attention Lens: analysing') }, work),
          ),
      },
      (slot, source, documentOffset, result) => {
        if (slot === 0) this.attachOverlay(source, documentOffset, result.tokens);
      },
    );
    this.overlay = new EditorOverlay((tokenIndex) => this.focusFromEditor(tokenIndex));
    this.predictions = new PanelPredictions(this.session, this.session.runtime());
    this.handlers = webviewHandlers(
      this.session,
      {
        ready: () => this.onReady(),
        showFocus: (tokenIndex, weights) => this.overlay.show(tokenIndex, weights),
        export: (m) => this.exportFromWebview(m.format, m.payload, m.suggestedName),
        log: (m) => (m.level === 'error' ? deps.log.error(`webview: ${m.message}`) : deps.log.info(`webview: ${m.message}`)),
        insertText: (uri, offset, text) => this.insertText(uri, offset, text),
      },
      this.predictions,
    );
    this.overlay.setEnabled(deps.settings().editorOverlay);
    // The worker thread and onnxruntime load while the webview loads, not after the first command.
    deps.inference.warm?.();
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'icon.svg');
    panel.webview.options = AttentionPanel.webviewOptions(deps.extensionUri);
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) deps.onFocus(this);
      }),
    );
    if (restored) {
      this.session.view = { layer: restored.layer ?? 0, head: restored.head ?? 0 };
      if (restored.modelId) this.session.choose(0, { modelId: restored.modelId, mask: restored.mask ?? 'default' });
      if (restored.source) {
        const s = restored.source;
        // The document may have changed while the window reloaded; the panel shows the text it had, and the
        // overlay only attaches if the document still holds that text at that place.
        void this.session.analyze(0, { uri: s.uri, version: -1, text: s.text, startOffset: s.startOffset, label: s.label });
      }
    }
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  sourceOf(slot: Slot): TextSource | undefined {
    return this.session.sourceOf(slot);
  }

  /** See AnalysisSession.supersedePending; a new selection also stops a running continuation. */
  supersedePending(): void {
    this.predictions.cancel();
    this.session.supersedePending();
  }

  /**
   * "Continue Text with the Causal Model": analyses `source` with the causal model, then generates after it, one
   * token at a time into the panel. Nothing is written to the document (see insertGenerated).
   */
  async continueText(source: TextSource, modelId: string, options: Omit<GenerateMessage, 'type'>): Promise<void> {
    this.predictions.cancel();
    this.session.choose(0, { modelId, mask: 'default' });
    await this.analyzeSource(source, 'single');
    await this.predictions.generate({ type: 'generate', ...options });
  }

  /** "Translate Selection": slot 0 shows `source` through the translation model `modelId`, written step by step. */
  async translateSource(source: TextSource, modelId: string): Promise<void> {
    this.predictions.cancel();
    this.session.choose(0, { modelId, mask: 'default' });
    await this.analyzeSource(source, 'single');
  }

  /** Escape while a continuation runs (the `attentionLens.generating` context). */
  stopGeneration(): void {
    this.predictions.cancel();
  }

  /** Inserts the last continuation at the end of its selection: the only place the extension writes text. */
  async insertGenerated(): Promise<void> {
    const g = this.predictions.generatedText();
    if (!g) throw new Error(vscode.l10n.t('Nothing generated yet: continue a text first.'));
    await this.insertText(g.uri, g.insertAt, g.text);
  }

  private async insertText(uri: string, offset: number, text: string): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri) ?? (await vscode.workspace.openTextDocument(vscode.Uri.parse(uri)));
    if (offset > doc.getText().length) throw new Error(vscode.l10n.t('The document changed: the end of the selection is gone.'));
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, doc.positionAt(offset), text);
    await vscode.workspace.applyEdit(edit);
  }

  /** Whether the panel shows, or is computing, exactly this source (see AnalysisSession.covers). */
  covers(source: TextSource): boolean {
    return this.session.covers(source);
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  private html(): string {
    const webview = this.panel.webview;
    const dist = vscode.Uri.joinPath(this.deps.extensionUri, 'dist');
    return renderWebviewHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
      lang: vscode.env.language,
      title: vscode.l10n.t('Attention Lens'),
    });
  }

  private post(message: HostToWebview): void {
    if (this.disposed) return;
    // Escape stops a continuation from the editor too (package.json keybinding, when attentionLens.generating).
    if (message.type === 'generationState') void vscode.commands.executeCommand('setContext', 'attentionLens.generating', message.state === 'running');
    if (!this.ready) {
      // Before the handshake, keep only what a fresh page needs: a new analysisStart on a slot supersedes
      // everything queued for that slot.
      if (message.type === 'analysisStart') {
        this.backlog = this.backlog.filter((m) => !('slot' in m) || m.slot !== message.slot);
      }
      this.backlog.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (!isWebviewToHost(raw)) {
      this.deps.log.warn('Ignored a malformed message from the webview');
      return;
    }
    try {
      await dispatch(this.handlers, raw);
    } catch (e) {
      this.deps.log.error(e as Error);
      void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: {0}', (e as Error).message));
    }
  }

  private async onReady(): Promise<void> {
    const { models, problems } = await this.deps.registry().list();
    for (const p of problems) this.deps.log.error(`Model folder ${p.folder}: ${p.error.message}`);
    const init: HostToWebview = {
      type: 'init',
      protocolVersion: PROTOCOL_VERSION,
      models: models.map(toModelInfo),
      host: 'vscode',
      strings: this.webviewStrings(),
    };
    const reloaded = this.ready;
    this.ready = true;
    void this.panel.webview.postMessage(init);
    const backlog = this.backlog;
    this.backlog = [];
    for (const m of backlog) void this.panel.webview.postMessage(m);
    // A second `ready` means the page was reloaded and lost what it had: show the current texts again.
    if (reloaded) await this.session.rerunAll();
  }

  /**
   * The webview localises with the same l10n bundle VS Code loaded for the host (l10n/bundle.l10n.<locale>.json;
   * undefined in English), handed to `@vscode/l10n` there: one set of translation files for the whole extension.
   */
  private webviewStrings(): Record<string, string> {
    return vscode.l10n.bundle ?? {};
  }

  /** See AnalysisSession.analyzeSource; a new analysis removes the old overlay at once. */
  async analyzeSource(source: TextSource, mode?: 'single' | { left: SlotChoice; right: SlotChoice }): Promise<void> {
    this.overlay.setSource(undefined);
    await this.session.analyzeSource(source, mode);
  }

  private attachOverlay(source: TextSource, documentOffset: number, tokens: TokenInfo[]): void {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === source.uri);
    if (!doc) return;
    // After a reload the stored text is only trusted if the document still holds it at the same place.
    const version = source.version >= 0 ? source.version : doc.version;
    if (doc.version !== version) return;
    const end = doc.positionAt(source.startOffset + source.text.length);
    if (doc.getText(new vscode.Range(doc.positionAt(source.startOffset), end)) !== source.text) return;
    this.overlay.setSource({ uri: source.uri, version, documentOffset, tokens });
  }

  private focusFromEditor(tokenIndex: number): void {
    const generation = this.session.streamer.currentGeneration(0);
    if (generation !== undefined) this.post({ type: 'focusFromEditor', generation, tokenIndex });
  }

  clearOverlay(): void {
    this.overlay.show(null, null);
  }

  /** Slot 0 analyses with `modelId` from now on; its current text, if any, is analysed again with it. */
  async useModel(modelId: string): Promise<void> {
    await this.session.changeModel(0, { modelId, mask: 'default' });
  }

  /** The registry changed (a model folder was opened, the models path changed): the webview's model list follows. */
  async modelsChanged(): Promise<void> {
    if (!this.ready) return; // `init` will carry the new list
    const { models } = await this.deps.registry().list();
    this.post({ type: 'models', models: models.map(toModelInfo) });
  }

  settingsChanged(): void {
    this.overlay.setEnabled(this.deps.settings().editorOverlay);
  }

  private async exportFromWebview(format: string, payload: string | undefined, suggestedName: string): Promise<void> {
    if (format === 'json') return this.exportData();
    if (format === 'html') return this.exportHtml();
    if (payload === undefined) throw new Error(`The ${format} export arrived without data.`);
    const bytes = format === 'png' ? Buffer.from(payload, 'base64') : Buffer.from(payload, 'utf8');
    await this.saveFile(bytes, suggestedName, format.toUpperCase(), [format]);
  }

  async exportData(): Promise<void> {
    const results = this.session.currentResults();
    if (results.length === 0) throw new Error(vscode.l10n.t('Nothing to export yet: analyse a selection first.'));
    const data = results.length === 1 ? analysisToJson(results[0]) : { compare: results.map((r) => analysisToJson(r)) };
    await this.saveFile(Buffer.from(JSON.stringify(data)), 'attention.json', 'JSON', ['json']);
  }

  async exportHtml(): Promise<void> {
    const results = this.session.currentResults();
    if (results.length === 0) throw new Error(vscode.l10n.t('Nothing to export yet: analyse a selection first.'));
    // The page is built over several turns (formulas, predictions): the results stay with us until it is done.
    const releases = results.map((r) => this.session.streamer.hold(r));
    let html: string;
    try {
      html = await buildStandaloneHtml(results, {
        distDir: vscode.Uri.joinPath(this.deps.extensionUri, 'dist').fsPath,
        sourceLabel: this.session.sourceOf(0)?.label,
        strings: this.webviewStrings(),
        lang: vscode.env.language,
        tokenizer: (m) => this.deps.registry().textTokenizer(m),
      });
    } finally {
      for (const release of releases) release();
    }
    await this.saveFile(Buffer.from(html), 'attention.html', 'HTML', ['html']);
  }

  private async saveFile(bytes: Uint8Array, name: string, label: string, extensions: string[]): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: { [label]: extensions },
      saveLabel: vscode.l10n.t('Export'),
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, bytes);
    this.deps.log.info(`Exported ${label} to ${target.toString()}`);
    void vscode.window.showInformationMessage(vscode.l10n.t('Attention Lens: saved {0}', target.fsPath));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.overlay.dispose();
    this.predictions.cancel();
    this.session.dispose();
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
    this.deps.onDispose(this);
  }
}
