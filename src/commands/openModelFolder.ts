/**
 * "Attention Lens: Open Model Folder…": a person picks a folder holding an ordinary Hugging Face ONNX export
 * (config.json, tokenizer.json, onnx/model*.onnx) or a folder of our own contract (model.json), picks one ONNX
 * variant when there are several, and the model joins the picker. The folder is only read: the rewritten graph goes
 * to the extension's storage (see src/hfModel/), and the choice is remembered in global state (OpenedModelFolders).
 */
import * as vscode from 'vscode';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { inspectHfFolder } from '../hfModel/hfFolder';
import type { ModelManifest } from '../model/modelManifest';
import type { ModelRegistry } from '../model/modelRegistry';
import type { OpenedModelFolders } from './openedModelFolders';

/** Size in MB for the variant picker, so a person sees which file is the small one. */
async function sizeLabel(file: string): Promise<string> {
  try {
    return `${((await stat(file)).size / 1e6).toFixed(1)} MB`;
  } catch {
    return '';
  }
}

export interface OpenModelFolderDeps {
  opened: OpenedModelFolders;
  /** Makes a new registry that includes the opened folders, and returns it. */
  rebuildRegistry: () => ModelRegistry;
}

/**
 * Asks for a folder and a variant; returns the model as the new registry lists it, or undefined if the person
 * cancelled. A folder that fails validation is not remembered, and the error names the file and what was wrong.
 */
export async function openModelFolder(deps: OpenModelFolderDeps, given?: vscode.Uri): Promise<ModelManifest | undefined> {
  const uri =
    given ??
    (
      await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        openLabel: vscode.l10n.t('Open Model Folder'),
        title: vscode.l10n.t('A folder with config.json, tokenizer.json and onnx/model.onnx (or model.json)'),
      })
    )?.[0];
  if (!uri) return undefined;
  const folder = uri.fsPath;
  // A folder of our own contract (model.json) has one graph; a Hugging Face folder may offer several files.
  const isContract = await access(path.join(folder, 'model.json')).then(
    () => true,
    () => false,
  );
  let variant: string | undefined;
  if (!isContract) {
    const variants = (await inspectHfFolder(folder)).variants;
    if (variants.length > 1) {
      const previous = deps.opened.variantOf(folder);
      const items = await Promise.all(
        variants.map(async (v) => ({
          label: v.name,
          description: [await sizeLabel(v.path), v.name === previous ? vscode.l10n.t('last used') : ''].filter(Boolean).join(' · '),
        })),
      );
      // The remembered variant first (Enter keeps it); otherwise the folder's order, model.onnx first.
      items.sort((a, b) => Number(b.label === previous) - Number(a.label === previous));
      const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Which ONNX file of {0}?', path.basename(folder)) });
      if (!picked) return undefined;
      variant = picked.label;
    }
  }
  const before = deps.opened.list();
  await deps.opened.add({ folder, variant });
  const registry = deps.rebuildRegistry();
  const { models, problems } = await registry.list();
  const model = models.find((m) => path.resolve(m.folder) === path.resolve(folder));
  if (model) return model;
  // Not usable: forget it again so it does not come back broken on every start.
  const problem = problems.find((p) => path.resolve(p.folder) === path.resolve(folder));
  await deps.opened.restore(before);
  deps.rebuildRegistry();
  throw problem?.error ?? new Error(vscode.l10n.t('{0} is not a model folder Attention Lens can open.', folder));
}
