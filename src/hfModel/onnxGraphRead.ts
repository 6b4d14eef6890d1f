/**
 * Reads what the attention finder needs from an ONNX ModelProto that someone else exported: every top-level node
 * with its domain and subgraphs, the element types the file declares (inputs, outputs, value_info, initializers),
 * and the initializers stored as external data. Built on the byte-range reader of src/model/onnxProto.ts, so a
 * rewrite can copy every field it does not change verbatim.
 */
import { rawFields, type RawField } from '../model/onnxProto';

const decoder = new TextDecoder();
const str = (buf: Uint8Array, f: RawField): string => decoder.decode(buf.subarray(f.start, f.end));

// Field numbers of onnx.proto.
export const MODEL = { graph: 7, opsetImport: 8 };
export const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13 };
const NODE = { input: 1, output: 2, name: 3, op: 4, attribute: 5, domain: 7 };
const ATTR = { name: 1, f: 2, i: 3, t: 5, g: 6, graphs: 11 };
const TENSOR = { dataType: 2, name: 8, externalData: 13, dataLocation: 14 };
const VALUE_INFO = { name: 1, type: 2 };
const ENTRY = { key: 1, value: 2 };

/** onnx TensorProto.DataType values used here. */
export const ELEM = { float: 1, bool: 9, float16: 10, int64: 7 };

export interface OnnxNode {
  /** the node's field in the graph (for rewrites) */
  field: RawField;
  op: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** integer attributes by name (e.g. Cast's `to`, Softmax's `axis`) */
  ints: Record<string, number>;
  /** element type of a Constant's `value` tensor */
  constantType?: number;
  /** subgraphs of If/Loop/Scan attributes, as byte ranges of GraphProtos */
  subgraphs: RawField[];
}

export interface ReadGraph {
  top: RawField[];
  graph: RawField;
  fields: RawField[];
  nodes: OnnxNode[];
  inputs: string[];
  outputs: string[];
  initializers: Set<string>;
  /** element types declared in the file (graph inputs, outputs, value_info, initializers) */
  declaredTypes: Map<string, number>;
  /** declared rank of a tensor, where value_info or an output gives its shape */
  declaredRanks: Map<string, number>;
}

function varintAt(buf: Uint8Array, from: number, to: number): number {
  let v = 0;
  let mul = 1;
  for (let i = from; i < to; i++) {
    v += (buf[i] & 0x7f) * mul;
    if ((buf[i] & 0x80) === 0) break;
    mul *= 128;
  }
  return v;
}

/** The value of a varint field (wire type 0). */
function varintField(buf: Uint8Array, f: RawField): number {
  // skip the tag's own varint bytes
  let at = f.from;
  while (buf[at] & 0x80) at++;
  return varintAt(buf, at + 1, f.to);
}

function readNode(buf: Uint8Array, f: RawField): OnnxNode {
  const node: OnnxNode = { field: f, op: '', domain: '', name: '', inputs: [], outputs: [], ints: {}, subgraphs: [] };
  for (const x of rawFields(buf, f.start!, f.end!)) {
    if (x.wire !== 2) continue;
    if (x.field === NODE.input) node.inputs.push(str(buf, x));
    else if (x.field === NODE.output) node.outputs.push(str(buf, x));
    else if (x.field === NODE.name) node.name = str(buf, x);
    else if (x.field === NODE.op) node.op = str(buf, x);
    else if (x.field === NODE.domain) node.domain = str(buf, x);
    else if (x.field === NODE.attribute) {
      const attr = rawFields(buf, x.start!, x.end!);
      const nameField = attr.find((a) => a.field === ATTR.name && a.wire === 2);
      const name = nameField ? str(buf, nameField) : '';
      for (const a of attr) {
        if (a.field === ATTR.i && a.wire === 0) node.ints[name] = varintField(buf, a);
        else if ((a.field === ATTR.g || a.field === ATTR.graphs) && a.wire === 2) node.subgraphs.push(a);
        else if (a.field === ATTR.t && a.wire === 2 && name === 'value') {
          const dt = rawFields(buf, a.start!, a.end!).find((t) => t.field === TENSOR.dataType && t.wire === 0);
          if (dt) node.constantType = varintField(buf, dt);
        }
      }
    }
  }
  return node;
}

/** Name, element type and rank of a ValueInfoProto. */
function readValueInfo(buf: Uint8Array, f: RawField): { name: string; elem?: number; rank?: number } {
  let name = '';
  let elem: number | undefined;
  let rank: number | undefined;
  for (const x of rawFields(buf, f.start!, f.end!)) {
    if (x.field === VALUE_INFO.name && x.wire === 2) name = str(buf, x);
    else if (x.field === VALUE_INFO.type && x.wire === 2) {
      const tensorType = rawFields(buf, x.start!, x.end!).find((t) => t.field === 1 && t.wire === 2);
      if (!tensorType) continue;
      for (const t of rawFields(buf, tensorType.start!, tensorType.end!)) {
        if (t.field === 1 && t.wire === 0) elem = varintField(buf, t);
        else if (t.field === 2 && t.wire === 2) rank = rawFields(buf, t.start!, t.end!).filter((d) => d.field === 1).length;
      }
    }
  }
  return { name, elem, rank };
}

