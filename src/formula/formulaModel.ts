/**
 * What the formula steps need from a model file: each layer's weights (LayerNorm before attention, the fused
 * q/k/v projection, the output projection W_O) and the names of four tensors inside the graph (the residual stream
 * entering the layer, its LayerNorm output X, the attention block's output, the residual sum after it).
 *
 * How they are found (models/README.md, "Formula steps"): by the parameter names that torch.onnx.export gives the
 * modules of models/training/model.py — `model.blocks.{l}.ln1.weight|bias`, `model.blocks.{l}.attn.qkv.weight|bias`
 * ([3·d_model, d_model], rows q | k | v, each head-major), `model.blocks.{l}.attn.out.weight|bias` — stored as
 * float32, or as float16 behind a Cast to float32 (readFloatInitializers follows it). The tensors are found from the
 * nodes that read those weights, so the exporter's internal node names do not matter. A model without them gets a
 * reason, and the panel shows those steps as unavailable.
 */
import { readFile } from 'node:fs/promises';
import type { ModelManifest } from '../model/modelManifest';
import { graphNodes, readFloatInitializers, type FloatTensor, type GraphNode } from '../model/onnxProto';

export interface FormulaLayer {
  lnWeight: Float32Array;
  lnBias: Float32Array;
  lnEpsilon: number;
  /** [3·d, d] (PyTorch Linear layout: out × in) */
  qkvWeight: Float32Array;
  qkvBias: Float32Array | null;
  /** [d, d] */
  outWeight: Float32Array;
  outBias: Float32Array | null;
  /** graph tensor names, added as outputs of the formula session */
  residualIn: string;
  lnOut: string;
  attentionOut: string;
  residualOut: string;
}

export type FormulaModel = { ok: true; layers: FormulaLayer[] } | { ok: false; reason: 'noWeights' | 'notRotary'; detail: string };

const names = (l: number) => ({
  lnWeight: `model.blocks.${l}.ln1.weight`,
  lnBias: `model.blocks.${l}.ln1.bias`,
  qkvWeight: `model.blocks.${l}.attn.qkv.weight`,
  qkvBias: `model.blocks.${l}.attn.qkv.bias`,
  outWeight: `model.blocks.${l}.attn.out.weight`,
  outBias: `model.blocks.${l}.attn.out.bias`,
});

/** The node that produces `name`, through Transposes/Casts of a weight (a MatMul reads W via Transpose(Cast(W))). */
function consumers(nodes: GraphNode[], name: string): GraphNode[] {
  return nodes.filter((n) => n.inputs.includes(name));
}

function findLayer(nodes: GraphNode[], inits: Map<string, FloatTensor>, l: number, d: number): FormulaLayer | string {
  const nm = names(l);
  const need = (key: keyof typeof nm, dims: number[]): FloatTensor | string => {
    const t = inits.get(nm[key]);
    if (!t) return `no initializer ${nm[key]}`;
    if (t.dims.length !== dims.length || t.dims.some((x, i) => x !== dims[i])) return `${nm[key]} has shape [${t.dims.join(', ')}], expected [${dims.join(', ')}]`;
    return t;
  };
  const lnW = need('lnWeight', [d]);
  const lnB = need('lnBias', [d]);
  const qkvW = need('qkvWeight', [3 * d, d]);
  const outW = need('outWeight', [d, d]);
  for (const x of [lnW, lnB, qkvW, outW]) if (typeof x === 'string') return x;
  const qkvB = inits.get(nm.qkvBias) ?? null;
  const outB = inits.get(nm.outBias) ?? null;

  const ln = nodes.find((n) => n.op === 'LayerNormalization' && n.inputs[1] === nm.lnWeight);
  if (!ln) return `no LayerNormalization node reads ${nm.lnWeight}`;
  // The attention block's output: the Add of the output bias, or (without one) the MatMul that reads W_O.
  let attentionOut: string | undefined;
  if (outB) attentionOut = consumers(nodes, nm.outBias).find((n) => n.op === 'Add')?.outputs[0];
  else {
    let front = [nm.outWeight];
    for (let hop = 0; hop < 3 && !attentionOut; hop++) {
      const next = front.flatMap((name) => consumers(nodes, name));
      attentionOut = next.find((n) => n.op === 'MatMul')?.outputs[0];
      front = next.filter((n) => n.op === 'Transpose' || n.op === 'Cast').map((n) => n.outputs[0]);
    }
  }
  if (!attentionOut) return `no node adds the output projection of layer ${l}`;
  const residualIn = ln.inputs[0];
  const residual = nodes.find((n) => n.op === 'Add' && n.inputs.includes(residualIn) && n.inputs.includes(attentionOut));
  if (!residual) return `no residual Add after the attention of layer ${l}`;
  return {
    lnWeight: (lnW as FloatTensor).data,
    lnBias: (lnB as FloatTensor).data,
    lnEpsilon: ln.floats.epsilon ?? 1e-5,
    qkvWeight: (qkvW as FloatTensor).data,
    qkvBias: qkvB && qkvB.data.length === 3 * d ? qkvB.data : null,
    outWeight: (outW as FloatTensor).data,
    outBias: outB && outB.data.length === d ? outB.data : null,
    residualIn,
    lnOut: ln.outputs[0],
    attentionOut,
    residualOut: residual.outputs[0],
  };
}

/** Reads the weights and tensor names of every layer, or says why the formula steps cannot be shown. */
export function formulaModelFrom(bytes: Uint8Array, manifest: Pick<ModelManifest, 'layers' | 'dModel' | 'positional'>): FormulaModel {
  if (manifest.positional !== 'rotary') {
    return { ok: false, reason: 'notRotary', detail: `model.json says positional "${manifest.positional}"; the formula steps know rotary positions only` };
  }
  const nodes = graphNodes(bytes);
  const wanted = Array.from({ length: manifest.layers }, (_, l) => Object.values(names(l))).flat();
  let inits: Map<string, FloatTensor>;
  try {
    inits = readFloatInitializers(bytes, wanted);
  } catch (e) {
    return { ok: false, reason: 'noWeights', detail: `the weights could not be read (${(e as Error).message})` };
  }
  const layers: FormulaLayer[] = [];
  for (let l = 0; l < manifest.layers; l++) {
    const layer = findLayer(nodes, inits, l, manifest.dModel);
    if (typeof layer === 'string') return { ok: false, reason: 'noWeights', detail: `${layer} (see models/README.md, "Formula steps")` };
    layers.push(layer);
  }
  return { ok: true, layers };
}

const cache = new Map<string, Promise<{ bytes: Uint8Array; model: FormulaModel }>>();

/** The model file's bytes and formula weights, read once per file. */
export function loadFormulaModel(manifest: ModelManifest): Promise<{ bytes: Uint8Array; model: FormulaModel }> {
  let p = cache.get(manifest.modelPath);
  if (!p) {
    p = readFile(manifest.modelPath).then((buf) => {
      const bytes = new Uint8Array(buf);
      return { bytes, model: formulaModelFrom(bytes, manifest) };
    });
    cache.set(manifest.modelPath, p);
    p.catch(() => cache.delete(manifest.modelPath));
  }
  return p;
}

export function clearFormulaModels(): void {
  cache.clear();
}
