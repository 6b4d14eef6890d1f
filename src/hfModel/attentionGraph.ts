/**
 * Finds each layer's attention probabilities in an ordinary (TorchScript-exported) Hugging Face ONNX graph and
 * rewrites the graph so onnxruntime returns them as outputs `attentions.0` … `attentions.{L-1}`, float32
 * [1, heads, n, n]. See ../../shared notes "hf-onnx-exports" for why this works: eager and SDPA attention both export
 * as a rank-4 Softmax whose output (possibly through Cast or Where(IsNaN)) is the left input of a MatMul with V,
 * and onnxruntime's fusions skip a node whose output is a graph output.
 */
import { concatBytes, lengthDelimited, rawFields, varintBytes, withoutOutputs, type RawField } from '../model/onnxProto';
import { elementTypes, ELEM, GRAPH, MODEL, readOnnxGraph, subgraphOps, type OnnxNode, type ReadGraph } from './onnxGraphRead';

export class AttentionGraphError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'AttentionGraphError';
  }
}

/** Fused attention ops that hide the probabilities; the key is the op type, the value what to do instead. */
const FUSED_OPS: Record<string, string> = {
  Attention: 'a fused attention op',
  MultiHeadAttention: 'a fused attention op',
  GroupQueryAttention: 'a fused grouped-query attention op (onnxruntime-genai builds use it)',
  PackedAttention: 'a fused attention op',
  PackedMultiHeadAttention: 'a fused attention op',
  DecoderMaskedMultiHeadAttention: 'a fused decoder attention op',
  DecoderMaskedSelfAttention: 'a fused decoder attention op',
  SparseAttention: 'a fused sparse attention op',
  LongformerAttention: 'a fused attention op',
};

const HOW_TO_UNFUSE =
  'Export without fusion: `optimum-cli export onnx --model <id> <folder>` without `--optimize`, or use the unoptimised `onnx/model.onnx` of a transformers.js repository.';

/** Ops an attention tensor may pass through between its Softmax and the MatMul with V. */
const PASS_THROUGH = new Set(['Cast', 'Where', 'Identity', 'Dropout']);

/** Where each layer's attention is found in a graph. */
export interface AttentionSites {
  /** Tensor names, one per layer in layer order. */
  tensors: string[];
  /** Whether the tensors are already graph outputs (`attentions.N`), so nothing is rewritten. */
  existing: boolean;
  /** How the order was decided (reported to the person and in tests). */
  order: 'existing outputs' | 'module path' | 'topological';
}

