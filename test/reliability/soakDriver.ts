/**
 * The soak's measured process: a plain Node program (like the extension host) that runs analyses through the
 * same AnalysisSession the panel uses, with the real models and onnxruntime-node, and prints one JSON line of
 * memory samples. soak.test.ts bundles it with esbuild and runs it in child processes, because the allocator
 * settings it compares are read by glibc at process start and cannot be changed inside a running test worker.
 *
 *   node --expose-gc soakDriver.js MODELS_DIR WARMUP ANALYSES SAMPLE_EVERY
 */
import { ModelRegistry } from '../../src/model/modelRegistry';
import { AnalysisSession } from '../../src/panel/analysisSession';
import { fuzzText, mulberry32 } from '../helpers/textFuzz';

/** MB; external: memory of ArrayBuffers and other native objects held by JS (outside the V8 heap). */
interface Sample {
  rssMb: number;
  heapMb: number;
  externalMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function main(): Promise<void> {
  const [modelsDir, warmupArg, analysesArg, everyArg] = process.argv.slice(2);
  if (!gc) throw new Error('run with --expose-gc');
  const warmup = Number(warmupArg);
  const analyses = Number(analysesArg);
  const every = Number(everyArg);
  const registry = new ModelRegistry([modelsDir]);
  let bytesPosted = 0;
  let headsPosted = 0;
  const errors: string[] = [];
  const session = new AnalysisSession({
    registry: () => registry,
    // The webview side is not here; count what would cross so nothing is optimised away.
    post: (m) => {
      if (m.type === 'headData') {
        headsPosted++;
        bytesPosted += m.data.byteLength;
      } else if (m.type === 'analysisError' && errors.length < 5) errors.push(m.message);
    },
    maxTokens: () => 4096,
    defaultModel: () => 'encoder',
  });
  const rand = mulberry32(7);
  const run = async (i: number): Promise<void> => {
    const text = fuzzText(rand, 40) + ' The end of text number ' + i;
    session.choose(0, { modelId: i % 2 ? 'causal' : 'encoder', mask: i % 3 ? 'default' : 'causal' });
    await session.analyzeSource({ uri: 'file:///soak.txt', version: i, text, startOffset: 0, label: 'soak.txt' });
  };
  const sample = async (): Promise<Sample> => {
    // Native buffers are freed after a collection, partly on V8's background threads: two rounds of collect and
    // wait, so that a sample taken on a busy machine (the soak runs beside other test files) is less likely to count
    // buffers on their way out. With one 30 ms wait, a full CI run's default-allocator samples ranged 247–294 MB
    // with no trend (alone: within 10 MB).
    for (let round = 0; round < 2; round++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 50));
    }
    gc?.();
    const m = process.memoryUsage();
    return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20, externalMb: m.external / 2 ** 20 };
  };
  for (let i = 0; i < warmup; i++) await run(i);
  const samples: Sample[] = [await sample()];
  for (let i = 0; i < analyses; i++) {
    await run(warmup + i);
    if ((i + 1) % every === 0) samples.push(await sample());
  }
  process.stdout.write(JSON.stringify({ analyses, warmup, bytesPosted, headsPosted, errors, inferences: session.inferences, samples }) + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
