/**
 * The model folders a person opened with "Attention Lens: Open Model Folder…", and the ONNX variant chosen for each
 * (`model.onnx`, `model_fp16.onnx`, …). Kept in the extension's global state — never in the folder itself, which may
 * be read-only or someone else's — so the folders come back in every window and after a restart.
 */
import type * as vscode from 'vscode';

export interface OpenedModelFolder {
  /** Absolute path of the folder. */
  folder: string;
  /** Path of the chosen ONNX file relative to the folder; undefined when the folder has only one. */
  variant?: string;
}

const KEY = 'attentionLens.openedModelFolders';

function isOpened(v: unknown): v is OpenedModelFolder {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.folder === 'string' && (o.variant === undefined || typeof o.variant === 'string');
}

export class OpenedModelFolders {
  constructor(private readonly state: vscode.Memento) {}

  list(): OpenedModelFolder[] {
    const raw = this.state.get<unknown>(KEY);
    // The state is ours, but a downgrade or a hand-edited storage file must not break activation.
    return Array.isArray(raw) ? raw.filter(isOpened) : [];
  }

  /** Adds the folder, or changes its variant; the most recently opened comes first. */
  async add(entry: OpenedModelFolder): Promise<void> {
    const rest = this.list().filter((e) => e.folder !== entry.folder);
    await this.state.update(KEY, [entry, ...rest]);
  }

  async remove(folder: string): Promise<void> {
    await this.state.update(
      KEY,
      this.list().filter((e) => e.folder !== folder),
    );
  }

  /** Puts back a list read earlier with list() (a folder that failed to open is not kept). */
  async restore(entries: OpenedModelFolder[]): Promise<void> {
    await this.state.update(KEY, entries);
  }

  variantOf(folder: string): string | undefined {
    return this.list().find((e) => e.folder === folder)?.variant;
  }
}
