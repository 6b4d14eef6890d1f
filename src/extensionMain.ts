/**
 * The extension's working part, loaded on first use: the first command or panel restore requires this bundle
 * (dist/extensionMain.js) through src/extension.ts, which is all VS Code loads at activation. Everything heavy —
 * panels, analysis sessions, the model registry, tokenizers, export, formula and translation code — is imported
 * from here, so its load is paid by the first command, not by activation (VS Code's "activation time" counts the
 * activation bundle's load and activate() only). Models, tokenizers and onnxruntime-node are still loaded later
 * again, on first use.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import type { CommandId } from './activationContributions';
import { openModelFolder } from './commands/openModelFolder';
import { OpenedModelFolders } from './commands/openedModelFolders';
import { ModelRegistry } from './model/modelRegistry';
import { InferenceWorkerClient } from './model/workerClient';
import { AttentionPanel, type PanelDeps, type TextSource } from './panel/panelController';
import type { PanelState } from './protocol/messages';
import { readSettings, type Settings } from './settings';

export class ExtensionMain implements vscode.Disposable {
  private readonly panels = new Set<AttentionPanel>();
  private activePanel: AttentionPanel | undefined;
  private registry: ModelRegistry;
  private settings: Settings;
  private followTimer: NodeJS.Timeout | undefined;
  private warnedUntrusted = false;
  /** Inference leaves the extension host's thread; the worker starts on the first analysis, not at activation. */
  private readonly inference: InferenceWorkerClient;
  /** Folders opened with "Open Model Folder…" (global state: they come back in every window). */
  private readonly opened: OpenedModelFolders;

  /** `log` is the activation bundle's output channel (it also logs a failed load of this bundle). */
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.inference = new InferenceWorkerClient(path.join(context.extensionPath, 'dist', 'inferenceWorker.js'));
    this.settings = readSettings();
    this.opened = new OpenedModelFolders(context.globalState);
    this.registry = this.makeRegistry();
  }

  private makeRegistry(): ModelRegistry {
    const roots: string[] = [];
    const extra = this.settings.modelsPath;
    if (extra) {
      const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
      roots.push(path.resolve(base, extra));
    }
    roots.push(path.join(this.context.extensionPath, 'models'));
    if (this.settings.ignoredUntrustedModelsPath && !this.warnedUntrusted) {
      this.warnedUntrusted = true;
      const msg = vscode.l10n.t(
        'Attention Lens ignores the models path "{0}" from the workspace settings because this workspace is not trusted. Only the bundled models are used.',
        this.settings.ignoredUntrustedModelsPath,
      );
      this.log.warn(msg);
      void vscode.window.showWarningMessage(msg);
    }
    const opened = this.opened.list();
    return new ModelRegistry(roots, {
      extraFolders: opened.map((o) => o.folder),
      variants: Object.fromEntries(opened.flatMap((o) => (o.variant ? [[o.folder, o.variant]] : []))),
      // Rewritten graphs (attention exposed as outputs) live in our storage, never in the person's folder.
      cacheFolder: vscode.Uri.joinPath(this.context.globalStorageUri, 'graphs').fsPath,
    });
  }

  private deps(): PanelDeps {
    return {
      extensionUri: this.context.extensionUri,
      registry: () => this.registry,
      inference: this.inference,
      log: this.log,
      settings: () => this.settings,
      onDispose: (p) => {
        this.panels.delete(p);
        if (this.activePanel === p) this.activePanel = [...this.panels].pop();
        void this.updateContext();
      },
      onFocus: (p) => (this.activePanel = p),
    };
  }

  private adopt(panel: AttentionPanel): AttentionPanel {
    this.panels.add(panel);
    this.activePanel = panel;
    void this.updateContext();
    return panel;
  }

  private updateContext(): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', 'attentionLens.panelOpen', this.panels.size > 0);
  }

  /** What each contributed command does (src/extension.ts registers them at activation and calls in here). */
  readonly commands: Record<CommandId, () => unknown> = {
    'attentionLens.showSelection': () => this.showSelection({ newPanel: false }),
    'attentionLens.showSelectionInNewPanel': () => this.showSelection({ newPanel: true }),
    'attentionLens.compare': () => this.showSelection({ newPanel: false, compare: true }),
    'attentionLens.continueText': () => this.continueText(),
    'attentionLens.translateSelection': () => this.translateSelection(),
    'attentionLens.insertGenerated': () => this.requirePanel().insertGenerated(),
    'attentionLens.stopGeneration': () => {
      for (const p of this.panels) p.stopGeneration();
    },
    'attentionLens.chooseModel': () => this.chooseModel(),
    'attentionLens.openModelFolder': () => this.openModelFolder(),
    'attentionLens.exportData': () => this.requirePanel().exportData(),
    'attentionLens.exportHtml': () => this.requirePanel().exportHtml(),
    'attentionLens.clearOverlay': () => this.activePanel?.clearOverlay(),
  };

  /** The panel serializer's restore (registered at activation for PANEL_VIEW_TYPE). */
  restorePanel(panel: vscode.WebviewPanel, state: unknown): void {
    this.adopt(new AttentionPanel(panel, this.deps(), (state ?? undefined) as PanelState | undefined));
  }

  configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration('attentionLens')) return;
    this.settings = readSettings();
    if (e.affectsConfiguration('attentionLens.modelsPath')) this.rebuildRegistry();
    for (const p of this.panels) p.settingsChanged();
  }

  workspaceTrustGranted(): void {
    this.settings = readSettings();
    this.rebuildRegistry();
  }

  private rebuildRegistry(): void {
    this.registry = this.makeRegistry();
    // Panels read the registry through a getter, so their next analysis uses the new one; their model lists
    // are sent again.
    for (const p of this.panels) void p.modelsChanged();
  }

  /**
   * Opens a model folder (see src/commands/openModelFolder.ts) and shows it at once: the panel's text again with the
   * new model, or the editor's selection in a new panel.
   */
  private async openModelFolder(): Promise<void> {
    const model = await openModelFolder({
      opened: this.opened,
      rebuildRegistry: () => {
        this.rebuildRegistry();
        return this.registry;
      },
    });
    if (!model) return;
    this.log.info(`Opened model folder ${model.folder} as "${model.id}" (${model.kind}, ${model.layers}×${model.heads}${model.variant ? `, ${model.variant}` : ''})`);
    const panel = this.activePanel && !this.activePanel.isDisposed ? this.activePanel : undefined;
    if (panel?.sourceOf(0)) {
      panel.reveal();
      await panel.useModel(model.id);
      return;
    }
    const editor = vscode.window.activeTextEditor;
    const source = editor ? this.sourceFromEditor(editor) : undefined;
    if (!source) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Attention Lens: {0} ({1} layers × {2} heads) is in the model list. Select some text and show its attention.', model.displayName, model.layers, model.heads),
      );
      return;
    }
    const created = this.adopt(AttentionPanel.create(this.deps(), vscode.ViewColumn.Beside));
    await created.useModel(model.id);
    await created.analyzeSource(source, 'single');
  }

  /** The active panel, revealed, or a new one beside the editor (always new with `newPanel`). */
  private panelToShow(newPanel = false): AttentionPanel {
    const panel = newPanel ? undefined : this.activePanel;
    if (!panel || panel.isDisposed) return this.adopt(AttentionPanel.create(this.deps(), vscode.ViewColumn.Beside));
    panel.reveal();
    return panel;
  }

  private requirePanel(): AttentionPanel {
    if (!this.activePanel) throw new Error(vscode.l10n.t('No Attention Lens panel is open.'));
    return this.activePanel;
  }

  private sourceFromEditor(editor: vscode.TextEditor): TextSource | undefined {
    const sel = editor.selection;
    if (sel.isEmpty) return undefined;
    const doc = editor.document;
    return {
      uri: doc.uri.toString(),
      version: doc.version,
      text: doc.getText(sel),
      startOffset: doc.offsetAt(sel.start),
      label: path.basename(doc.uri.path) || doc.uri.toString(),
    };
  }

  private async showSelection(o: { newPanel: boolean; compare?: boolean }): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: open a file and select some text first.'));
      return;
    }
    const source = this.sourceFromEditor(editor);
    if (!source) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: select some text first.'));
      return;
    }
    const panel = this.panelToShow(o.newPanel);
    if (o.compare) {
      const { models } = await this.registry.list();
      const left = models.find((m) => m.kind === 'encoder') ?? models[0];
      const right = models.find((m) => m.kind === 'causal') ?? models[1] ?? models[0];
      if (!left || !right) throw new Error(vscode.l10n.t('Compare mode needs two models; none were found.'));
      await panel.analyzeSource(source, {
        left: { modelId: left.id, mask: 'default' },
        right: { modelId: right.id, mask: 'default' },
      });
    } else {
      await panel.analyzeSource(source, 'single');
    }
  }

  /** Generates ten tokens after the selection with the causal model, in the panel (sampled, seed 0). */
  private async continueText(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const source = editor ? this.sourceFromEditor(editor) : undefined;
    if (!source) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: select some text first.'));
      return;
    }
    const { models } = await this.registry.list();
    const causal = models.find((m) => m.kind === 'causal');
    if (!causal) throw new Error(vscode.l10n.t('No causal model is installed: only a causal model continues a text.'));
    await this.panelToShow().continueText(source, causal.id, { tokens: 10, temperature: 1, topK: 0, seed: 0 });
  }

  /**
   * Translates the selection with the bundled translation model (the first model of kind `encoder-decoder`) in the
   * active panel, or a new one; the direction follows the selection's script and can be switched in the panel.
   */
  private async translateSelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const source = editor ? this.sourceFromEditor(editor) : undefined;
    if (!source || source.text.trim().length === 0) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: select some English or Chinese text to translate first.'));
      return;
    }
    const { models } = await this.registry.list();
    const translation = models.find((m) => m.kind === 'encoder-decoder');
    if (!translation) throw new Error(vscode.l10n.t('No translation model is installed: the bundled models/translation folder is missing.'));
    await this.panelToShow().translateSource(source, translation.id);
  }

  private async chooseModel(): Promise<void> {
    const { models, problems } = await this.registry.list();
    const items: (vscode.QuickPickItem & { id?: string })[] = models.map((m) => ({
      label: m.displayName,
      description: `${m.id} · ${m.kind} · ${m.layers}×${m.heads}`,
      id: m.id,
    }));
    for (const p of problems) items.push({ label: `$(error) ${path.basename(p.folder)}`, detail: p.error.message });
    const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Model for new analyses') });
    if (!picked?.id) return;
    await vscode.workspace.getConfiguration('attentionLens').update('defaultModel', picked.id, vscode.ConfigurationTarget.Global);
  }

  /** Follows new selections in the analysed document while a panel is open (debounced, latest wins). */
  onSelectionChanged(e: vscode.TextEditorSelectionChangeEvent): void {
    if (!this.settings.followSelection) return;
    const panel = this.activePanel;
    const current = panel?.sourceOf(0);
    if (!panel || !current || e.textEditor.document.uri.toString() !== current.uri) return;
    if (e.selections[0]?.isEmpty) return; // a cursor move is a focus change, handled by the overlay
    // Latest wins from the first change on: an analysis still running for an older selection is never painted.
    panel.supersedePending();
    clearTimeout(this.followTimer);
    this.followTimer = setTimeout(() => {
      const source = this.sourceFromEditor(e.textEditor);
      if (!source || panel.isDisposed || panel.covers(source)) return;
      void panel.analyzeSource(source);
    }, this.settings.followSelectionDelayMs);
  }

  dispose(): void {
    clearTimeout(this.followTimer);
    for (const p of [...this.panels]) p.dispose();
    // Ends the worker, which holds the model sessions and the computation view's formula session.
    void this.inference.dispose();
  }
}
