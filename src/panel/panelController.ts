/**
 * One Attention Lens panel: owns its webview, the text it analyses (per slot), the model/mask chosen per slot,
 * and the editor overlay for its source document. Streaming and staleness live in AnalysisStreamer; this class
 * is the VS Code glue around it.
 */
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  isWebviewToHost,
  PROTOCOL_VERSION,
  type HostToWebview,
  type MaskKind,
  type PanelState,
  type Slot,
  type TokenInfo,
  type WebviewToHost,
} from '../protocol/messages';
import { AnalysisStreamer } from './analysisStreamer';
import { makeNonce, renderWebviewHtml } from './panelHtml';
import { analyzeWindow, InputError } from '../pipeline/analyze';
import { CancelledError, tokenizeInSlices, TooManyTokensError } from '../pipeline/windows';
import type { Token } from '../tokenizer/byteLevelBpe';
import { LatestOnlyRunner } from '../pipeline/latestOnly';
import { toModelInfo, type ModelManifest } from '../model/modelManifest';
import type { ModelRegistry } from '../model/modelRegistry';
import { EditorOverlay } from '../editor/editorOverlay';
import { analysisToJson, buildStandaloneHtml } from '../export/standalonePage';
import type { Settings } from '../settings';

export const PANEL_VIEW_TYPE = 'attentionLens.panel';

/** What a slot analyses: a piece of a document. */
export interface TextSource {
  uri: string;
  version: number;
  text: string;
  /** UTF-16 offset of `text` in the document. */
  startOffset: number;
  label: string;
}

interface SlotChoice {
  modelId: string;
  mask: MaskKind | 'default';
}

export interface PanelDeps {
  extensionUri: vscode.Uri;
  registry: ModelRegistry;
  log: vscode.LogOutputChannel;
  settings: () => Settings;
  onDispose: (panel: AttentionPanel) => void;
  onFocus: (panel: AttentionPanel) => void;
}

