/**
 * What a person is told when a translation model (kind `encoder-decoder`) is asked for what only the other kinds
 * do: the ordinary analysis, predictions, a continuation. Its graph takes a source and a target, not one token list.
 */
import type { ModelManifest } from '../model/modelManifest';

export function notForAnalysisMessage(manifest: Pick<ModelManifest, 'id' | 'displayName'>): string {
  return `Model "${manifest.id}" is a translation model: use Translate Selection (or \`attention-lens translate FILE\`) to see its attention.`;
}
