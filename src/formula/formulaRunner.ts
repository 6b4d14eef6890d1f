/**
 * The formula steps of one analysis, on request: one extra run of the model in a session of its own, whose graph
 * declares the per-layer tensors of formulaModel.ts as extra outputs (and drops logits and the LM head, like the
 * panel's session). The panel's attention-only session is untouched, so analyses stay as fast as they were; this
 * run happens only when the computation view asks, once per analysis (every layer's tensors come from it), and the
 * per-token numbers are then computed here in float64 from the model's own float32 tensors and weights.
 */
import type * as Ort from 'onnxruntime-node';
import { headIndex } from '../common/heads';
import { distanceScores, maxAbsDiff, MAX_TOKENS_WITH_FORMULA, rotate, ROTARY_BASE, type FormulaHead, type FormulaPayload, type FormulaRecord } from '../common/formula';
import type { ModelManifest } from '../model/modelManifest';
import { loadOrt, openSession, SESSION_OPTIONS } from '../model/modelRunner';
import { withExtraOutputs, withFloat32Weights } from '../model/onnxProto';
import type { AnalysisResult } from '../pipeline/analyze';
import type { FormulaDataMessage, Slot } from '../protocol/messages';
import { loadFormulaModel, type FormulaLayer } from './formulaModel';

/** The model's own per-layer tensors for one analysis, each [n, d_model]. */
export interface FormulaRun {
  layers: FormulaLayer[];
  tensors: Map<string, Float32Array>;
  /** Per layer, what every query of it shares (keys before rotation, the all-token checks): computed once. */
  keyed?: Map<number, LayerKeys>;
}

/** Per head of one layer: X_j·W_K + b_K for every token j, and the checks over every token. */
interface LayerKeys {
  kPre: number[][][];
  valueError: number[];
  keyRotaryError: number[];
}

const sessions = new Map<string, Promise<Ort.InferenceSession>>();

async function formulaSession(manifest: ModelManifest, bytes: Uint8Array, layers: FormulaLayer[]): Promise<Ort.InferenceSession> {
  let p = sessions.get(manifest.modelPath);
  if (!p) {
    const extra = layers.flatMap((l) => [l.residualIn, l.lnOut, l.attentionOut, l.residualOut]);
    // float32 weights as the runner's sessions have them (withFloat32Weights says why)
    p = openSession(withExtraOutputs(withFloat32Weights(bytes) ?? bytes, extra, ['logits']), SESSION_OPTIONS);
    sessions.set(manifest.modelPath, p);
    p.catch(() => sessions.delete(manifest.modelPath));
  }
  return p;
}

export async function releaseFormulaSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map((p) => p.then((s) => s.release()).catch(() => undefined)));
}

/** The per-layer tensors of one run (by graph name, each [n, d_model]), or why the model cannot give them. */
export type FormulaTensors = { ok: true; tensors: Record<string, Float32Array> } | Extract<FormulaPayload, { ok: false }>;

/**
 * Where the formula session runs: an inference backend that offers `runFormula` (the extension's worker,
 * workerClient.ts) runs it there, so the extra run does not hold the extension host's thread; a backend without
 * it (the in-process one: the CLI's page, tests) leaves it to this thread.
 */
export interface FormulaBackend {
  runFormula?(manifest: ModelManifest, ids: ArrayLike<number>, bias: Float32Array): Promise<FormulaTensors>;
}

/** Runs the formula session (graph with the per-layer tensors as outputs) on this thread. */
export async function formulaTensors(manifest: ModelManifest, ids: ArrayLike<number>, bias: Float32Array): Promise<FormulaTensors> {
  const { bytes, model } = await loadFormulaModel(manifest);
  if (!model.ok) return { ok: false, reason: model.reason, detail: model.detail };
  const ort = await loadOrt();
  const session = await formulaSession(manifest, bytes, model.layers);
  const n = ids.length;
  const idData = new BigInt64Array(n);
  for (let i = 0; i < n; i++) idData[i] = BigInt(ids[i]);
  const names = [...new Set(model.layers.flatMap((l) => [l.residualIn, l.lnOut, l.attentionOut, l.residualOut]))];
  const out = await session.run(
    { input_ids: new ort.Tensor('int64', idData, [1, n]), attention_bias: new ort.Tensor('float32', bias, [n, n]) },
    names,
  );
  const tensors: Record<string, Float32Array> = {};
  for (const name of names) {
    const data = out[name].data as Float32Array;
    if (data.length !== n * manifest.dModel) throw new Error(`tensor ${name} has ${data.length} values, expected ${n}×${manifest.dModel}`);
    tensors[name] = data;
  }
  return { ok: true, tensors };
}

