/**
 * How a translation (encoder-decoder) analysis is laid out, one home for the host, the webview, the CLI and the page.
 *
 * A translation has three attentions: the encoder's self-attention (source × source, bidirectional), the decoder's
 * self-attention (target × target, causal) and cross-attention (target queries × source keys). So that every view
 * that draws one token list and n×n heads works unchanged, an analysis of a translation is **one joint token list**
 * — the source tokens, then the decoder's tokens (its start tag first) — and the three attentions are **stacked as
 * layers**: layers [0, L) are the encoder's, [L, 2L) the decoder's self-attention, [2L, 3L) cross-attention, where
 * L is the model's own layer count. Each stacked layer's heads are n×n over the joint list with the attention in its
 * block (rows = the set's queries, columns = its keys); every cell outside the block is masked (weight 0, bias
 * MASKED_BIAS), and the decoder's block is causal as well.
 */
import type { AttentionSetId, MaskKind } from '../protocol/messages';

export const ATTENTION_SETS: readonly AttentionSetId[] = ['encoder', 'decoder', 'cross'];

/** A half-open range of joint token indices. */
export interface TokenRange {
  start: number;
  end: number;
}

/** The stacked layers of one set: its first stacked layer, and its layer count (the model's own L). */
export function setLayers(set: AttentionSetId, modelLayers: number): TokenRange {
  const first = ATTENTION_SETS.indexOf(set) * modelLayers;
  return { start: first, end: first + modelLayers };
}

/** Which set a stacked layer belongs to, and its layer within the set. */
export function setOfLayer(stackedLayer: number, modelLayers: number): { set: AttentionSetId; layer: number } {
  const i = Math.min(ATTENTION_SETS.length - 1, Math.max(0, Math.floor(stackedLayer / modelLayers)));
  return { set: ATTENTION_SETS[i], layer: stackedLayer - i * modelLayers };
}

/** The queries (rows) and keys (columns) of a set in the joint list of `sourceCount` source and `n − sourceCount` target tokens. */
export function setBlock(set: AttentionSetId, sourceCount: number, n: number): { queries: TokenRange; keys: TokenRange } {
  const source = { start: 0, end: sourceCount };
  const target = { start: sourceCount, end: n };
  if (set === 'encoder') return { queries: source, keys: source };
  if (set === 'decoder') return { queries: target, keys: target };
  return { queries: target, keys: source };
}

/** Whether the cell (query, key) of the joint matrix is hidden in `set`: outside its block, or after the query in the decoder. */
export function isMaskedInSet(set: AttentionSetId, sourceCount: number, n: number, query: number, key: number): boolean {
  const { queries, keys } = setBlock(set, sourceCount, n);
  if (query < queries.start || query >= queries.end || key < keys.start || key >= keys.end) return true;
  return set === 'decoder' && key > query;
}

/** `isMaskedInSet` as the predicate a matrix carries. */
export function setMaskPredicate(set: AttentionSetId, sourceCount: number, n: number): (query: number, key: number) => boolean {
  return (query, key) => isMaskedInSet(set, sourceCount, n, query, key);
}

/** The mask the set was run under (for labels): the decoder's is causal, the others see every key of their block. */
export function setMask(set: AttentionSetId): MaskKind {
  return set === 'decoder' ? 'causal' : 'full';
}

/** Which way a text is translated: into Chinese (`zh`) or into English (`en`). */
export type TargetLanguage = 'zh' | 'en';

const HAN = /\p{Script=Han}/u;
const LETTER = /\p{L}/u;

/**
 * The direction a selection is translated in when the person does not say: mostly Han characters (over half of its
 * letters) → English, anything else → Chinese.
 */
export function targetLanguageFor(text: string): TargetLanguage {
  let han = 0;
  let letters = 0;
  for (const ch of text) {
    if (!LETTER.test(ch)) continue;
    letters++;
    if (HAN.test(ch)) han++;
  }
  return letters > 0 && han * 2 > letters ? 'en' : 'zh';
}

/**
 * The decoder step (joint row) that wrote target token `jointIndex`. Decoder row i is the step whose INPUT is target
 * token i and which PRODUCED target token i + 1, so target token j (j ≥ 1 in target order) was written by row j − 1:
 * "the source tokens a target token looked at while it was being written" are that row of cross-attention. The
 * start tag (target token 0) was given, not written, and a source token is no decoder output: null for both.
 * One rule for the panel (webview/translation.ts) and the editor overlay.
 */
export function producingRow(jointIndex: number, sourceCount: number): number | null {
  return jointIndex > sourceCount ? jointIndex - 1 : null;
}

/** The inverse of `producingRow`: the target token decoder row `row` wrote, or null (not a decoder row, or its output is past the list of `n`). */
export function producedToken(row: number, sourceCount: number, n: number): number | null {
  return row >= sourceCount && row + 1 < n ? row + 1 : null;
}
