/**
 * Soak: 1,000 analyses in one session with the real models → resident memory must not keep growing
 * (limits per 1,000 analyses after warm-up: < 20 MB with the mmap threshold fixed, < 50 MB with the default allocator). The measured process runs the same AnalysisSession
 * code the extension host runs (test/reliability/soakDriver.ts), with the real models and onnxruntime-node.
 *
 * Why two processes. Each analysis allocates and frees multi-megabyte buffers (attention, q/k/v, and onnxruntime's
 * intermediates). glibc raises its mmap threshold after such a buffer is freed, so later ones come from the heap and
 * freed memory can stay resident: RSS then climbs in steps with no leak at all. The process with the threshold fixed
 * (MALLOC_MMAP_THRESHOLD_, read by glibc at start-up) shows what a leak would look like without that noise; the
 * process with the default allocator is what the extension host runs. Both are asserted. Before the runner had
 * onnxruntime write its outputs into buffers of ours (runModel), the default process grew 21–33 MB in most runs;
 * since, 5.3–6.4 MB in ten runs. With the models stored as float16 behind Casts and handed to onnxruntime as they
 * are, it grew 20–24 MB again (the freed float16 copies fragment the heap); the runner now hands it the float32
 * graph (onnxProto.ts withFloat32Weights): 3.5–4.4 MB.
 *
 * Why 300 analyses of warm-up. With the default allocator RSS takes one step of 20–40 MB early in a run (seen between
 * analyses 100 and 200 of 3,000-analysis runs, then +2–3 MB per 1,000 to the end), and the JS heap and external
 * memory settle over the first ~1,000. With 100 analyses of warm-up that step once fell inside the measured window
 * (a CI run of bed81f4: the default process past 20 MB, its heap under 5 MB, the fixed-threshold process under 20):
 * a step, not a leak. A leak keeps growing after it, which the window still sees. The JS heap's own growth (~1.2 MB per
 * 1,000 fuzzed texts) is the tokenizer's word cache: a heap snapshot diff over 1,500 analyses showed 5,035 more
 * arrays of token strings and nothing else of note; the cache is cleared at 50,000 words (byteLevelBpe.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, REPO_ROOT } from '../helpers/bundled';

const WARMUP = 300;
const ANALYSES = 1000;
const SAMPLE_EVERY = 10;

interface SoakRun {
  analyses: number;
  bytesPosted: number;
  headsPosted: number;
  errors: string[];
  inferences: number;
  samples: Array<{ rssMb: number; heapMb: number; externalMb: number }>;
}

// Inside the repository (git-ignored test-results/), so the bundle finds onnxruntime-node (external, native) in
// the project's node_modules as the extension does.
mkdirSync(path.join(REPO_ROOT, 'test-results'), { recursive: true });
const tmp = mkdtempSync(path.join(REPO_ROOT, 'test-results', 'soak-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runDriver(script: string, env: Record<string, string>): Promise<SoakRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script, MODELS_DIR, String(WARMUP), String(ANALYSES), String(SAMPLE_EVERY)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as SoakRun) : reject(new Error(`soak driver exited ${code}: ${err}`))));
  });
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
};

/** Growth = median of the last quarter of samples − median of the first quarter (a hump does not skew it). */
function growth(run: SoakRun): { growthMb: number; heapGrowthMb: number; externalGrowthMb: number; first: number; last: number; min: number; max: number } {
  const rss = run.samples.map((s) => s.rssMb);
  const q = Math.floor(rss.length / 4);
  const of = (values: number[]): number => median(values.slice(-q)) - median(values.slice(0, q));
  return {
    growthMb: of(rss),
    heapGrowthMb: of(run.samples.map((s) => s.heapMb)),
    externalGrowthMb: of(run.samples.map((s) => s.externalMb)),
    first: rss[0],
    last: rss[rss.length - 1],
    min: Math.min(...rss),
    max: Math.max(...rss),
  };
}

describe('soak', () => {
  it('1,000 analyses: RSS growth after warm-up stays under 20 MB (fixed mmap threshold) and 50 MB (default allocator)', async () => {
    const script = path.join(tmp, 'soakDriver.js');
    await build({
      entryPoints: [path.join(__dirname, 'soakDriver.ts')],
      outfile: script,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['onnxruntime-node'],
      logLevel: 'warning',
    });
    const [fixed, dflt] = await Promise.all([
      runDriver(script, { MALLOC_MMAP_THRESHOLD_: String(128 * 1024) }),
      runDriver(script, {}),
    ]);
    const f = growth(fixed);
    const d = growth(dflt);
    const line = (name: string, g: ReturnType<typeof growth>, r: SoakRun): string =>
      `${name}: RSS growth ${g.growthMb.toFixed(1)} MB over ${r.analyses} analyses (median of last vs first quarter of ${r.samples.length} samples; ` +
      `first ${g.first.toFixed(0)} MB, last ${g.last.toFixed(0)} MB, min ${g.min.toFixed(0)}, max ${g.max.toFixed(0)}); JS heap growth ${g.heapGrowthMb.toFixed(1)} MB, external ${g.externalGrowthMb.toFixed(1)} MB; ${r.bytesPosted} bytes posted\n` +
      `    RSS every ${SAMPLE_EVERY * 10} analyses: ${r.samples.filter((_, i) => i % 10 === 0).map((x) => x.rssMb.toFixed(0)).join(' ')}`;
    console.log(`soak\n  ${line('fixed mmap threshold', f, fixed)}\n  ${line('default allocator', d, dflt)}`);
    // Every analysis really ran the model and streamed all 32 heads (4 layers × 8 heads, both bundled models).
    for (const r of [fixed, dflt]) {
      expect(r.errors).toEqual([]);
      expect(r.inferences).toBe(WARMUP + ANALYSES);
      expect(r.headsPosted).toBe((WARMUP + ANALYSES) * 32);
    }
    expect(fixed.samples.length).toBe(ANALYSES / SAMPLE_EVERY + 1);
    expect(f.growthMb).toBeLessThan(20);
    expect(f.heapGrowthMb).toBeLessThan(5);
    // The leak detector is the fixed-threshold process above (< 20 MB). The default allocator's RSS depends on how
    // the test files beside it load the machine: 2–8 MB alone, 12.4 and 32.1 MB in two full CI runs (the latter in
    // steps of ~12 MB, its JS heap and external memory flat, the fixed-threshold process 6.6 MB in the same run).
    // Its bound says what the extension host's allocator may keep; a leak of the analyses themselves (≥ 0.5 MB each
    // here) would pass it by an order of magnitude.
    expect(d.growthMb).toBeLessThan(50);
    expect(d.heapGrowthMb).toBeLessThan(5);
  }, 900_000);
});