const runs = new WeakMap<AnalysisResult, Promise<FormulaRun | FormulaPayload>>();

/** Runs the formula session on the analysis' own input (ids and bias); one run per analysis, shared. */
export function formulaRun(r: AnalysisResult, backend: FormulaBackend = {}): Promise<FormulaRun | FormulaPayload> {
  let p = runs.get(r);
  if (!p) {
    p = (async (): Promise<FormulaRun | FormulaPayload> => {
      const got = await (backend.runFormula ? backend.runFormula(r.manifest, r.ids, r.bias) : formulaTensors(r.manifest, r.ids, r.bias));
      if (!got.ok) return got;
      // The weights are read here too (the worker has its own copy for its session): the numbers below need them.
      const { model } = await loadFormulaModel(r.manifest);
      if (!model.ok) return { ok: false, reason: model.reason, detail: model.detail };
      return { layers: model.layers, tensors: new Map(Object.entries(got.tensors)) };
    })();
    runs.set(r, p);
    // A failed run is not kept: the next request tries again.
    p.catch(() => runs.delete(r));
  }
  return p;
}

/** Every formula step of `layer` for query `token`, all heads, with the checks against the model's tensors. */
export function formulaRecord(r: AnalysisResult, run: FormulaRun, layer: number, token: number): FormulaRecord {
  const { n } = r;
  const { heads, headDim: hd, dModel: d } = r.manifest;
  const L = run.layers[layer];
  const row = (name: string, i: number): Float32Array => run.tensors.get(name)!.subarray(i * d, (i + 1) * d);
  const residualIn = row(L.residualIn, token);
  const lnModel = row(L.lnOut, token);

  // LayerNorm: (x − mean)/√(var + ε)·γ + β, population variance (as torch and ONNX compute it)
  let mean = 0;
  for (let c = 0; c < d; c++) mean += residualIn[c];
  mean /= d;
  let variance = 0;
  for (let c = 0; c < d; c++) variance += (residualIn[c] - mean) ** 2;
  variance /= d;
  const inv = 1 / Math.sqrt(variance + L.lnEpsilon);
  const lnComputed = Array.from({ length: d }, (_, c) => (residualIn[c] - mean) * inv * L.lnWeight[c] + L.lnBias[c]);

  // Row `r0 + c` of the fused [3d, d] projection applied to X_j (the model's own X, so each step is checked alone).
  const project = (j: number, r0: number): number[] => {
    const x = row(L.lnOut, j);
    const out = new Array<number>(hd);
    for (let c = 0; c < hd; c++) {
      const w = (r0 + c) * d;
      let s = L.qkvBias ? L.qkvBias[r0 + c] : 0;
      for (let m = 0; m < d; m++) s += x[m] * L.qkvWeight[w + m];
      out[c] = s;
    }
    return out;
  };

  const vecOf = (h: number) => {
    const base = headIndex(layer, h, heads) * n;
    return (a: Float32Array, j: number): Float32Array => a.subarray((base + j) * hd, (base + j + 1) * hd);
  };
  // Every token's k and v of this layer, checked once per layer (n·d·d·2 multiply-adds, ~0.1 s at 512 tokens);
  // the queries of the same layer reuse them, so moving the focus costs little.
  run.keyed ??= new Map();
  let keys = run.keyed.get(layer);
  if (!keys) {
    keys = { kPre: [], valueError: [], keyRotaryError: [] };
    for (let h = 0; h < heads; h++) {
      const vec = vecOf(h);
      const kPres: number[][] = [];
      let valueError = 0;
      let rotaryError = 0;
      for (let j = 0; j < n; j++) {
        const kPre = project(j, d + h * hd);
        kPres.push(kPre);
        rotaryError = Math.max(rotaryError, maxAbsDiff(rotate(kPre, j), vec(r.keys, j)));
        valueError = Math.max(valueError, maxAbsDiff(project(j, 2 * d + h * hd), vec(r.values, j)));
      }
      keys.kPre.push(kPres);
      keys.valueError.push(valueError);
      keys.keyRotaryError.push(rotaryError);
    }
    run.keyed.set(layer, keys);
  }

  const headRecords: FormulaHead[] = [];
  for (let h = 0; h < heads; h++) {
    const vec = vecOf(h);
    const base = headIndex(layer, h, heads) * n;
    const weights = r.attentions.subarray((base + token) * n, (base + token + 1) * n);
    const qPre = project(token, h * hd);
    const rotaryError = Math.max(keys.keyRotaryError[h], maxAbsDiff(rotate(qPre, token), vec(r.queries, token)));
    const valueError = keys.valueError[h];
    const kPres = keys.kPre[h];
    let key = 0;
    const output = new Array<number>(hd).fill(0);
    for (let j = 0; j < n; j++) {
      if (weights[j] > weights[key]) key = j;
      const v = vec(r.values, j);
      for (let c = 0; c < hd; c++) output[c] += weights[j] * v[c];
    }
    headRecords.push({
      head: h,
      key,
      qPre,
      kPre: kPres[key],
      vPre: project(token, 2 * d + h * hd),
      qRot: rotate(qPre, token),
      kRot: rotate(kPres[key], key),
      distancePlot: distanceScores(qPre, kPres[key]),
      output,
      valueError,
      rotaryError,
    });
  }

  // Multi-head: concat(head outputs)·W_Oᵀ + b_O, against the attention block's output in the model.
  const concat = headRecords.flatMap((hr) => hr.output);
  const projected = Array.from({ length: d }, (_, o) => {
    let s = L.outBias ? L.outBias[o] : 0;
    for (let m = 0; m < d; m++) s += concat[m] * L.outWeight[o * d + m];
    return s;
  });
  const attentionModel = row(L.attentionOut, token);
  const residualModel = row(L.residualOut, token);
  const residualComputed = Array.from({ length: d }, (_, c) => residualIn[c] + attentionModel[c]);
  return {
    layer,
    token,
    headDim: hd,
    rotaryBase: ROTARY_BASE,
    residualIn: Array.from(residualIn),
    lnComputed,
    lnModel: Array.from(lnModel),
    lnError: maxAbsDiff(lnComputed, lnModel),
    heads: headRecords,
    projected,
    attentionModel: Array.from(attentionModel),
    projectionError: maxAbsDiff(projected, attentionModel),
    residualComputed,
    residualModel: Array.from(residualModel),
    residualError: maxAbsDiff(residualComputed, residualModel),
  };
}

