/**
 * Section 1: inference per model and n, beside a bare onnxruntime MatMul of the same FLOPs, measured
 * interleaved in the same run (model run, MatMul run, model run, ...) so both see the same machine load.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { buildAttentionBias } from '../src/attention/mask';
import { resolveMask } from '../src/common/mask';
import type { ModelManifest } from '../src/model/modelManifest';
import { ATTENTION_OUTPUTS, loadOrt, openSession, runModel, SESSION_OPTIONS, sessionSource } from '../src/model/modelRunner';
import type { Token } from '../src/tokenizer/byteLevelBpe';
import { log, median, round, summarize, type Summary } from './common';
import { matmulModel } from './onnxMatmul';
import { feedForwardWidth, inspectOnnx } from './onnxInspect';

export const SIZES = [64, 128, 256, 512] as const;

export interface FlopModel {
  layers: number;
  dModel: number;
  ff: number;
  ffSource: string;
  vocab: number | undefined;
}

export function flopModel(manifest: ModelManifest): FlopModel {
  const summary = inspectOnnx(manifest.modelPath);
  const ff = feedForwardWidth(summary, manifest.dModel, manifest.vocabSize);
  return {
    layers: manifest.layers,
    dModel: manifest.dModel,
    ff: ff ?? 4 * manifest.dModel,
    ffSource: ff ? 'read from the ONNX initializer shapes' : 'assumed 4·d_model (no initializer paired with d_model found)',
    vocab: manifest.vocabSize,
  };
}

/** FLOPs of one forward pass at n tokens (multiply-add = 2 FLOPs); the LM head only when it is computed. */
export function countFlops(f: FlopModel, n: number, withLmHead: boolean): { total: number; perLayer: Record<string, number>; lmHead: number } {
  const d = f.dModel;
  const perLayer = {
    qkv: 3 * 2 * n * d * d,
    scores: 2 * n * n * d,
    weightedValues: 2 * n * n * d,
    outProjection: 2 * n * d * d,
    feedForward: 2 * 2 * n * d * f.ff,
  };
  const layer = Object.values(perLayer).reduce((a, b) => a + b, 0);
  const lmHead = f.vocab ? 2 * n * d * f.vocab : 0;
  return { total: f.layers * layer + (withLmHead ? lmHead : 0), perLayer, lmHead };
}

export interface LogitsCheck {
  /** Whether onnxruntime ran the LM head although `logits` was not in the fetches. */
  computedWhenNotFetched: boolean | null;
  method: string;
  lmHeadKernelUs?: number;
  detail?: string;
}

/**
 * Does onnxruntime compute `logits` when only the attention outputs are fetched? Answered from onnxruntime's own
 * profile of one run with the runner's fetches: is there a kernel whose output has the vocabulary dimension?
 */