export class AttentionPanel implements vscode.Disposable {
  private readonly streamer: AnalysisStreamer;
  private readonly runners = new Map<Slot, LatestOnlyRunner>();
  private ready = false;
  /** Messages posted before the webview said `ready` (only the latest analysis is kept, see post()). */
  private backlog: HostToWebview[] = [];
  private readonly sources = new Map<Slot, TextSource>();
  private readonly tokenCache = new Map<Slot, { source: TextSource; tokenizerPath: string; limit: number; tokens: Token[] }>();
  private readonly choices = new Map<Slot, SlotChoice>();
  private view = { layer: 0, head: 0 };
  private compareMode = false;
  private readonly overlay: EditorOverlay;
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
    this.streamer = new AnalysisStreamer((m) => this.post(m));
    this.overlay = new EditorOverlay((tokenIndex) => this.focusFromEditor(tokenIndex));
    this.overlay.setEnabled(deps.settings().editorOverlay);
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
      this.view = { layer: restored.layer ?? 0, head: restored.head ?? 0 };
      if (restored.modelId) this.choices.set(0, { modelId: restored.modelId, mask: restored.mask ?? 'default' });
      if (restored.source) {
        const s = restored.source;
        // The document may have changed while the window reloaded; the panel shows the text it had, and the
        // overlay only attaches if the document still holds that text at that place.
        void this.analyze(0, { uri: s.uri, version: -1, text: s.text, startOffset: s.startOffset, label: s.label });
      }
    }
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  get hasAnalysis(): boolean {
    return this.sources.size > 0;
  }

  sourceOf(slot: Slot): TextSource | undefined {
    return this.sources.get(slot);
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
    const message: WebviewToHost = raw;
    try {
      if (this.streamer.handle(message)) return;
      switch (message.type) {
        case 'ready':
          await this.onReady();
          return;
        case 'changeModel':
          this.choices.set(message.slot, { modelId: message.modelId, mask: message.mask });
          if (this.sources.has(message.slot)) await this.analyze(message.slot, this.sources.get(message.slot) as TextSource);
          return;
        case 'focusToken':
          if (message.slot === 0 && this.streamer.isCurrent(0, message.generation)) {
            this.view = { layer: message.layer, head: message.head };
            this.overlay.show(message.tokenIndex, message.weights);
          }
          return;
        case 'changeWindow':
          await this.changeWindow(message.windowIndex);
          return;
        case 'export':
          await this.exportFromWebview(message.format, message.payload, message.suggestedName);
          return;
        case 'log':
          if (message.level === 'error') this.deps.log.error(`webview: ${message.message}`);
          else this.deps.log.info(`webview: ${message.message}`);
          return;
      }
    } catch (e) {
      this.deps.log.error(e as Error);
      void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: {0}', (e as Error).message));
    }
  }

  private async onReady(): Promise<void> {
    const { models, problems } = await this.deps.registry.list();
    for (const p of problems) this.deps.log.error(`Model folder ${p.folder}: ${p.error.message}`);
    const init: HostToWebview = {
      type: 'init',
      protocolVersion: PROTOCOL_VERSION,
      models: models.map(toModelInfo),
      host: 'vscode',
      strings: await this.webviewStrings(),
    };
    this.ready = true;
    void this.panel.webview.postMessage(init);
    const backlog = this.backlog;
    this.backlog = [];
    for (const m of backlog) void this.panel.webview.postMessage(m);
  }

  private async webviewStrings(): Promise<Record<string, string>> {
    const lang = vscode.env.language.toLowerCase();
    if (lang === 'en' || lang.startsWith('en-')) return {};
    const file = path.join(this.deps.extensionUri.fsPath, 'webview', 'l10n', `strings.${lang}.json`);
    try {
      return JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  setCompareMode(on: boolean): void {
    this.compareMode = on;
    if (!on) {
      this.streamer.clear(1);
      this.sources.delete(1);
    }
  }

  /**
   * Sets what slot 0 (and slot 1 in compare mode) analyse and runs them. `mode` switches between a single view
   * and compare mode; left out, the panel keeps its mode (e.g. a followed selection in compare mode).
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

  private choiceFor(slot: Slot): SlotChoice {
    let c = this.choices.get(slot);
    if (!c) {
      c = { modelId: this.deps.settings().defaultModel, mask: 'default' };
      this.choices.set(slot, c);
    }
    return c;
  }

  /**
   * Latest wins: a new call on a slot makes any earlier one on that slot stale before it can be shown.
   * Long selections are tokenized in slices (the host never blocks long) and analysed one window at a time.
   */
  async analyze(slot: Slot, source: TextSource, windowIndex = 0): Promise<void> {
    this.sources.set(slot, source);
    if (slot === 0) this.overlay.setSource(undefined);
    const generation = this.streamer.begin(slot);
    let runner = this.runners.get(slot);
    if (!runner) {
      runner = new LatestOnlyRunner();
      this.runners.set(slot, runner);
    }
    const choice = this.choiceFor(slot);
    const settings = this.deps.settings();
    const isStale = (): boolean => !this.streamer.isCurrent(slot, generation) || this.disposed;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Attention Lens: analysing') },
        () =>
          runner.run(async () => {
            if (isStale()) return;
            const manifest = await this.deps.registry.get(choice.modelId);
            const tokens = await this.tokensFor(slot, source, manifest, settings.maxTokens, isStale);
            if (isStale()) return;
            const { result, offset, window } = await analyzeWindow(manifest, source.text, tokens, windowIndex, choice.mask);
            if (isStale()) return;
            const documentOffset = source.startOffset + offset;
            if (slot === 0) this.attachOverlay(source, documentOffset, result.tokens);
            await this.streamer.show(slot, generation, result, {
              documentOffset,
              sourceLabel: source.label,
              sourceUri: source.uri,
              window,
              firstHead: this.view,
            });
          }),
      );
    } catch (e) {
      const err = e as Error;
      if (err instanceof CancelledError) return;
      const expected = err instanceof InputError || err instanceof TooManyTokensError;
      if (!expected) this.deps.log.error(`Analysis failed (${choice.modelId}): ${err.stack ?? err.message}`);
      this.streamer.fail(slot, generation, err, expected ? undefined : err.stack);
    }
  }

  /** Tokens of the whole source for this model's tokenizer, cached so moving between windows is instant. */
  private async tokensFor(
    slot: Slot,
    source: TextSource,
    manifest: ModelManifest,
    limit: number,
    isStale: () => boolean,
  ): Promise<Token[]> {
    const cached = this.tokenCache.get(slot);
    if (cached && cached.source === source && cached.tokenizerPath === manifest.tokenizerPath && cached.limit === limit) {
      return cached.tokens;
    }
    if (source.text.length === 0) throw new InputError(vscode.l10n.t('The selection is empty: select some text first.'));
    const tokenizer = await this.deps.registry.tokenizer(manifest);
    const tokens = await tokenizeInSlices(tokenizer, source.text, limit, isStale);
    if (tokens.length === 0) throw new InputError(vscode.l10n.t('The selection has no tokens to analyse.'));
    this.tokenCache.set(slot, { source, tokenizerPath: manifest.tokenizerPath, limit, tokens });
    return tokens;
  }

  /** Shows another window of the current long selection (both slots in compare mode). */
  async changeWindow(windowIndex: number): Promise<void> {
    const slots: Slot[] = this.compareMode ? [0, 1] : [0];
    await Promise.all(
      slots.map((slot) => {
        const source = this.sources.get(slot);
        return source ? this.analyze(slot, source, windowIndex) : undefined;
      }),
    );
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
    const generation = this.streamer.currentGeneration(0);
    if (generation !== undefined) this.post({ type: 'focusFromEditor', generation, tokenIndex });
  }

  clearOverlay(): void {
    this.overlay.show(null, null);
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
    const results = ([0, 1] as Slot[]).map((s) => this.streamer.currentResult(s)).filter((r) => r !== undefined);
    if (results.length === 0) throw new Error(vscode.l10n.t('Nothing to export yet: analyse a selection first.'));
    const data = results.length === 1 ? analysisToJson(results[0]) : { compare: results.map(analysisToJson) };
    await this.saveFile(Buffer.from(JSON.stringify(data)), 'attention.json', 'JSON', ['json']);
  }

  async exportHtml(): Promise<void> {
    const results = ([0, 1] as Slot[]).map((s) => this.streamer.currentResult(s)).filter((r) => r !== undefined);
    if (results.length === 0) throw new Error(vscode.l10n.t('Nothing to export yet: analyse a selection first.'));
    const html = await buildStandaloneHtml(results, {
      distDir: vscode.Uri.joinPath(this.deps.extensionUri, 'dist').fsPath,
      sourceLabel: this.sources.get(0)?.label,
      strings: await this.webviewStrings(),
      lang: vscode.env.language,
    });
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
    this.streamer.clear(0);
    this.streamer.clear(1);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
    this.deps.onDispose(this);
  }
}
