/**
 * Soak: 1,000 analyses in one session with the real models → resident memory must not keep growing
 * (limit: < 20 MB growth per 1,000 analyses after warm-up). Runs the same AnalysisSession code the extension
 * host runs, with the real models and onnxruntime-node.
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
    const settledRss = async (): Promise<number> => {
      gc();
      await new Promise((r) => setTimeout(r, 30)); // let native buffers' finalizers run
      gc();
      return process.memoryUsage().rss / 2 ** 20;
    };
    for (let i = 0; i < 100; i++) await run(i);
    // RSS moves up and down by tens of MB as malloc returns memory or not (and as other test files run beside
    // this one), so one before/after pair says little, and a transient hump skews a fitted slope. Growth is the
    // median of the last quarter of samples (one every 25 analyses) minus the median of the first quarter.
    const ys: number[] = [];
    for (let i = 100; i < 1100; i++) {
      await run(i);
      if ((i - 100) % 25 === 0 || i === 1099) ys.push(await settledRss());
    }
    const median = (a: number[]): number => {
      const s = [...a].sort((x, y) => x - y);
      return s[Math.floor(s.length / 2)];
    };
    const quarter = Math.floor(ys.length / 4);
    const growthMb = median(ys.slice(-quarter)) - median(ys.slice(0, quarter));
    console.log(
      `soak: 1000 analyses, RSS growth ${growthMb.toFixed(1)} MB (median of last vs first quarter of ${ys.length} samples; ` +
        `first ${ys[0].toFixed(0)} MB, last ${ys.at(-1)?.toFixed(0)} MB, min ${Math.min(...ys).toFixed(0)}, max ${Math.max(...ys).toFixed(0)}), ` +
        `${bytesPosted} bytes posted`,
    );
    expect(growthMb).toBeLessThan(20);
  }, 600_000);
});
