/**
 * Reads the extension's settings in one place. A models path set in workspace settings is honoured only in a
 * trusted workspace; the reason is logged and shown once.
 */
import * as vscode from 'vscode';
import { DEFAULT_MODEL_ID } from './model/modelRegistry';

export interface Settings {
  defaultModel: string;
  /** Extra models folder, already filtered by workspace trust; undefined when none applies. */
  modelsPath: string | undefined;
  /** Set when a workspace-level models path was ignored because the workspace is untrusted. */
  ignoredUntrustedModelsPath: string | undefined;
  editorOverlay: boolean;
  followSelection: boolean;
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
  }
  return {
    defaultModel: c.get<string>('defaultModel') || DEFAULT_MODEL_ID,
    modelsPath: modelsPath?.trim() || undefined,
    ignoredUntrustedModelsPath: ignored,
    editorOverlay: c.get<boolean>('editorOverlay') ?? true,
    followSelection: c.get<boolean>('followSelection') ?? true,
    maxTokens: Math.max(1, c.get<number>('maxTokens') ?? 4096),
  };
}