export async function checkLogitsComputed(manifest: ModelManifest, ids: number[], bias: Float32Array): Promise<LogitsCheck> {
  const ort = await loadOrt();
  const dir = os.tmpdir();
  const prefix = `attention-lens-bench-profile-${process.pid}-${manifest.id}`;
  const method = 'onnxruntime profile (enableProfiling) of one run fetching only attentions/queries/keys/values: kernels with a vocab-sized output';
  let session: Ort.InferenceSession | undefined;
  try {
    // The graph the runner really runs for the panel (without the LM head, when it can be pruned).
    const { source } = await sessionSource(manifest.modelPath, false);
    session = await openSession(source, { ...SESSION_OPTIONS, enableProfiling: true, profileFilePrefix: path.join(dir, prefix) });
    const n = ids.length;
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]),
      attention_bias: new ort.Tensor('float32', bias, [n, n]),
    };
    await session.run(feeds, [...ATTENTION_OUTPUTS]);
    session.endProfiling();
    const file = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.json'));
    if (!file) return { computedWhenNotFetched: null, method, detail: 'no profile file was written' };
    const events = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Array<{
      cat?: string;
      name?: string;
      dur?: number;
      args?: { op_name?: string; output_type_shape?: unknown };
    }>;
    rmSync(path.join(dir, file), { force: true });
    const vocab = manifest.vocabSize ?? -1;
    let kernelUs = 0;
    const ops = new Set<string>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
      const shapes = JSON.stringify(e.args?.output_type_shape ?? []);
      if (new RegExp(`\\b${vocab}\\b`).test(shapes)) {
        kernelUs += e.dur ?? 0;
        ops.add(`${e.args?.op_name ?? '?'} (${e.name.replace(/_kernel_time$/, '')})`);
      }
    }
    return {
      computedWhenNotFetched: ops.size > 0,
      method,
      lmHeadKernelUs: kernelUs,
      detail: ops.size > 0 ? `ran: ${[...ops].join(', ')}` : 'no kernel with a vocab-sized output ran',
    };
  } catch (e) {
    return { computedWhenNotFetched: null, method, detail: `profiling failed: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    await session?.release().catch(() => undefined);
  }
}

export interface InferenceRow {
  n: number;
  modelMs: Summary;
  flops: number;
  gflops: number;
  matmul: { shape: string; flops: number; ms: Summary; gflops: number };
  /** median over the runs of model time / the MatMul run beside it: 1 = at the floor; the target is ≤ 2. */
  ratioToMatmul: number;
  /** model median / MatMul median */
  ratioOfMedians: number;
}

export interface InferenceSection {
  model: string;
  layers: number;
  heads: number;
  dModel: number;
  ff: number;
  ffSource: string;
  vocab: number | undefined;
  logits: LogitsCheck & { counted: boolean; fetchedVsNotAt512?: { withLogitsMs: number; withoutLogitsMs: number } };
  rows: InferenceRow[];
}

/** Ids and bias at each size from the corpus tokens (the first n tokens). */
export function inputsAt(manifest: ModelManifest, tokens: readonly Token[], n: number): { ids: number[]; bias: Float32Array } {
  const { mask } = resolveMask(manifest.kind, 'default');
  return { ids: tokens.slice(0, n).map((t) => t.id), bias: buildAttentionBias(n, mask) };
}

export async function benchInference(manifest: ModelManifest, tokens: readonly Token[], runs: number): Promise<InferenceSection> {
  const ort = await loadOrt();
  const fm = flopModel(manifest);
  const probe = inputsAt(manifest, tokens, 128);
  const logits = await checkLogitsComputed(manifest, probe.ids, probe.bias);
  const counted = logits.computedWhenNotFetched !== false; // unknown: counted, the conservative choice for the ratio
  log(`${manifest.id}: logits computed when not fetched: ${logits.computedWhenNotFetched} (${logits.detail ?? ''})`);
  const rows: InferenceRow[] = [];
  let fetchedVsNot: { withLogitsMs: number; withoutLogitsMs: number } | undefined;
  for (const n of SIZES) {
    if (tokens.length < n) continue;
    const { ids, bias } = inputsAt(manifest, tokens, n);
    const flops = countFlops(fm, n, counted).total;
    const cols = Math.max(1, Math.round(flops / (2 * n * fm.dModel)));
    const mmFlops = 2 * n * fm.dModel * cols;
    const mm = await ort.InferenceSession.create(matmulModel(n, fm.dModel, cols), SESSION_OPTIONS);
    const a = new ort.Tensor('float32', Float32Array.from({ length: n * fm.dModel }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), [n, fm.dModel]);
    const runMatmul = async (): Promise<number> => {
      const t0 = performance.now();
      await mm.run({ A: a });
      return performance.now() - t0;
    };
    const runOnce = async (): Promise<number> => (await runModel(manifest, ids, bias)).inferenceMs;
    for (let i = 0; i < 2; i++) {
      await runOnce();
      await runMatmul();
    }
    const modelMs: number[] = [];
    const matmulMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate which goes first so neither always runs right after the other.
      if (i % 2 === 0) {
        modelMs.push(await runOnce());
        matmulMs.push(await runMatmul());
      } else {
        matmulMs.push(await runMatmul());
        modelMs.push(await runOnce());
      }
    }
    if (n === 512) {
      const w: number[] = [];
      const wo: number[] = [];
      for (let i = 0; i < 4; i++) {
        w.push((await runModel(manifest, ids, bias, { logits: true })).inferenceMs);
        wo.push(await runOnce());
      }
      fetchedVsNot = { withLogitsMs: round(summarize(w).median, 1), withoutLogitsMs: round(summarize(wo).median, 1) };
    }
    await mm.release();
    const ms = summarize(modelMs);
    const mms = summarize(matmulMs);
    rows.push({
      n,
      modelMs: ms,
      flops,
      gflops: round(flops / (ms.median * 1e6), 2),
      matmul: { shape: `[${n},${fm.dModel}]×[${fm.dModel},${cols}]`, flops: mmFlops, ms: mms, gflops: round(mmFlops / (mms.median * 1e6), 2) },
      ratioToMatmul: round(median(modelMs.map((m, i) => m / matmulMs[i])), 2),
      ratioOfMedians: round(ms.median / mms.median, 2),
    });
    log(`${manifest.id} n=${n}: model ${ms.median} ms, MatMul ${mms.median} ms, ratio ${rows[rows.length - 1].ratioToMatmul}`);
  }
  return {
    model: manifest.id,
    layers: manifest.layers,
    heads: manifest.heads,
    dModel: fm.dModel,
    ff: fm.ff,
    ffSource: fm.ffSource,
    vocab: fm.vocab,
    logits: { ...logits, counted, fetchedVsNotAt512: fetchedVsNot },
    rows,
  };
}
