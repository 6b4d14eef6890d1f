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
