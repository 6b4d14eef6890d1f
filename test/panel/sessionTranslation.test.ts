/**
 * A panel slot whose model is the bundled translation model (src/panel/sessionTranslation.ts), driven through the
 * same AnalysisSession and host message table as the panel, with the real model on onnxruntime-node:
 *  - every decoding step is shown as its own generation (translation.partial, the visible head only: the model's
 *    default head, its best-aligned cross head), the last one
 *    streams every head of the three stacked attentions and says analysisComplete;
 *  - the `translate` message switches the direction and aligns a given target (teacher forcing);
 *  - a newer analysis of the slot stops the decoding: nothing of the old text is shown after the new one starts;
 *  - the exact vectors of a cross-attention head carry the cross set's bias (masked outside the target × source block).
 */
import { describe, expect, it } from 'vitest';
import { AnalysisSession, type TextSource } from '../../src/panel/analysisSession';
import { dispatch, type HostToWebview, type WebviewToHost } from '../../src/protocol/messages';
import { webviewHandlers, type PanelActions } from '../../src/panel/webviewMessages';
import { isMaskedBias } from '../../src/common/mask';
import { isMaskedInSet } from '../../src/common/translation';
import { bundledRegistry } from '../helpers/bundled';

const registry = bundledRegistry();
const source = (text: string): TextSource => ({ uri: 'file:///m.md', version: 1, text, startOffset: 10, label: 'm.md' });
const noPanel: PanelActions = { ready: async () => undefined, showFocus: () => undefined, export: async () => undefined, log: () => undefined };

type Start = Extract<HostToWebview, { type: 'analysisStart' }>;
const starts = (posted: HostToWebview[]): Start[] => posted.filter((m): m is Start => m.type === 'analysisStart');

function translationSession(posted: HostToWebview[]): AnalysisSession {
  const s = new AnalysisSession({ registry: () => registry, post: (m) => posted.push(m), maxTokens: () => 4096, defaultModel: () => 'translation' });
  return s;
}

describe('panel session: a translation model', () => {
  it('shows each step as a generation, the last one whole; the direction follows the script', async () => {
    const posted: HostToWebview[] = [];
    const s = translationSession(posted);
    const text = 'Open the file in a new window';
    await s.analyzeSource(source(text));
    const all = starts(posted);
    expect(all.length).toBeGreaterThan(0);
    const last = all[all.length - 1];
    expect(last.translation?.partial).toBe(false);
    expect(last.translation?.to).toBe('zh');
    expect(last.model.kind).toBe('encoder-decoder');
    expect(last.text).toBe(text);
    const sourceCount = last.translation!.sourceCount;
    // Source tokens tile the text (the end token last, special); target tokens lie in targetText.
    for (const t of last.tokens.slice(0, sourceCount)) expect(t.special ? '' : text.slice(t.start, t.end)).toBe(t.special ? '' : t.text);
    for (const t of last.tokens.slice(sourceCount)) expect(t.end).toBeLessThanOrEqual(last.translation!.targetText.length);
    expect(last.tokens[sourceCount].special).toBe(true); // the language tag starts the decoder
    // Earlier steps: partial, one head each, generations growing, tokens growing by one.
    const partial = all.slice(0, -1);
    for (const p of partial) expect(p.translation?.partial).toBe(true);
    for (let i = 1; i < all.length; i++) expect(all[i].generation).toBeGreaterThan(all[i - 1].generation);
    for (const p of partial) expect(posted.filter((m) => m.type === 'headData' && m.generation === p.generation)).toHaveLength(1);
    // That one head is the model's default head (its best-aligned cross head), the one the panel opens on.
    const defaultHead = (await registry.get('translation')).defaultHead;
    expect(defaultHead).toBeDefined();
    for (const p of partial) {
      const head = posted.find((m) => m.type === 'headData' && m.generation === p.generation);
      expect(head && head.type === 'headData' ? [head.layer, head.head] : null).toEqual([defaultHead?.layer, defaultHead?.head]);
    }
    const L = last.model.setLayers!;
    expect(last.model.layers).toBe(3 * L);
    expect(posted.filter((m) => m.type === 'headData' && m.generation === last.generation)).toHaveLength(last.model.layers * last.model.heads);
    expect(posted.filter((m) => m.type === 'analysisComplete').map((m) => m.generation)).toEqual([last.generation]);
    // Chinese text goes the other way.
    posted.length = 0;
    await s.analyzeSource(source('在新窗口中打开文件'));
    expect(starts(posted).at(-1)?.translation?.to).toBe('en');
  });

  it('the translate message switches direction and aligns a given target; vectors carry the cross bias', async () => {
    const posted: HostToWebview[] = [];
    const s = translationSession(posted);
    const text = 'Save all changes before closing';
    await s.analyzeSource(source(text));
    const receive = (m: WebviewToHost): Promise<void> | void => dispatch(webviewHandlers(s, noPanel), m);
    posted.length = 0;
    const given = '关闭前保存所有更改';
    await receive({ type: 'translate', slot: 0, to: 'zh', target: given });
    const forced = starts(posted);
    expect(forced).toHaveLength(1); // no steps: the target is given
    const f = forced[0];
    expect(f.translation).toMatchObject({ forced: true, partial: false, targetText: given, to: 'zh' });
    // The target tokens cover the given text exactly (byte pieces of one character share its range).
    const target = f.tokens.slice(f.translation!.sourceCount).filter((t) => !t.special);
    expect(target[0].start).toBe(0);
    expect(target.at(-1)!.end).toBe(given.length);

    // The exact vectors of a cross head: the bias hides everything outside target × source.
    const L = f.model.setLayers!;
    posted.length = 0;
    await receive({ type: 'requestVectors', generation: f.generation, slot: 0, layer: 2 * L, head: 1 });
    const v = posted.find((m) => m.type === 'headVectors');
    expect(v).toBeDefined();
    const bias = new Float32Array((v as Extract<HostToWebview, { type: 'headVectors' }>).bias);
    const n = f.tokens.length;
    expect(bias.length).toBe(n * n);
    for (let q = 0; q < n; q++) for (let k = 0; k < n; k++) expect(isMaskedBias(bias[q * n + k])).toBe(isMaskedInSet('cross', f.translation!.sourceCount, n, q, k));

    // The other direction for the same text, the model's own translation again.
    posted.length = 0;
    await receive({ type: 'translate', slot: 0, to: 'en', target: null });
    const back = starts(posted).at(-1)!;
    expect(back.translation).toMatchObject({ to: 'en', forced: false, partial: false });
  });

  it('a newer text stops the decoding of the older one', async () => {
    const posted: HostToWebview[] = [];
    const s = translationSession(posted);
    const older = s.analyzeSource(source('The width of the spray area relative to the visible canvas area'));
    // Let the first steps show, then start the newer text.
    await new Promise((r) => setTimeout(r, 30));
    const newer = s.analyzeSource(source('Close'));
    await Promise.all([older, newer]);
    const all = starts(posted);
    const firstNewer = all.findIndex((m) => m.text === 'Close');
    expect(firstNewer).toBeGreaterThanOrEqual(0);
    expect(all.slice(firstNewer).every((m) => m.text === 'Close')).toBe(true);
    expect(all.at(-1)?.translation?.partial).toBe(false);
    expect(posted.some((m) => m.type === 'analysisError')).toBe(false);
  });
});