/** The formula steps for the computation view, or why they cannot be shown. */
export async function formulaFor(r: AnalysisResult, layer: number, token: number, backend?: FormulaBackend): Promise<FormulaPayload> {
  if (layer < 0 || layer >= r.model.layers || token < 0 || token >= r.n) return { ok: false, reason: 'failed', detail: 'no such layer or token' };
  // The formula session reads one token list; a translation's graph reads a source and a target (its stacked layers
  // are not recorded per layer).
  if (r.translation) return { ok: false, reason: 'notRecorded', detail: 'the translation model records no per-layer tensors' };
  try {
    const run = await formulaRun(r, backend);
    if (!('tensors' in run)) return run;
    return { ok: true, record: formulaRecord(r, run, layer, token) };
  } catch (e) {
    return { ok: false, reason: 'failed', detail: (e as Error).message.split('\n')[0] };
  }
}


/** Six significant digits: the page shows three decimals, and the checks were measured before rounding. */
function compact(record: FormulaRecord): FormulaRecord {
  return JSON.parse(JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && v !== 0 && Number.isFinite(v) ? Number(v.toPrecision(6)) : v))) as FormulaRecord;
}

/**
 * The formula steps of every layer and token of a short analysis, as the messages the standalone page replays
 * (the page has no model to run); none for longer texts, where the page says the steps were not recorded.
 */
export async function recordFormulas(r: AnalysisResult, generation: number, slot: Slot): Promise<FormulaDataMessage[]> {
  if (r.n > MAX_TOKENS_WITH_FORMULA) return [];
  const out: FormulaDataMessage[] = [];
  for (let layer = 0; layer < r.model.layers; layer++) {
    for (let token = 0; token < r.n; token++) {
      const f = await formulaFor(r, layer, token);
      out.push({ type: 'formulaData', generation, slot, layer, token, formula: f.ok ? { ok: true, record: compact(f.record) } : f });
    }
  }
  return out;
}
