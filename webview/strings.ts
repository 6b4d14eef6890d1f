/**
 * UI strings of the panel, localised with `@vscode/l10n` as VS Code documents for webviews: the English message is
 * the key, and the translations live in the extension's one bundle, l10n/bundle.l10n.<locale>.json (beside the
 * host's own `vscode.l10n.t` strings). The host sends `vscode.l10n.bundle` (the display language's bundle, absent in
 * English) in `init.strings`, and `setStrings` hands it to `l10n.config`; the CLI's standalone page sends none and
 * shows English.
 * Code names a string by a stable id (`t('view.text')`) so views never repeat an English sentence; DEFAULT_STRINGS
 * maps each id to its English message.
 */
import * as l10n from '@vscode/l10n';

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
  'status.defaultHead': 'Opened on head {0}: {1}',
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
  'comp.step.bias': '4. Mask. The additive bias is 0 for visible keys and −1e9 for masked ones (a large finite number: exp(−1e9) underflows to 0), which therefore get weight exactly 0.',
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
  'comp.formula.loading': 'Loading the whole formula of this layer (one more run of the model)…',
  'comp.formula.unavailable': 'These steps are not available: {0}',
  'comp.formula.reason.notRecorded': 'this page records the whole formula only for texts of up to {0} tokens',
  'comp.formula.reason.noWeights': 'the model’s graph lacks the weights or tensors these steps read ({0})',
  'comp.formula.reason.notRotary': 'these steps know rotary positions only ({0})',
  'comp.formula.reason.failed': 'the extra run of the model failed ({0})',
  'comp.formula.qkv.title': 'From X to Q, K and V',
  'comp.formula.qkv.explain': 'The layer reads the residual stream x of this token; LayerNorm turns it into X (d_model = {0}). Query, key and value are three linear maps of the same X, with this head’s slices of W_Q, W_K and W_V (d_model × d_k = {0} × {1}) and their biases: q = X·W_Q + b_Q, k = X·W_K + b_K, v = X·W_V + b_V.',
  'comp.formula.keyNote': 'The key shown is token {0} “{1}”, the one this head weights most for this query.',
  'comp.formula.lnCheck': 'Check: LayerNorm(x) recomputed vs the model’s X, max |difference| = {0}',
  'comp.formula.vCheck': 'Check: X·W_V + b_V vs the model’s values, every token of this head, max |difference| = {0}',
  'comp.formula.rotary.title': 'Positions (rotary)',
  'comp.formula.rotary.explain': 'q and k are rotated by angles proportional to their positions: each pair of components (c, c + d_k/2) turns by position · {0}^(−2c/d_k). A rotation keeps lengths, and since R(i)ᵀ·R(j) = R(j − i), the score of a rotated pair depends only on how far apart the two tokens are.',
  'comp.formula.rotary.paper': 'The original Transformer paper instead adds a sinusoidal positional encoding to the token embeddings once, before the first layer; rotary positions leave the embeddings alone and rotate q and k in every layer, so the scores see the relative distance.',
  'comp.formula.before': 'before rotation',
  'comp.formula.after': 'after rotation for position {0}',
  'comp.formula.rotCheck': 'Check: rotated q and k vs the model’s queries and keys (after its rotation), every token of this head, max |difference| = {0}',
  'comp.formula.plot': 'The rotation alone: the score (R(Δ)·q)·k of these two vectors placed Δ = 0…{0} tokens apart. The dot marks their real distance.',
  'comp.formula.plotOutside': 'Their real distance, {0}, is outside the plot (the key comes after the query or is more than {1} tokens away).',
  'comp.formula.plotLabel': 'score by distance Δ',
  'comp.formula.multi.title': 'Multi-head: concatenate, then W_O',
  'comp.formula.multi.explain': 'Every head of layer {0} computes its own Σ weight·v for this token ({1} numbers each). They are concatenated side by side ({2} numbers) and multiplied by W_O, plus b_O: the output of the attention block.',
  'comp.formula.head': 'head {0}',
  'comp.formula.model': 'model',
  'comp.formula.projCheck': 'Check: concat·W_Oᵀ + b_O vs the model’s attention output, max |difference| = {0}',
  'comp.formula.residual.title': 'Residual connection',
  'comp.formula.residual.explain': 'The attention output is added to the layer’s input x; the sum goes on to the layer’s feed-forward part.',
  'comp.formula.resCheck': 'Check: x + attention vs the model’s sum, max |difference| = {0}',
  'compare.left': 'Slot 1',
  'compare.right': 'Slot 2',
  'diff.legend': 'Left minus right, per cell (same layer/head). Positive = more weight on the left.',
  // predictions and generation (predictionsPanel.ts)
  'predict.heading': 'Predictions',
  'predict.next': 'Next token after “{0}”',
  'predict.fill': 'If “{0}” were masked (<mask>), the encoder fills in',
  'predict.hoverHint': 'Hover or focus a token to see the model’s five likeliest next tokens.',
  'predict.maskHint': 'Focus a token and press M (or the button) to mask it and see the encoder’s five likeliest fillers.',
  'predict.mask': 'Mask this token (M)',
  'predict.actualNext': 'The token that really follows, “{0}”: {1}',
  'predict.actualFill': 'The token that is really there, “{0}”: {1}',
  'predict.loading': 'Computing the logits…',
  'predict.unavailable': 'No predictions: {0}',
  'predict.standalone': 'This page has no model to run: predictions and generation need the panel in VS Code.',
  'predict.changeHeading': 'Attention change from masking, layer {0}, head {1}',
  'predict.changeNote': 'Compared: this head’s attention in the text as it is (before) and in the run with the token replaced by <mask> (after); the tokens whose weight changed most.',
  'predict.changeFrom': 'From the masked token to',
  'predict.changeTo': 'To the masked token from',
  'predict.recorded': 'This page recorded each token’s five likeliest predictions at temperature 1 when it was made; it has no model to run, so temperature and generation need the panel in VS Code.',
  'predict.temperature': 'Temperature',
  'predict.temperatureNote': 'Temperature T divides the logits before the softmax: below 1 the likeliest tokens gain probability, above 1 the probabilities spread out; 1 is the model as trained.',
  'generate.heading': 'Continue the text (causal model)',
  'generate.tokens': 'Tokens',
  'generate.topK': 'Top-k (0 = all)',
  'generate.seed': 'Seed',
  'generate.greedy': 'Greedy (always the likeliest token)',
  'generate.start': 'Continue text',
  'generate.stop': 'Stop (Esc)',
  'generate.insert': 'Insert into document',
  'generate.running': 'Generating: {0} of {1} tokens…',
  'generate.done': 'Generated {0} tokens. They are underlined; nothing is written to the document unless you insert it.',
  'generate.cancelled': 'Stopped after {0} tokens.',
  'generate.error': 'Generation failed: {0}',
  'generate.noCache': 'Each new token is one full forward pass over the text so far (no key/value cache).',
} as const;

export type StringKey = keyof typeof DEFAULT_STRINGS;

/**
 * Context for translators where one English message needs its own translation here. The comment is part of the
 * bundle key (`message/comment`, @vscode/l10n's rule): this 'title' keeps the English name beside the Chinese one,
 * while the host's "Attention Lens" (the tab title) is translated alone.
 */
const COMMENTS: Partial<Record<StringKey, string>> = {
  'title': 'heading of the panel',
};

/** The key of a string in l10n/bundle.l10n.*.json. */
export function bundleKey(key: StringKey): string {
  const comment = COMMENTS[key];
  return comment ? `${DEFAULT_STRINGS[key]}/${comment}` : DEFAULT_STRINGS[key];
}

/** Use the host's l10n bundle (missing or empty: English; messages it lacks stay English). */
export function setStrings(bundle: Record<string, string> | undefined): void {
  l10n.config({ contents: bundle ?? {} });
}

export function t(key: StringKey, ...args: Array<string | number>): string {
  const message = DEFAULT_STRINGS[key];
  const comment = COMMENTS[key];
  return comment ? l10n.t({ message, args, comment }) : l10n.t(message, ...args);
}