/** Layer number from a TorchScript node name's module path: `/model/layers.3/…`, `/h.5/…`, `/encoder/layer.2/…`. */
export function layerFromName(name: string): number | undefined {
  const m = /(?:^|[/.])(?:layers|layer|h|blocks|block)\.(\d+)(?:[/.]|$)/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** True when the tensor `t` reaches the left input of a MatMul through at most a few pass-through ops. */
function feedsMatMulLeft(t: string, consumers: Map<string, OnnxNode[]>, depth = 0): boolean {
  if (depth > 4) return false;
  for (const c of consumers.get(t) ?? []) {
    if (c.op === 'MatMul' && c.inputs[0] === t) return true;
    // Where(IsNaN(p), 0, p): p is the value taken where the condition is false (input 2); Cast/Identity: input 0.
    const passes = PASS_THROUGH.has(c.op) && (c.op === 'Where' ? c.inputs[2] === t || c.inputs[1] === t : c.inputs[0] === t);
    if (passes && c.outputs[0] && feedsMatMulLeft(c.outputs[0], consumers, depth + 1)) return true;
  }
  return false;
}

/**
 * The attention tensors of `g`, one per layer, checked against `layers` from config.json. `file` names the model in
 * errors. Throws AttentionGraphError for a fused op, attention only inside a subgraph, none found, or a count that
 * does not match.
 */
export function findAttention(model: Uint8Array, g: ReadGraph, file: string, layers: number): AttentionSites {
  const existing = g.outputs.filter((o) => /^attentions\.\d+$/.test(o));
  if (existing.length) {
    const tensors = existing.sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    if (tensors.length !== layers) {
      throw new AttentionGraphError(file, `has ${tensors.length} outputs attentions.N but config.json says ${layers} layers`);
    }
    return { tensors, existing: true, order: 'existing outputs' };
  }
  const fused = g.nodes.find((n) => FUSED_OPS[n.op] !== undefined && (n.domain === 'com.microsoft' || n.domain === '' || n.domain === 'ai.onnx'));
  if (fused) {
    const where = fused.domain === 'com.microsoft' ? `com.microsoft.${fused.op}` : `the ONNX ${fused.op} op`;
    throw new AttentionGraphError(
      file,
      `its attention is ${FUSED_OPS[fused.op]} (${where}, node "${fused.name || fused.outputs[0]}"), which does not give the attention probabilities. ${HOW_TO_UNFUSE}`,
    );
  }
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of g.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const candidates = g.nodes.filter((n) => {
    if (n.op !== 'Softmax' || !n.outputs[0]) return false;
    const rank = g.declaredRanks.get(n.outputs[0]);
    if (rank !== undefined && rank !== 4) return false;
    return feedsMatMulLeft(n.outputs[0], consumers);
  });
  if (!candidates.length) {
    const inSubgraph = g.nodes.find((n) => n.subgraphs.length && n.subgraphs.some((s) => subgraphOps(model, s).includes('Softmax')));
    if (inSubgraph) {
      throw new AttentionGraphError(
        file,
        `its attention is inside the subgraphs of the ${inSubgraph.op} node "${inSubgraph.name}" (a merged decoder with and without the key/value cache), which cannot be exposed. Open the folder's decoder_model.onnx or model.onnx instead.`,
      );
    }
    throw new AttentionGraphError(
      file,
      'has no attention to show: no Softmax whose output feeds the left input of a MatMul (the attention probabilities times V) was found. Is it a transformer exported with torch.onnx / optimum-cli export onnx?',
    );
  }
  const numbered = candidates.map((n) => ({ n, layer: layerFromName(n.name) }));
  const layerNumbers = numbered.map((x) => x.layer);
  const byPath = layerNumbers.every((l) => l !== undefined) && new Set(layerNumbers).size === candidates.length;
  // Module-path order when every Softmax names a distinct layer; otherwise file order, which is topological.
  const ordered = byPath ? [...numbered].sort((a, b) => (a.layer as number) - (b.layer as number)).map((x) => x.n) : candidates;
  if (ordered.length !== layers) {
    throw new AttentionGraphError(
      file,
      `has ${ordered.length} attention Softmax node(s) (${ordered.slice(0, 3).map((n) => n.name || n.outputs[0]).join(', ')}${ordered.length > 3 ? ', …' : ''}) but config.json says ${layers} layers`,
    );
  }
  return { tensors: ordered.map((n) => n.outputs[0]), existing: false, order: byPath ? 'module path' : 'topological' };
}

const enc = new TextEncoder();
const decoder = new TextDecoder();

function floatOutputInfo(name: string): Uint8Array[] {
  // ValueInfoProto { name, type: TypeProto { tensor_type { elem_type: FLOAT } } }; the shape is left to inference.
  const type = concatBytes(lengthDelimited(1, [Uint8Array.from([0x08, ELEM.float])]));
  return lengthDelimited(GRAPH.output, [concatBytes([...lengthDelimited(1, [enc.encode(name)]), ...lengthDelimited(2, [type])])]);
}

/** NodeProto `op`(inputs) → outputs named `name`, with an optional integer attribute (Cast's `to`). */
function nodeBytes(op: string, inputs: string[], outputs: string[], name: string, intAttr?: [string, number]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const i of inputs) parts.push(...lengthDelimited(1, [enc.encode(i)]));
  for (const o of outputs) parts.push(...lengthDelimited(2, [enc.encode(o)]));
  parts.push(...lengthDelimited(3, [enc.encode(name)]), ...lengthDelimited(4, [enc.encode(op)]));
  if (intAttr) {
    // AttributeProto { name, i, type: INT (2) }
    const attr = concatBytes([...lengthDelimited(1, [enc.encode(intAttr[0])]), Uint8Array.from([0x18, ...varintBytes(intAttr[1])]), Uint8Array.from([0xa0, 0x01, 0x02])]);
    parts.push(...lengthDelimited(5, [attr]));
  }
  return concatBytes(lengthDelimited(GRAPH.node, [concatBytes(parts)]));
}