export function tensorName(buf: Uint8Array, f: RawField): string {
  const n = rawFields(buf, f.start!, f.end!).find((x) => x.field === TENSOR.name && x.wire === 2);
  return n ? str(buf, n) : '';
}

/** Reads the model's top-level graph. Throws (with the protobuf reader's message) on a malformed file. */
export function readOnnxGraph(model: Uint8Array): ReadGraph {
  const top = rawFields(model, 0, model.length);
  const graph = top.find((f) => f.field === MODEL.graph && f.wire === 2);
  if (!graph) throw new Error('the file holds no graph (is it an ONNX model?)');
  const fields = rawFields(model, graph.start!, graph.end!);
  const nodes: OnnxNode[] = [];
  const inputs: string[] = [];
  const outputs: string[] = [];
  const initializers = new Set<string>();
  const declaredTypes = new Map<string, number>();
  const declaredRanks = new Map<string, number>();
  for (const f of fields) {
    if (f.wire !== 2) continue;
    if (f.field === GRAPH.node) nodes.push(readNode(model, f));
    else if (f.field === GRAPH.input || f.field === GRAPH.output || f.field === GRAPH.valueInfo) {
      const v = readValueInfo(model, f);
      if (f.field === GRAPH.input) inputs.push(v.name);
      if (f.field === GRAPH.output) outputs.push(v.name);
      if (v.elem !== undefined) declaredTypes.set(v.name, v.elem);
      if (v.rank !== undefined) declaredRanks.set(v.name, v.rank);
    } else if (f.field === GRAPH.initializer) {
      const name = tensorName(model, f);
      initializers.add(name);
      const dt = rawFields(model, f.start!, f.end!).find((x) => x.field === TENSOR.dataType && x.wire === 0);
      if (dt) declaredTypes.set(name, varintField(model, dt));
    }
  }
  return { top, graph, fields, nodes, inputs: inputs.filter((n) => !initializers.has(n)), outputs, initializers, declaredTypes, declaredRanks };
}

/** The op types of every node inside `subgraph` (a GraphProto's byte range), nested subgraphs included. */
export function subgraphOps(model: Uint8Array, subgraph: RawField): string[] {
  const ops: string[] = [];
  for (const f of rawFields(model, subgraph.start!, subgraph.end!)) {
    if (f.field !== GRAPH.node || f.wire !== 2) continue;
    const n = readNode(model, f);
    ops.push(n.op);
    for (const g of n.subgraphs) ops.push(...subgraphOps(model, g));
  }
  return ops;
}

/** An initializer whose bytes live in another file: its name and the `location` it gives. */
export interface ExternalInitializer {
  name: string;
  location: string;
}

export function externalInitializers(model: Uint8Array, g: ReadGraph): ExternalInitializer[] {
  const out: ExternalInitializer[] = [];
  for (const f of g.fields) {
    if (f.field !== GRAPH.initializer || f.wire !== 2) continue;
    const tf = rawFields(model, f.start!, f.end!);
    const external = tf.some((x) => x.field === TENSOR.dataLocation && x.wire === 0 && varintField(model, x) === 1);
    if (!external) continue;
    let location = '';
    for (const e of tf.filter((x) => x.field === TENSOR.externalData && x.wire === 2)) {
      const kv = rawFields(model, e.start!, e.end!);
      const k = kv.find((x) => x.field === ENTRY.key && x.wire === 2);
      const v = kv.find((x) => x.field === ENTRY.value && x.wire === 2);
      if (k && v && str(model, k) === 'location') location = str(model, v);
    }
    out.push({ name: tensorName(model, f), location });
  }
  return out;
}

/** Ops whose output element type is fixed whatever their inputs. */
const FIXED_TYPE: Record<string, number> = {
  Shape: ELEM.int64,
  Size: ELEM.int64,
  NonZero: ELEM.int64,
  ArgMax: ELEM.int64,
  ArgMin: ELEM.int64,
  Equal: ELEM.bool,
  Less: ELEM.bool,
  LessOrEqual: ELEM.bool,
  Greater: ELEM.bool,
  GreaterOrEqual: ELEM.bool,
  Not: ELEM.bool,
  And: ELEM.bool,
  Or: ELEM.bool,
  Xor: ELEM.bool,
  IsNaN: ELEM.bool,
  IsInf: ELEM.bool,
};

/**
 * The element type of every tensor that can be told without running shape inference: declared types first, then
 * one pass in node order (topological, the ONNX rule). Only used to know whether an attention tensor is float16
 * (then a Cast to float32 is added) or already float32 (then it is exposed as it is, with no copy).
 */
export function elementTypes(g: ReadGraph): Map<string, number> {
  const types = new Map(g.declaredTypes);
  for (const n of g.nodes) {
    let t: number | undefined;
    if (n.op === 'Cast') t = n.ints.to;
    else if (n.op === 'Constant') t = n.constantType;
    else if (n.op === 'ConstantOfShape') t = n.constantType ?? ELEM.float;
    else if (FIXED_TYPE[n.op] !== undefined) t = FIXED_TYPE[n.op];
    else if (n.op === 'Where') t = types.get(n.inputs[1]) ?? types.get(n.inputs[2]);
    else t = n.inputs.map((i) => types.get(i)).find((x) => x !== undefined);
    if (t === undefined) continue;
    const first = n.outputs[0];
    if (first && !types.has(first)) types.set(first, t);
  }
  return types;
}
