/**
 * UI strings of the panel. English defaults live here; the host sends localised strings in `init.strings`
 * (it localises with @vscode/l10n from webview/l10n/strings.<lang>.json, keyed the same as DEFAULT_STRINGS).
 * Keys are stable ids; `{0}`-style placeholders are filled by `t()`.
 */
export const DEFAULT_STRINGS = {
  'title': 'Attention Lens',
  'control.model': 'Model',
  'control.mask': 'Mask',
  'control.mask.default': 'Model default ({0})',
  'control.mask.whatIf': 'What-if: {0} mask (not trained for it)',
  'control.layer': 'Layer',
  'control.head': 'Head',
  'control.aggregate': 'Heads',
  'aggregate.head': 'Single head',
  'aggregate.mean': 'Mean over heads',
  'aggregate.max': 'Max over heads',
  'aggregate.rollout': 'Rollout (layers 1…L)',
  'control.wordLevel': 'Word level',
  'control.direction': 'Direction',
  'direction.to': 'Attends to',
  'direction.from': 'Attended by',
  'control.scale': 'Scale colours to the largest weight',
  'control.view': 'View',
  'view.text': 'Text',
  'view.head': 'Head view',
  'view.matrix': 'Matrix',
  'view.grid': 'All heads',
  'view.computation': 'Computation',
  'view.stats': 'Statistics',
  'view.diff': 'Difference',
  'export.png': 'PNG',
  'export.svg': 'SVG',
  'export.json': 'JSON',
  'export.html': 'HTML',
  'export.label': 'Export',
  'mask.full': 'full',
  'mask.causal': 'causal',
  'status.model': 'Model: {0}',
  'status.mask': 'mask: {0}',
  'status.whatIf': 'WHAT-IF: the model was not trained with this mask',
  'status.tokens': '{0} tokens',
  'status.window': 'window {0}/{1}',
  'status.inference': 'inference {0} ms',
  'status.loadingHeads': 'loading heads {0}/{1}',
  'banner.waiting': 'Select text in an editor and run “Attention Lens: Show Attention for Selection”.',
  'banner.analysing': 'Analysing…',
  'banner.error': 'Error: {0}',
  'banner.standaloneModel': 'Changing the model or mask is unavailable in a standalone page: this page embeds only the analyses it was exported with.',
  'banner.noVectors': 'This page does not embed the exact vectors of layer {0}, head {1} (long texts are exported without them).',
  'banner.loadingHead': 'Loading this head…',
  'banner.loadingVectors': 'Loading the exact vectors of this head…',
  'banner.tokenMismatch': 'The two analyses have different tokens ({0} vs {1}); the difference view needs the same tokens.',
  'banner.noCompare': 'The difference view needs a second analysis (compare mode).',
  'banner.protocol': 'This panel expects protocol version {0} but the host speaks {1}.',
  'text.legend': 'Hover or focus a token (arrow keys move, Enter opens its computation). Intensity = attention weight.',
  'text.legendScaled': 'Hover or focus a token (arrow keys move, Enter opens its computation). Intensity = weight ÷ largest weight ({0}).',
  'token.label': 'Token {0}: “{1}”. Attends most to: {2}.',
  'token.labelFrom': 'Token {0}: “{1}”. Attended most by: {2}.',
  'head.legend': 'Lines from each query (left) to the keys (right); opacity = weight. Tick more heads above to overlay them in their own colours.',
  'head.heads': 'Heads shown',
  'matrix.legend': 'Rows = queries, columns = keys. Hatched cells are masked (not visible to the query), not zero.',
  'matrix.cell': 'query {0} “{1}” → key {2} “{3}”: {4}',
  'matrix.masked': 'masked',
  'grid.sort': 'Sort by',
  'grid.sort.position': 'Layer, head',
  'grid.legend': 'Click a thumbnail to open that head.',
  'stats.entropy': 'Entropy (bits)',
  'stats.distance': 'Mean distance',
  'stats.prev': 'Previous',
  'stats.self': 'Self',
  'stats.first': 'First',
  'stats.punct': 'Punct./newline',
  'stats.label': 'Pattern',
  'stats.layerHead': 'L.H',
  'stats.legend': 'Computed here from the weights of this text: entropy of each query’s row (mean), mean |query − key| distance, and the share of weight going to the previous token, itself, the first token, and punctuation or newlines.',
  'label.previous': 'previous-token',
  'label.self': 'self',
  'label.first': 'first-token / sink',
  'label.punct': 'punctuation',
  'label.broad': 'broad / uniform',
  'label.local': 'local',
  'label.none': '—',
  'comp.title': 'How head {0}.{1} computes the output of token {2} “{3}”',
  'comp.pickToken': 'Query token',
  'comp.step.q': '1. The query asks. The token’s query vector q (d_k = {0}) is what it is looking for.',
  'comp.step.k': '2. Keys are matched. Every visible token offers a key vector k; the dot product q·k measures how well it answers.',
  'comp.step.scale': '3. Scale. Dividing by √d_k = {0} keeps the scores in a range where softmax is not saturated.',
  'comp.step.bias': '4. Mask. The additive bias is 0 for visible keys and −∞ for masked ones, which therefore get weight exactly 0.',
  'comp.step.softmax': '5. Softmax turns the scores into weights that are positive and sum to 1 — a soft choice among the keys.',
  'comp.step.output': '6. Values are blended. The output is Σ weight·v: the values of the keys, mixed by the weights (the “soft database lookup” result).',
  'comp.check': 'Check: recomputed softmax vs the model’s attention row, max |difference| = {0}',
  'comp.checkOk': '✓ within 1e-4',
  'comp.checkFail': '✗ larger than 1e-4',
  'comp.key': 'key token',
  'comp.dot': 'q·k',
  'comp.scaled': '÷√d_k',
  'comp.bias': '+ bias',
  'comp.softmax': 'softmax',
  'comp.model': 'model',
  'comp.output': 'output Σ w·v',
  'comp.aggregateNote': 'The computation is shown for a single head ({0}.{1}); aggregates are built from these rows.',
  'compare.left': 'Slot 1',
  'compare.right': 'Slot 2',
  'diff.legend': 'Left minus right, per cell (same layer/head). Positive = more weight on the left.',
} as const;

export type StringKey = keyof typeof DEFAULT_STRINGS;

let active: Record<string, string> = { ...DEFAULT_STRINGS };

/** Replace defaults with the host's localised strings (unknown keys are ignored, missing keys keep English). */
export function setStrings(overrides: Record<string, string> | undefined): void {
  active = { ...DEFAULT_STRINGS };
  if (!overrides) return;
  for (const [key, value] of Object.entries(overrides)) {
    if (key in DEFAULT_STRINGS && typeof value === 'string') active[key] = value;
  }
}

export function t(key: StringKey, ...args: Array<string | number>): string {
  const template = active[key] ?? DEFAULT_STRINGS[key];
  return template.replace(/\{(\d+)\}/g, (m, i: string) => (args[Number(i)] !== undefined ? String(args[Number(i)]) : m));
}
