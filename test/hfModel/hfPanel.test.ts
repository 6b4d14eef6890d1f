/**
 * The panel's analysis session on a Hugging Face folder: the text is tokenized with the folder's tokenizer (special
 * tokens marked), the model runs through the HF runner, and the panel is sent the same messages as for a bundled
 * model — with the attention PyTorch computed.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisSession, type TextSource } from '../../src/panel/analysisSession';
import type { HostToWebview } from '../../src/protocol/messages';
import { ModelRegistry } from '../../src/model/modelRegistry';
import { hfFolder, reference, tempCache } from './hfFixtures';

describe('panel session on a Hugging Face folder', () => {
  it('tiny-bert: analysisStart lists [CLS] … [SEP] as special tokens and the analysis completes', async () => {
    const folder = hfFolder('tiny-bert');
    const registry = new ModelRegistry([], { extraFolders: [folder], cacheFolder: tempCache() });
    const m = await registry.getByFolder(folder);
    const posted: HostToWebview[] = [];
    const s = new AnalysisSession({ registry: () => registry, post: (msg) => posted.push(msg), maxTokens: () => 4096, defaultModel: () => m.id });
    const text = reference('tiny-bert').text;
    const source: TextSource = { uri: 'file:///a.txt', version: 1, text, startOffset: 0, label: 'a.txt' };
    await s.analyzeSource(source);
    expect(posted.filter((p) => p.type === 'analysisError')).toEqual([]);
    const start = posted.find((p): p is Extract<HostToWebview, { type: 'analysisStart' }> => p.type === 'analysisStart');
    expect(start?.model.id).toBe(m.id);
    const tokens = start?.tokens ?? [];
    expect(tokens).toHaveLength(reference('tiny-bert').input_ids.length);
    expect([tokens[0].special, tokens[tokens.length - 1].special]).toEqual([true, true]);
    expect(tokens[0].start).toBe(tokens[0].end);
    for (const t of tokens.slice(1, -1)) expect(text.slice(t.start, t.end).length).toBeGreaterThan(0);
    expect(posted.some((p) => p.type === 'analysisComplete')).toBe(true);
    s.dispose();
  });
});
