/**
 * Soak: 1,000 analyses in one session with the real models → resident memory must not keep growing
 * (limit: < 20 MB growth after warm-up). Runs the same AnalysisSession code the extension host runs.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AnalysisSession } from '../../src/panel/analysisSession';
import { bundledRegistry } from '../helpers/bundled';
import { fuzzText, mulberry32 } from '../helpers/textFuzz';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('soak', () => {
  it('1,000 analyses: RSS growth after warm-up stays under 20 MB', async () => {
    const registry = bundledRegistry();
    let bytesPosted = 0;
    const session = new AnalysisSession({
      registry: () => registry,
      // The webview side is not here; count what would cross so nothing is optimised away.
      post: (m) => void (bytesPosted += m.type === 'headData' ? m.data.byteLength : 1),
      maxTokens: () => 4096,
      defaultModel: () => 'encoder',
    });
    const rand = mulberry32(7);
    const run = async (i: number): Promise<void> => {
      const text = fuzzText(rand, 40) + ' The end of text number ' + i;
      session.choose(0, { modelId: i % 2 ? 'causal' : 'encoder', mask: i % 3 ? 'default' : 'causal' });
      await session.analyzeSource({ uri: 'file:///soak.txt', version: i, text, startOffset: 0, label: 'soak.txt' });
    };
    for (let i = 0; i < 100; i++) await run(i);
    gc();
    const before = process.memoryUsage().rss;
    for (let i = 100; i < 1100; i++) await run(i);
    gc();
    await new Promise((r) => setTimeout(r, 50));
    gc();
    const growthMb = (process.memoryUsage().rss - before) / 2 ** 20;
    console.log(`soak: 1000 analyses, RSS growth ${growthMb.toFixed(1)} MB, ${bytesPosted} bytes posted`);
    expect(growthMb).toBeLessThan(20);
  }, 600_000);
});