/** A graph input ValueInfoProto of element type `elem` with symbolic dims (here [n, n]). */
function inputInfo(name: string, elem: number, dims: string[]): Uint8Array[] {
  const dimParts = dims.map((d) => concatBytes(lengthDelimited(1, [concatBytes(lengthDelimited(2, [enc.encode(d)]))])));
  const shape = concatBytes(dimParts);
  const tensorType = concatBytes([Uint8Array.from([0x08, elem]), ...lengthDelimited(2, [shape])]);
  const type = concatBytes(lengthDelimited(1, [tensorType]));
  return lengthDelimited(GRAPH.input, [concatBytes([...lengthDelimited(1, [enc.encode(name)]), ...lengthDelimited(2, [type])])]);
}

/** The n×n additive mask input the rewrite adds before each Softmax (see exposeAttention's `attentionBias`). */
export const BIAS_INPUT = 'attention_bias';

/**
 * The node `f` with its input and output names in `renamed` replaced (and, for its inputs only, those in
 * `inputsOnly`); every other field copied as it is.
 */
function renameInNode(model: Uint8Array, f: RawField, renamed: ReadonlyMap<string, string>, inputsOnly?: ReadonlyMap<string, string>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const x of rawFields(model, f.start!, f.end!)) {
    const name = x.wire === 2 && (x.field === 1 || x.field === 2) ? decoder.decode(model.subarray(x.start, x.end)) : undefined;
    const to = name !== undefined ? ((x.field === 1 ? inputsOnly?.get(name) : undefined) ?? renamed.get(name)) : undefined;
    if (to !== undefined) parts.push(...lengthDelimited(x.field, [enc.encode(to)]));
    else parts.push(model.subarray(x.from, x.to));
  }
  return concatBytes(parts);
}

export interface RewriteResult {
  bytes: Uint8Array;
  /** Output names of the attention, one per layer, in layer order. */
  outputs: string[];
  sites: AttentionSites;
  /** Layers whose attention was float16 (or of an unknown type) and is cast to float32 by an added node. */
  cast: number;
  /** Whether the graph takes the input `attention_bias` [n, n], added to every layer's scores before the Softmax. */
  biasInput: boolean;
}

export interface RewriteOptions {
  /** Original outputs to keep (e.g. `logits`); the others are dropped with the nodes only they need. Default: all. */
  keepOutputs?: readonly string[];
  /** Cast every layer's attention to float32, even where it seems float32 already (a type guessed wrongly). */
  forceCast?: boolean;
  /**
   * Add an input `attention_bias` [n, n] to each layer's scores right before its Softmax, so any additive mask can
   * be applied on top of the model's own (which stays: a causal model's future stays hidden whatever is added).
   */
  attentionBias?: boolean;
}

/**
 * The model with each layer's attention declared as a float32 graph output `attentions.N` and, when
 * `keepOutputs` is given, every other original output not listed there removed with the nodes only it needed
 * (onnxruntime runs every node whatever is fetched, so the LM head and the key/value presents would cost time).
 * A float16 attention tensor (or one whose type cannot be told) is cast to float32 by an added node; a float32 one
 * is renamed `attentions.N` where the Softmax writes it, with no copy. `forceCast` casts every one (used when a type was guessed wrongly).
 */
