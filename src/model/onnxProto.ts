/**
 * Just enough of the protobuf wire format to read and rewrite an ONNX ModelProto without a protobuf library:
 * fields as byte ranges of the original buffer, so a rewrite copies every field it does not change verbatim.
 * Used by the runner (a graph without the LM head, see withoutOutputs) and the benchmark (rotary tables).
 */

/** One field of a message: its number, wire type and byte range. */
export interface RawField {
  field: number;
  wire: number;
  /** the whole field, tag included */
  from: number;
  to: number;
  /** payload of a length-delimited field */
  start?: number;
  end?: number;
}

/** The fields of the message in buf[start, end). Throws on a malformed buffer. */
export function rawFields(buf: Uint8Array, start: number, end: number): RawField[] {
  const out: RawField[] = [];
  let at = start;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (at >= end || i > 9) throw new Error('malformed protobuf: a varint runs past its message');
      const b = buf[at++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  };
  while (at < end) {
    const from = at;
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      varint();
      out.push({ field, wire, from, to: at });
    } else if (wire === 2) {
      const len = varint();
      if (at + len > end) throw new Error('malformed protobuf: a field runs past its message');
      out.push({ field, wire, from, to: at + len, start: at, end: at + len });
      at += len;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > end) throw new Error('malformed protobuf: a field runs past its message');
      out.push({ field, wire, from, to: at });
    } else throw new Error(`malformed protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

export function varintBytes(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return out;
}

/** A length-delimited field `field` holding `payload`, as parts to concatenate. */
export function lengthDelimited(field: number, payload: Uint8Array[]): Uint8Array[] {
  const len = payload.reduce((s, p) => s + p.length, 0);
  return [Uint8Array.from([...varintBytes(field * 8 + 2), ...varintBytes(len)]), ...payload];
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const decoder = new TextDecoder();
const text = (buf: Uint8Array, f: RawField): string => decoder.decode(buf.subarray(f.start, f.end));

// Field numbers of onnx.proto that are read here.
const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 };
const NODE = { input: 1, output: 2, attribute: 5 };
const ATTRIBUTE = { graph: 6, graphs: 11 };
const TENSOR_NAME = 8;
const VALUE_INFO_NAME = 1;

/** The model's top-level fields, its graph field and the graph's fields. */
function readGraph(model: Uint8Array): { top: RawField[]; graph: RawField; fields: RawField[] } {
  const top = rawFields(model, 0, model.length);
  const graph = top.find((f) => f.field === MODEL_GRAPH && f.wire === 2);
  if (!graph) throw new Error('no graph in the model');
  return { top, graph, fields: rawFields(model, graph.start!, graph.end!) };
}

/** The string field `nameField` of the message `f` (a tensor's or a value's name); '' when it has none. */
function nameOf(model: Uint8Array, f: RawField, nameField: number): string {
  const n = rawFields(model, f.start!, f.end!).find((x) => x.field === nameField && x.wire === 2);
  return n ? text(model, n) : '';
}

/** The names of the graph's fields of one kind (e.g. its outputs). */
function namesOf(model: Uint8Array, fields: RawField[], field: number, nameField: number): string[] {
  return fields.filter((f) => f.field === field && f.wire === 2).map((f) => nameOf(model, f, nameField));
}

/** Names of the graph's declared inputs and outputs (initializers excluded from the inputs). */
export function graphSignature(model: Uint8Array): { inputs: string[]; outputs: string[] } {
  const { fields } = readGraph(model);
  const initializers = new Set(namesOf(model, fields, GRAPH.initializer, TENSOR_NAME));
  return {
    inputs: namesOf(model, fields, GRAPH.input, VALUE_INFO_NAME).filter((n) => !initializers.has(n)),
    outputs: namesOf(model, fields, GRAPH.output, VALUE_INFO_NAME),
  };
}

/**
 * The same model without the outputs `drop` and without every node and initializer that only they needed.
 * onnxruntime computes all of a graph's nodes whatever the fetches: the LM head behind `logits` (n × d × vocab
 * multiply-adds, a third of the work at 512 tokens) ran on every analysis although the panel never reads it.
 * Returns null when the graph has subgraphs (If/Loop), where names can be used out of sight: then nothing is
 * pruned. Nodes are in topological order (the ONNX rule), so one backward pass finds what is needed.
 */
export function withoutOutputs(model: Uint8Array, drop: readonly string[]): Uint8Array | null {
  const { top, graph, fields } = readGraph(model);
  const dropped = new Set(drop);

  interface NodeInfo {
    f: RawField;
    inputs: string[];
    outputs: string[];
  }
  const nodes: NodeInfo[] = [];
  for (const f of fields) {
    if (f.field !== GRAPH.node || f.wire !== 2) continue;
    const info: NodeInfo = { f, inputs: [], outputs: [] };
    for (const x of rawFields(model, f.start!, f.end!)) {
      if (x.wire !== 2) continue;
      if (x.field === NODE.input) info.inputs.push(text(model, x));
      else if (x.field === NODE.output) info.outputs.push(text(model, x));
      else if (x.field === NODE.attribute) {
        const hasSubgraph = rawFields(model, x.start!, x.end!).some((a) => a.field === ATTRIBUTE.graph || a.field === ATTRIBUTE.graphs);
        if (hasSubgraph) return null;
      }
    }
    nodes.push(info);
  }

  const needed = new Set(namesOf(model, fields, GRAPH.output, VALUE_INFO_NAME).filter((n) => !dropped.has(n)));
  const keepNode = new Set<RawField>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => needed.has(o))) continue;
    keepNode.add(n.f);
    for (const input of n.inputs) if (input) needed.add(input);
  }
  const produced = new Set(nodes.filter((n) => keepNode.has(n.f)).flatMap((n) => n.outputs));

  const graphParts: Uint8Array[] = [];
  for (const f of fields) {
    let keep = true;
    if (f.wire === 2) {
      if (f.field === GRAPH.node) keep = keepNode.has(f);
      else if (f.field === GRAPH.output) keep = !dropped.has(nameOf(model, f, VALUE_INFO_NAME));
      else if (f.field === GRAPH.initializer) keep = needed.has(nameOf(model, f, TENSOR_NAME));
      else if (f.field === GRAPH.valueInfo) {
        const name = nameOf(model, f, VALUE_INFO_NAME);
        keep = needed.has(name) || produced.has(name);
      }
    }
    if (keep) graphParts.push(model.subarray(f.from, f.to));
  }
  const parts: Uint8Array[] = [];
  for (const f of top) {
    if (f === graph) parts.push(...lengthDelimited(MODEL_GRAPH, graphParts));
    else parts.push(model.subarray(f.from, f.to));
  }
  return concatBytes(parts);
}

// ───────────── reading nodes and initializers, adding outputs (the computation view's formula steps) ─────────────

const NODE_NAME = 3;
const NODE_OP = 4;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_FLOAT = 2;
const TENSOR = { dims: 1, dataType: 2, floatData: 4, int32Data: 5, rawData: 9, dataLocation: 14 };
const DATA_TYPE = { float: 1, float16: 10 };

/** One node of the top-level graph: op type, name, inputs, outputs and its float attributes (e.g. epsilon). */
export interface GraphNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  floats: Record<string, number>;
}

/** The top-level graph's nodes in file order (topological, the ONNX rule). Subgraphs are not entered. */
export function graphNodes(model: Uint8Array): GraphNode[] {
  const { fields } = readGraph(model);
  const out: GraphNode[] = [];
  for (const f of fields) {
    if (f.field !== GRAPH.node || f.wire !== 2) continue;
    const node: GraphNode = { op: '', name: '', inputs: [], outputs: [], floats: {} };
    for (const x of rawFields(model, f.start!, f.end!)) {
      if (x.wire !== 2) continue;
      if (x.field === NODE.input) node.inputs.push(text(model, x));
      else if (x.field === NODE.output) node.outputs.push(text(model, x));
      else if (x.field === NODE_NAME) node.name = text(model, x);
      else if (x.field === NODE_OP) node.op = text(model, x);
      else if (x.field === NODE.attribute) {
        const attr = rawFields(model, x.start!, x.end!);
        const name = attr.find((a) => a.field === ATTRIBUTE_NAME && a.wire === 2);
        const value = attr.find((a) => a.field === ATTRIBUTE_FLOAT && a.wire === 5);
        if (name && value) node.floats[text(model, name)] = new DataView(model.buffer, model.byteOffset + value.from + 1, 4).getFloat32(0, true);
      }
    }
    out.push(node);
  }
  return out;
}

/** IEEE half → number, worked out from the bits (exact: every float16 is a float32). */
function decodeHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Every float16 bit pattern's value, made on first use: a model's millions of fp16 weights are then converted by a
 * table look-up instead of a power each (the power was ~9 % of the inference worker's CPU time in a code-server
 * profile, opening the fp16-weight models).
 */
let halfTable: Float32Array | undefined;

/** IEEE half → number (exact: every float16 is a float32, so a Cast to float32 gives the same value). */
export function halfToNumber(h: number): number {
  if (!halfTable) {
    halfTable = new Float32Array(0x10000);
    for (let i = 0; i < 0x10000; i++) halfTable[i] = decodeHalf(i);
  }
  return halfTable[h & 0xffff];
}

/** Every varint in `bytes`, in order (a packed repeated field, or one value). */
function readVarints(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let v = 0;
  let mul = 1;
  for (const b of bytes) {
    v += (b & 0x7f) * mul;
    mul *= 128;
    if ((b & 0x80) === 0) {
      out.push(v);
      v = 0;
      mul = 1;
    }
  }
  return out;
}

/** A float tensor read from the model: its dims and its values as float32. */
export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

function readTensor(model: Uint8Array, f: RawField): FloatTensor {
  const fields = rawFields(model, f.start!, f.end!);
  const dims: number[] = [];
  let dataType = 0;
  let raw: RawField | undefined;
  const packed: RawField[] = [];
  const unpacked: RawField[] = [];
  for (const x of fields) {
    if (x.field === TENSOR.dims) {
      // dims are varints, packed (wire 2) or one per field (wire 0)
      dims.push(...readVarints(x.wire === 2 ? model.subarray(x.start, x.end) : model.subarray(x.from + 1, x.to)));
    } else if (x.field === TENSOR.dataType && x.wire === 0) dataType = model[x.from + 1];
    else if (x.field === TENSOR.rawData && x.wire === 2) raw = x;
    else if (x.field === TENSOR.dataLocation && x.wire === 0 && model[x.from + 1] === 1) throw new Error('its data is stored outside the model file');
    else if ((x.field === TENSOR.floatData || x.field === TENSOR.int32Data) && x.wire === 2) packed.push(x);
    else if ((x.field === TENSOR.floatData && x.wire === 5) || (x.field === TENSOR.int32Data && x.wire === 0)) unpacked.push(x);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  if (dataType === DATA_TYPE.float) {
    if (raw) {
      const view = new DataView(model.buffer, model.byteOffset + raw.start!, raw.end! - raw.start!);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
    } else if (packed.length) {
      const view = new DataView(model.buffer, model.byteOffset + packed[0].start!, packed[0].end! - packed[0].start!);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
    } else unpacked.forEach((x, i) => (data[i] = new DataView(model.buffer, model.byteOffset + x.from + 1, 4).getFloat32(0, true)));
  } else if (dataType === DATA_TYPE.float16) {
    if (raw) {
      const view = new DataView(model.buffer, model.byteOffset + raw.start!, raw.end! - raw.start!);
      for (let i = 0; i < count; i++) data[i] = halfToNumber(view.getUint16(i * 2, true));
    } else {
      // float16 outside raw_data: one int32 varint per value (onnx.proto: int32_data holds the bits)
      const src = packed.length ? [model.subarray(packed[0].start, packed[0].end)] : unpacked.map((x) => model.subarray(x.from + 1, x.to));
      const halves = src.flatMap((bytes) => readVarints(bytes));
      halves.forEach((h, i) => (data[i] = halfToNumber(h)));
    }
  } else throw new Error(`data type ${dataType} is neither float32 nor float16`);
  return { dims, data };
}

/**
 * The float initializers `names` as float32, by the name the graph's nodes use. A weight stored as float16 behind
 * a Cast to float32 (the Cast's output carries the weight's name) is read from the float16 initializer the Cast
 * reads, which gives exactly the float32 values the model computes with. Names not found are left out.
 */
export function readFloatInitializers(model: Uint8Array, names: readonly string[]): Map<string, FloatTensor> {
  const { fields } = readGraph(model);
  const wanted = new Map<string, string>(names.map((n) => [n, n]));
  // A name produced by a Cast of an initializer: read the initializer instead.
  for (const node of graphNodes(model)) {
    if (node.op === 'Cast' && node.inputs.length === 1 && node.outputs.length === 1 && wanted.has(node.outputs[0])) {
      wanted.set(node.outputs[0], node.inputs[0]);
    }
  }
  const bySource = new Map<string, string[]>();
  for (const [name, source] of wanted) bySource.set(source, [...(bySource.get(source) ?? []), name]);
  const out = new Map<string, FloatTensor>();
  for (const f of fields) {
    if (f.field !== GRAPH.initializer || f.wire !== 2) continue;
    const targets = bySource.get(nameOf(model, f, TENSOR_NAME));
    if (!targets) continue;
    const tensor = readTensor(model, f);
    for (const t of targets) out.set(t, tensor);
  }
  return out;
}

/**
 * The same model with the tensors `names` (computed inside the graph) added as float32 outputs, and the outputs
 * `drop` removed with the nodes only they needed. onnxruntime returns only declared outputs, so an intermediate
 * tensor (a layer's input after its LayerNorm, say) can be read only by declaring it one.
 */
export function withExtraOutputs(model: Uint8Array, names: readonly string[], drop: readonly string[] = []): Uint8Array {
  const { top, graph, fields } = readGraph(model);
  const existing = new Set(namesOf(model, fields, GRAPH.output, VALUE_INFO_NAME));
  const added: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const name of names) {
    if (existing.has(name)) continue;
    // ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type: FLOAT } } } — no shape: it is inferred.
    const type = concatBytes(lengthDelimited(1, [Uint8Array.from([0x08, DATA_TYPE.float])]));
    const info = concatBytes([...lengthDelimited(1, [enc.encode(name)]), ...lengthDelimited(2, [type])]);
    added.push(...lengthDelimited(GRAPH.output, [info]));
  }
  const graphParts: Uint8Array[] = [];
  let lastOutput = -1;
  fields.forEach((f, i) => {
    if (f.field === GRAPH.output && f.wire === 2) lastOutput = i;
  });
  fields.forEach((f, i) => {
    graphParts.push(model.subarray(f.from, f.to));
    if (i === lastOutput) graphParts.push(...added);
  });
  const parts: Uint8Array[] = [];
  for (const f of top) {
    if (f === graph) parts.push(...lengthDelimited(MODEL_GRAPH, graphParts));
    else parts.push(model.subarray(f.from, f.to));
  }
  const withAdded = concatBytes(parts);
  // A graph with subgraphs is not pruned (withoutOutputs says null): it runs whole, with the extra outputs.
  return drop.length ? (withoutOutputs(withAdded, drop) ?? withAdded) : withAdded;
}

// ───────────── float16 weights back to float32 before the session sees them ─────────────

const ATTRIBUTE_INT = 3;
const CAST_TO_FLOAT = 1;

/** A float32 TensorProto: packed dims, data_type FLOAT, name, raw_data (little-endian). */
function float32Tensor(name: string, dims: number[], data: Float32Array): Uint8Array {
  const dimBytes = Uint8Array.from(dims.flatMap((d) => varintBytes(d)));
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return concatBytes([
    ...lengthDelimited(TENSOR.dims, [dimBytes]),
    Uint8Array.from([(TENSOR.dataType << 3) | 0, ...varintBytes(DATA_TYPE.float)]),
    ...lengthDelimited(TENSOR_NAME, [new TextEncoder().encode(name)]),
    ...lengthDelimited(TENSOR.rawData, [raw]),
  ]);
}

/**
 * The same model with every float16 initializer that is read only by a `Cast(to=FLOAT)` turned back into the
 * float32 initializer the Cast produced (named as its output), and those Casts removed — the graph as it was before
 * models/training/fp16_weights.py stored it. The values are the same (every float16 is a float32). Why: onnxruntime
 * folds such Casts itself, but the float16 copies it frees at session creation leave the heap fragmented, and with
 * the default allocator the process then grew 20–21 MB over 1,000 analyses against 7–8 MB for the float32 graph
 * (soak driver, same code, two runs each). Returns null when the model has no such weights.
 */
export function withFloat32Weights(model: Uint8Array): Uint8Array | null {
  const { top, graph, fields } = readGraph(model);
  const readers = new Map<string, number>();
  const casts = new Map<string, { f: RawField; output: string }>(); // by the initializer it reads
  for (const f of fields) {
    if (f.field !== GRAPH.node || f.wire !== 2) continue;
    let op = '';
    const inputs: string[] = [];
    const outputs: string[] = [];
    let to = -1;
    for (const x of rawFields(model, f.start!, f.end!)) {
      if (x.wire !== 2) continue;
      if (x.field === NODE.input) inputs.push(text(model, x));
      else if (x.field === NODE.output) outputs.push(text(model, x));
      else if (x.field === NODE_OP) op = text(model, x);
      else if (x.field === NODE.attribute) {
        const attr = rawFields(model, x.start!, x.end!);
        const name = attr.find((a) => a.field === ATTRIBUTE_NAME && a.wire === 2);
        const value = attr.find((a) => a.field === ATTRIBUTE_INT && a.wire === 0);
        if (name && value && text(model, name) === 'to') to = model[value.from + 1];
        if (attr.some((a) => a.field === ATTRIBUTE.graph || a.field === ATTRIBUTE.graphs)) return null; // names used out of sight
      }
    }
    for (const i of inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
    if (op === 'Cast' && to === CAST_TO_FLOAT && inputs.length === 1 && outputs.length === 1) casts.set(inputs[0], { f, output: outputs[0] });
  }
  const replaced = new Map<RawField, Uint8Array>();
  const droppedCasts = new Set<RawField>();
  const graphOutputs = new Set(namesOf(model, fields, GRAPH.output, VALUE_INFO_NAME));
  for (const f of fields) {
    if (f.field !== GRAPH.initializer || f.wire !== 2) continue;
    const cast = casts.get(nameOf(model, f, TENSOR_NAME));
    if (!cast || readers.get(nameOf(model, f, TENSOR_NAME)) !== 1 || graphOutputs.has(cast.output)) continue;
    const typeField = rawFields(model, f.start!, f.end!).find((x) => x.field === TENSOR.dataType && x.wire === 0);
    if (!typeField || model[typeField.from + 1] !== DATA_TYPE.float16) continue;
    const { dims, data } = readTensor(model, f);
    replaced.set(f, float32Tensor(cast.output, dims, data));
    droppedCasts.add(cast.f);
  }
  if (!replaced.size) return null;
  const graphParts: Uint8Array[] = [];
  for (const f of fields) {
    if (droppedCasts.has(f)) continue;
    const tensor = replaced.get(f);
    graphParts.push(...(tensor ? lengthDelimited(GRAPH.initializer, [tensor]) : [model.subarray(f.from, f.to)]));
  }
  const parts: Uint8Array[] = [];
  for (const f of top) {
    if (f === graph) parts.push(...lengthDelimited(MODEL_GRAPH, graphParts));
    else parts.push(model.subarray(f.from, f.to));
  }
  return concatBytes(parts);
}

// ───────────── a piece of the graph: internal tensors as inputs and outputs (layer-by-layer runs) ─────────────

/** A float32 ValueInfoProto without a shape (onnxruntime infers it). */
function floatValueInfo(name: string): Uint8Array {
  const type = concatBytes(lengthDelimited(1, [Uint8Array.from([0x08, DATA_TYPE.float])]));
  return concatBytes([...lengthDelimited(1, [new TextEncoder().encode(name)]), ...lengthDelimited(2, [type])]);
}

/**
 * The piece of the model that computes `outputs` (tensors of the graph, float32) from the graph's own inputs plus
 * `cutInputs` (tensors computed inside the graph, turned into float32 inputs), with every other node and initializer
 * dropped. This is how a model is run in two parts (src/model/layerSplit.ts): the first part's outputs include the
 * tensor the second part starts from. Returns null when the graph has subgraphs (names used out of sight) or when a
 * node that must be kept also produces a cut input (the piece would compute its own input).
 */
export function withInterface(model: Uint8Array, cutInputs: readonly string[], outputs: readonly string[]): Uint8Array | null {
  const { top, graph, fields } = readGraph(model);
  const nodes: { f: RawField; inputs: string[]; outputs: string[] }[] = [];
  for (const f of fields) {
    if (f.field !== GRAPH.node || f.wire !== 2) continue;
    const info = { f, inputs: [] as string[], outputs: [] as string[] };
    for (const x of rawFields(model, f.start!, f.end!)) {
      if (x.wire !== 2) continue;
      if (x.field === NODE.input) info.inputs.push(text(model, x));
      else if (x.field === NODE.output) info.outputs.push(text(model, x));
      else if (x.field === NODE.attribute && rawFields(model, x.start!, x.end!).some((a) => a.field === ATTRIBUTE.graph || a.field === ATTRIBUTE.graphs)) return null;
    }
    nodes.push(info);
  }
  const given = new Set(cutInputs);
  const needed = new Set(outputs);
  const keep = new Set<RawField>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => needed.has(o) && !given.has(o))) continue;
    if (n.outputs.some((o) => given.has(o))) return null;
    keep.add(n.f);
    for (const input of n.inputs) if (input) needed.add(input);
  }
  const interfaceNames = new Set([...cutInputs, ...outputs]);
  const produced = new Set(nodes.filter((n) => keep.has(n.f)).flatMap((n) => n.outputs));
  const graphParts: Uint8Array[] = [];
  let lastInput = -1;
  fields.forEach((f, i) => {
    if (f.field === GRAPH.input && f.wire === 2) lastInput = i;
  });
  const addInputs = (): void => {
    for (const name of cutInputs) graphParts.push(...lengthDelimited(GRAPH.input, [floatValueInfo(name)]));
  };
  if (lastInput < 0) addInputs();
  fields.forEach((f, i) => {
    let keepField = true;
    if (f.wire === 2) {
      if (f.field === GRAPH.node) keepField = keep.has(f);
      else if (f.field === GRAPH.output) keepField = false;
      else if (f.field === GRAPH.initializer) keepField = needed.has(nameOf(model, f, TENSOR_NAME));
      else if (f.field === GRAPH.valueInfo) {
        const name = nameOf(model, f, VALUE_INFO_NAME);
        keepField = (needed.has(name) || produced.has(name)) && !interfaceNames.has(name);
      }
    }
    if (keepField) graphParts.push(model.subarray(f.from, f.to));
    if (i === lastInput) addInputs();
  });
  for (const name of outputs) graphParts.push(...lengthDelimited(GRAPH.output, [floatValueInfo(name)]));
  const parts: Uint8Array[] = [];
  for (const f of top) {
    if (f === graph) parts.push(...lengthDelimited(MODEL_GRAPH, graphParts));
    else parts.push(model.subarray(f.from, f.to));
  }
  return concatBytes(parts);
}
