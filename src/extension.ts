/**
 * Activation: what VS Code loads and runs when the extension activates, kept small on purpose.
 *
 * VS Code's activation time ("Developer: Show Running Extensions") is the time to load this module plus activate().
 * Loading the whole extension here cost ~30 ms of module loading (a 400 KB bundle: panels, analysis sessions, the
 * model registry, tokenizers, export, formula and translation code). So this bundle (dist/extension.js) holds only
 * the registrations VS Code needs at activation — a handler for every contributed command, the panel serializer,
 * the settings/trust/selection listeners — and the rest is a second bundle,
 * dist/extensionMain.js (src/extensionMain.ts), required the first time a command or a panel restore needs it.
 * That moves its load to the first command (measured in bench/activation.ts; see bench/README.md), it does not
 * remove it. Until then no panel exists, so the listeners have nothing to do.
 */
import * as vscode from 'vscode';
import path from 'node:path';
import { COMMAND_IDS, RESTORED_PANEL_VIEW_TYPE } from './activationContributions';
// Types only: erased by esbuild, so this import does not put extensionMain's code into this bundle.
import type { ExtensionMain } from './extensionMain';

/** The lazily loaded bundle, beside this one in dist/ (scripts/build.mjs builds both; .vscodeignore packs both). */
const MAIN_BUNDLE = path.join(__dirname, 'extensionMain.js');

class LazyExtension implements vscode.Disposable {
  private loaded: ExtensionMain | undefined;
  private logChannel: vscode.LogOutputChannel | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {}

  /** The output channel, made on first use too (with the first command, or to log a failed load). */
  private get log(): vscode.LogOutputChannel {
    return (this.logChannel ??= vscode.window.createOutputChannel('Attention Lens', { log: true }));
  }

  /** The extension's working part, loaded (synchronously, once) on first use. */
  private main(): ExtensionMain {
    if (!this.loaded) {
      // A runtime require of a path esbuild leaves alone, so dist/extensionMain.js stays a separate file.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(MAIN_BUNDLE) as typeof import('./extensionMain');
      this.loaded = new mod.ExtensionMain(this.context, this.log);
    }
    return this.loaded;
  }

  register(): void {
    const c = this.context;
    for (const id of COMMAND_IDS) {
      c.subscriptions.push(
        vscode.commands.registerCommand(id, async () => {
          try {
            await this.main().commands[id]();
          } catch (e) {
            this.log.error(e as Error);
            void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: {0}', (e as Error).message));
          }
        }),
      );
    }
    c.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(RESTORED_PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => this.main().restorePanel(panel, state),
      }),
      // Before the first command nothing is loaded: the settings are read when it loads, and there is no panel to
      // update or follow, so these only pass events on to a loaded extension.
      vscode.workspace.onDidChangeConfiguration((e) => this.loaded?.configurationChanged(e)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.loaded?.workspaceTrustGranted()),
      vscode.window.onDidChangeTextEditorSelection((e) => this.loaded?.onSelectionChanged(e)),
      this,
    );
  }

  dispose(): void {
    this.loaded?.dispose();
    this.logChannel?.dispose();
  }
}

export function activate(context: vscode.ExtensionContext): void {
  new LazyExtension(context).register();
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