export function exposeAttention(model: Uint8Array, file: string, layers: number, options: RewriteOptions = {}): RewriteResult {
  const { keepOutputs, forceCast = false } = options;
  const g = readOnnxGraph(model);
  const sites = findAttention(model, g, file, layers);
  let bytes = model;
  let outputs = sites.tensors;
  let cast = 0;
  let biasInput = false;
  if (!sites.existing) {
    const types = elementTypes(g);
    const hasSubgraphs = g.nodes.some((n) => n.subgraphs.length > 0);
    const addedNodes: Uint8Array[] = [];
    const addedOutputs: Uint8Array[] = [];
    const addedInputs: Uint8Array[] = [];
    const renamed = new Map<string, string>();
    // The bias goes in front of each Softmax: nodes inserted right before it (topological order kept), the
    // Softmax reading the biased scores. Only where every score tensor's type is known (float32 or float16).
    const softmaxOf = new Map(g.nodes.filter((n) => n.op === 'Softmax').map((n) => [n.outputs[0], n]));
    const before = new Map<RawField, Uint8Array[]>();
    const softmaxInputs = new Map<RawField, Map<string, string>>();
    const scoreTypes = sites.tensors.map((t) => types.get(softmaxOf.get(t)?.inputs[0] ?? ''));
    if (options.attentionBias && !g.inputs.includes(BIAS_INPUT) && scoreTypes.every((t) => t === ELEM.float || t === ELEM.float16)) {
      biasInput = true;
      addedInputs.push(...inputInfo(BIAS_INPUT, ELEM.float, ['sequence_length', 'sequence_length']));
      let castBias: string | undefined;
      sites.tensors.forEach((t, i) => {
        const sm = softmaxOf.get(t) as OnnxNode;
        const nodes: Uint8Array[] = [];
        let bias = BIAS_INPUT;
        if (scoreTypes[i] === ELEM.float16) {
          if (!castBias) {
            castBias = 'attention_lens/attention_bias_fp16';
            nodes.push(nodeBytes('Cast', [BIAS_INPUT], [castBias], 'attention_lens/cast_attention_bias', ['to', ELEM.float16]));
          }
          bias = castBias;
        }
        const biased = `attention_lens/biased_scores.${i}`;
        nodes.push(nodeBytes('Add', [sm.inputs[0], bias], [biased], `attention_lens/add_attention_bias.${i}`));
        before.set(sm.field, nodes);
        softmaxInputs.set(sm.field, new Map([[sm.inputs[0], biased]]));
      });
    }
    outputs = sites.tensors.map((t, i) => {
      const out = `attentions.${i}`;
      addedOutputs.push(...floatOutputInfo(out));
      if (types.get(t) === ELEM.float && !forceCast && !hasSubgraphs) {
        // The Softmax's own output takes the name `attentions.N` (and its readers with it): no copy of the
        // n² × heads floats, and the cached graph says by itself where each layer's attention is.
        renamed.set(t, out);
      } else {
        // float16 (or a type that cannot be told): cast to float32. With subgraphs, names may be read out of
        // sight, so nothing is renamed there either: Cast to float32 (a copy when it already is float32).
        cast++;
        addedNodes.push(nodeBytes('Cast', [t], [out], `attention_lens/cast_attentions.${i}`, ['to', ELEM.float]));
      }
      return out;
    });
    let lastNode = -1;
    let lastOutput = -1;
    let lastInput = -1;
    g.fields.forEach((f, i) => {
      if (f.field === GRAPH.node && f.wire === 2) lastNode = i;
      if (f.field === GRAPH.output && f.wire === 2) lastOutput = i;
      if (f.field === GRAPH.input && f.wire === 2) lastInput = i;
    });
    const byField = new Map(g.nodes.map((n) => [n.field, n]));
    const parts: Uint8Array[] = [];
    g.fields.forEach((f, i) => {
      const node = byField.get(f);
      parts.push(...(before.get(f) ?? []));
      const inputsOnly = softmaxInputs.get(f);
      if (node && (inputsOnly || (renamed.size && [...node.inputs, ...node.outputs].some((x) => renamed.has(x))))) {
        parts.push(...lengthDelimited(GRAPH.node, [renameInNode(model, f, renamed, inputsOnly)]));
      } else parts.push(model.subarray(f.from, f.to));
      if (i === lastNode) parts.push(...addedNodes);
      if (i === lastOutput) parts.push(...addedOutputs);
      if (i === lastInput) parts.push(...addedInputs);
    });
    const top: Uint8Array[] = [];
    for (const f of g.top) {
      if (f === g.graph) top.push(...lengthDelimited(MODEL.graph, parts));
      else top.push(model.subarray(f.from, f.to));
    }
    bytes = concatBytes(top);
  }
  if (keepOutputs) {
    const keep = new Set([...outputs, ...keepOutputs]);
    const drop = g.outputs.filter((o) => !keep.has(o));
    if (drop.length) bytes = withoutOutputs(bytes, drop) ?? bytes;
  }
  return { bytes, outputs, sites, cast, biasInput };
}
