/**
 * Draws the focused token's attention over the analysed text in the editor (for writers), and reports cursor
 * moves inside the analysed range back as token focus.
 *
 * Decoration types are created once (one per weight bucket, colours are ThemeColors declared in
 * contributes.colors). Overlays are removed at once when the document changes, the panel closes, or the
 * analysis is replaced: an overlay never outlives the text it was computed for.
 */
import * as vscode from 'vscode';
import type { TokenInfo } from '../protocol/messages';
import { tokenAtOffset } from '../tokenizer/tokenAtOffset';

/** Upper bounds of the weight buckets; a token below the first bound is not drawn. */
const BUCKET_BOUNDS = [0.05, 0.15, 0.3, 0.5, Infinity];
const MIN_DRAWN_WEIGHT = 0.01;

export interface OverlaySource {
  uri: string;
  /** Document version the analysis was computed on. */
  version: number;
  /** UTF-16 offset of the analysed text in the document. */
  documentOffset: number;
  tokens: TokenInfo[];
}

export function bucketOf(weight: number): number {
  return BUCKET_BOUNDS.findIndex((b) => weight < b);
}

export class EditorOverlay implements vscode.Disposable {
  private readonly weightTypes: vscode.TextEditorDecorationType[];
  private readonly focusType: vscode.TextEditorDecorationType;
  private source: OverlaySource | undefined;
  private lastFocus: { tokenIndex: number; weights: readonly number[] } | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private enabled = true;

  constructor(private readonly onCursorToken: (tokenIndex: number) => void) {
    this.weightTypes = [1, 2, 3, 4, 5].map((i) =>
      vscode.window.createTextEditorDecorationType({
        backgroundColor: new vscode.ThemeColor(`attentionLens.weight${i}`),
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    );
    this.focusType = vscode.window.createTextEditorDecorationType({
      borderWidth: '1px',
      borderStyle: 'solid',
      borderColor: new vscode.ThemeColor('attentionLens.focusedTokenBorder'),
      borderRadius: '2px',
    });
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        // Any edit of the analysed document makes the overlay stale: remove it now, not after a debounce.
        if (this.source && e.document.uri.toString() === this.source.uri && e.contentChanges.length > 0) this.clear();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (this.source && d.uri.toString() === this.source.uri) this.clear();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => this.onSelection(e)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.redraw()),
    );
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) this.clearDecorations();
    else this.redraw();
  }

  /** A new analysis is shown: forget the old focus and drawings. */
  setSource(source: OverlaySource | undefined): void {
    this.clear();
    this.source = source;
  }

  /** Draws `weights` (one per token) with `tokenIndex` outlined; `null` removes the drawing. */
  show(tokenIndex: number | null, weights: readonly number[] | null): void {
    if (tokenIndex === null || weights === null || !this.source) {
      this.lastFocus = undefined;
      this.clearDecorations();
      return;
    }
    this.lastFocus = { tokenIndex, weights };
    this.redraw();
  }

  /** Removes every decoration and the source: called on edits, panel close, dispose. */
  clear(): void {
    this.source = undefined;
    this.lastFocus = undefined;
    this.clearDecorations();
  }

  private editorsForSource(): vscode.TextEditor[] {
    const src = this.source;
    if (!src) return [];
    return vscode.window.visibleTextEditors.filter((ed) => ed.document.uri.toString() === src.uri);
  }

  private clearDecorations(): void {
    for (const ed of vscode.window.visibleTextEditors) {
      for (const t of this.weightTypes) ed.setDecorations(t, []);
      ed.setDecorations(this.focusType, []);
    }
  }

  private redraw(): void {
    const src = this.source;
    const focus = this.lastFocus;
    if (!this.enabled || !src || !focus) return;
    for (const ed of this.editorsForSource()) {
      if (ed.document.version !== src.version) {
        this.clear();
        return;
      }
      const buckets: vscode.Range[][] = this.weightTypes.map(() => []);
      const rangeOf = (t: TokenInfo): vscode.Range =>
        new vscode.Range(ed.document.positionAt(src.documentOffset + t.start), ed.document.positionAt(src.documentOffset + t.end));
      src.tokens.forEach((t, i) => {
        const w = focus.weights[i] ?? 0;
        if (w < MIN_DRAWN_WEIGHT) return;
        buckets[bucketOf(w)].push(rangeOf(t));
      });
      this.weightTypes.forEach((type, b) => ed.setDecorations(type, buckets[b]));
      const focused = src.tokens[focus.tokenIndex];
      ed.setDecorations(this.focusType, focused ? [rangeOf(focused)] : []);
    }
  }

  private onSelection(e: vscode.TextEditorSelectionChangeEvent): void {
    const src = this.source;
    if (!src || e.textEditor.document.uri.toString() !== src.uri || e.textEditor.document.version !== src.version) return;
    const sel = e.selections[0];
    if (!sel || !sel.isEmpty) return;
    const offset = e.textEditor.document.offsetAt(sel.active) - src.documentOffset;
    const index = tokenAtOffset(src.tokens, offset);
    if (index >= 0) this.onCursorToken(index);
  }

  dispose(): void {
    this.clear();
    for (const d of this.disposables) d.dispose();
    for (const t of this.weightTypes) t.dispose();
    this.focusType.dispose();
  }
}
