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
    // RSS moves up and down by tens of MB as malloc returns memory or not, so one before/after pair says
    // little. The growth is the least-squares slope over a sample every 25 analyses, times 1,000.
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 100; i < 1100; i++) {
      await run(i);
      if ((i - 100) % 25 === 0 || i === 1099) {
        xs.push(i - 100);
        ys.push(await settledRss());
      }
    }
    const mean = (a: number[]): number => a.reduce((p, c) => p + c, 0) / a.length;
    const mx = mean(xs);
    const my = mean(ys);
    const slope = xs.reduce((acc, x, k) => acc + (x - mx) * (ys[k] - my), 0) / xs.reduce((acc, x) => acc + (x - mx) ** 2, 0);
    const growthMb = slope * 1000;
    console.log(
      `soak: 1000 analyses, RSS trend ${growthMb.toFixed(1)} MB per 1000 (first ${ys[0].toFixed(0)} MB, last ${ys.at(-1)?.toFixed(0)} MB, ` +
        `min ${Math.min(...ys).toFixed(0)}, max ${Math.max(...ys).toFixed(0)}), ${bytesPosted} bytes posted`,
    );
    expect(growthMb).toBeLessThan(20);
  }, 600_000);
});
