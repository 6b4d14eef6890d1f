/**
 * Reads the extension's settings in one place. A models path set in workspace settings is honoured only in a
 * trusted workspace; the reason is logged and shown once.
 */
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { DEFAULT_MODEL_ID } from './model/modelRegistry';

/**
 * In Restricted Mode VS Code hides the workspace value of a restricted setting (package.json
 * `capabilities.untrustedWorkspaces.restrictedConfigurations`) from `inspect()` too, so the extension cannot see
 * that a models path was set — and could not say why it is ignored. Read it from the workspace's settings files
 * (only to name it in the message; it is never used).
 */
function rawWorkspaceModelsPath(): string | undefined {
  const files = (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, '.vscode', 'settings.json'));
  const wsFile = vscode.workspace.workspaceFile;
  if (wsFile?.scheme === 'file') files.push(wsFile);
  for (const uri of files) {
    if (uri.scheme !== 'file') continue;
    try {
      const m = /"attentionLens\.modelsPath"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(readFileSync(uri.fsPath, 'utf8'));
      if (m && m[1].trim()) return m[1];
    } catch {
      /* no settings file */
    }
  }
  return undefined;
}

export interface Settings {
  defaultModel: string;
  /** Extra models folder, already filtered by workspace trust; undefined when none applies. */
  modelsPath: string | undefined;
  /** Set when a workspace-level models path was ignored because the workspace is untrusted. */
  ignoredUntrustedModelsPath: string | undefined;
  editorOverlay: boolean;
  followSelection: boolean;
  /** How long (ms) a new selection must stay unchanged before the panel follows it. */
  followSelectionDelayMs: number;
  maxTokens: number;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('attentionLens');
  const inspected = c.inspect<string>('modelsPath');
  const workspaceValue = inspected?.workspaceFolderValue || inspected?.workspaceValue || undefined;
  const userValue = inspected?.globalValue || undefined;
  let modelsPath: string | undefined = userValue;
  let ignored: string | undefined;
  if (workspaceValue) {
    if (vscode.workspace.isTrusted) modelsPath = workspaceValue;
    else ignored = workspaceValue;
  } else if (!vscode.workspace.isTrusted) {
    ignored = rawWorkspaceModelsPath();
  }
  // A workspace-level default model may name a model from the ignored folder: then only the user's choice counts.
  const model = c.inspect<string>('defaultModel');
  const defaultModel = ignored ? model?.globalValue : c.get<string>('defaultModel');
  return {
    defaultModel: defaultModel || DEFAULT_MODEL_ID,
    modelsPath: modelsPath?.trim() || undefined,
    ignoredUntrustedModelsPath: ignored,
    editorOverlay: c.get<boolean>('editorOverlay') ?? true,
    followSelection: c.get<boolean>('followSelection') ?? true,
    followSelectionDelayMs: Math.min(5000, Math.max(0, c.get<number>('followSelectionDelay') ?? 350)),
    maxTokens: Math.max(1, c.get<number>('maxTokens') ?? 4096),
  };
}
