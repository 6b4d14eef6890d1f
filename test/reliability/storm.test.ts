/**
 * A storm of selection changes through the same AnalysisSession the panel uses, with the real models:
 * the last selection is what ends up shown, stale generations never interleave with newer ones, and at most
 * one inference per slot is in flight.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisSession, type TextSource } from '../../src/panel/analysisSession';
import type { HostToWebview } from '../../src/protocol/messages';
import { bundledRegistry } from '../helpers/bundled';

describe('storm of selection changes', () => {
  it('200 changes in 2 s: only the last is shown, nothing stale after it, ≤ 1 inference in flight per slot', async () => {
    const registry = bundledRegistry();
    const posted: HostToWebview[] = [];
    const session = new AnalysisSession({
      registry: () => registry,
      post: (m) => posted.push(m),
      maxTokens: () => 4096,
      defaultModel: () => 'encoder',
    });
    const rejections: unknown[] = [];
    const onRejection = (e: unknown): void => void rejections.push(e);
    process.on('unhandledRejection', onRejection);
    const all: Promise<void>[] = [];
    const sources: TextSource[] = [];
    for (let i = 0; i < 200; i++) {
      const text = `Selection number ${i}: the quick brown fox jumps over the lazy dog ${'again '.repeat(i % 17)}`;
      const source = { uri: 'file:///storm.txt', version: 1, text, startOffset: i, label: 'storm.txt' };
      sources.push(source);
      all.push(session.analyzeSource(source));
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(all);
    process.off('unhandledRejection', onRejection);

    const starts = posted.filter((m): m is Extract<HostToWebview, { type: 'analysisStart' }> => m.type === 'analysisStart');
    expect(starts.at(-1)?.text).toBe(sources[199].text);
    // Generations never go back: once a newer analysis was posted, nothing of an older one follows it.
    let newest = 0;
    for (const m of posted) {
      if (!('generation' in m)) continue;
      expect(m.generation).toBeGreaterThanOrEqual(newest);
      newest = m.generation;
    }
    const last = starts.at(-1)?.generation;
    expect(posted.at(-1)).toMatchObject({ type: 'analysisComplete', generation: last });
    expect(session.inferences).toBeLessThan(200);
    expect(rejections).toEqual([]);
    console.log(`storm: 200 changes → ${session.inferences} inferences, ${starts.length} analyses shown, last generation ${last}`);
  }, 120_000);
});
