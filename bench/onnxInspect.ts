/**
 * Reads just enough of an ONNX file (protobuf wire format) to count FLOPs honestly: the shapes of the
 * initializers (to find the feed-forward width) and the nodes (op type, inputs, outputs).
 */
import { readFileSync } from 'node:fs';
import { concatBytes, lengthDelimited, rawFields, varintBytes, type RawField } from '../src/model/onnxProto';

interface Field {
  field: number;
  wire: number;
  /** varint value (wire 0) */
  value?: bigint;
  /** byte range (wire 2) */
  start?: number;
  end?: number;
}

function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
  let at = start;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[at++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < end) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      yield { field, wire, start: at, end: at + len };
      at += len;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

const decoder = new TextDecoder();

export interface OnnxInitializer {
  name: string;
  dims: number[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
}

export interface OnnxSummary {
  initializers: OnnxInitializer[];
  nodes: OnnxNode[];
}

export function inspectOnnx(file: string): OnnxSummary {
  const buf = new Uint8Array(readFileSync(file));
  const initializers: OnnxInitializer[] = [];
  const nodes: OnnxNode[] = [];
  const readGraph = (gs: number, ge: number): void => {
    for (const g of fields(buf, gs, ge)) {
      if (g.field === 5 && g.wire === 2) {
        const t: OnnxInitializer = { name: '', dims: [] };
        for (const f of fields(buf, g.start!, g.end!)) {
          if (f.field === 1 && f.wire === 0) t.dims.push(Number(f.value));
          else if (f.field === 1 && f.wire === 2) {
            // packed dims
            t.dims.push(...readPacked(buf, f.start!, f.end!));
          } else if (f.field === 8 && f.wire === 2) t.name = decoder.decode(buf.subarray(f.start, f.end));
        }
        initializers.push(t);
      } else if (g.field === 1 && g.wire === 2) {
        const n: OnnxNode = { name: '', opType: '', inputs: [], outputs: [] };
        for (const f of fields(buf, g.start!, g.end!)) {
          if (f.wire !== 2) continue;
          const s = decoder.decode(buf.subarray(f.start, f.end));
          if (f.field === 1) n.inputs.push(s);
          else if (f.field === 2) n.outputs.push(s);
          else if (f.field === 3) n.name = s;
          else if (f.field === 4) n.opType = s;
        }
        nodes.push(n);
      }
    }
  };
  for (const m of fields(buf, 0, buf.length)) {
    if (m.field === 7 && m.wire === 2) readGraph(m.start!, m.end!);
  }
  return { initializers, nodes };
}

function readPacked(buf: Uint8Array, start: number, end: number): number[] {
  const out: number[] = [];
  let at = start;
  while (at < end) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[at++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    out.push(Number(result));
  }
  return out;
}

/**
 * The feed-forward width: the dimension paired with d_model in 2-D weight initializers that is neither d_model,
 * 3·d_model (fused QKV) nor the vocabulary. Returns the most frequent such width, or undefined.
 */
export function feedForwardWidth(s: OnnxSummary, dModel: number, vocab: number | undefined): number | undefined {
  const counts = new Map<number, number>();
  for (const t of s.initializers) {
    if (t.dims.length !== 2) continue;
    const [a, b] = t.dims;
    const other = a === dModel ? b : b === dModel ? a : undefined;
    if (other === undefined || other === dModel || other === 3 * dModel || other === vocab) continue;
    counts.set(other, (counts.get(other) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [w, c] of counts) if (c > bestCount) [best, bestCount] = [w, c];
  return best;
}

// ───────────────────────────── rotary tables beyond max_positions ─────────────────────────────



/** cos/sin tables of rotary embeddings as model.py builds them: emb = cat(t·inv, t·inv), inv = base^(-2i/hd). */
function rotaryTable(kind: 'cos' | 'sin', positions: number, headDim: number, base: number): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(positions * headDim);
  for (let t = 0; t < positions; t++) {
    for (let i = 0; i < half; i++) {
      const inv = 1 / Math.pow(base, (2 * i) / headDim);
      const v = kind === 'cos' ? Math.cos(t * inv) : Math.sin(t * inv);
      out[t * headDim + i] = v;
      out[t * headDim + half + i] = v;
    }
  }
  return out;
}

export interface RotaryExtension {
  bytes: Uint8Array;
  replaced: Array<{ name: string; kind: 'cos' | 'sin'; dims: number[]; maxAbsDiffFromFormula: number }>;
}

/**
 * Returns a copy of the ONNX model whose rotary cos/sin tables (initializers holding maxPositions × headDim
 * floats equal to the rotary formula) are recomputed for `positions` rows. Throws when no such table is found or
 * the stored values differ from the formula (then the model is not the rotary model this assumes).
 */
export function extendRotaryTables(file: string, maxPositions: number, headDim: number, positions: number, base = 10000): RotaryExtension {
  const buf = new Uint8Array(readFileSync(file));
  const top = rawFields(buf, 0, buf.length);
  const graph = top.find((f) => f.field === 7 && f.wire === 2);
  if (!graph) throw new Error('no graph in the ONNX file');
  const expected = { cos: rotaryTable('cos', maxPositions, headDim, base), sin: rotaryTable('sin', maxPositions, headDim, base) };
  const replaced: RotaryExtension['replaced'] = [];
  /** A TensorProto (payload range) holding a rotary table → its re-encoded payload for `positions` rows. */
  const replaceTensor = (start: number, end: number): Uint8Array[] | undefined => {
    const tf = rawFields(buf, start, end);
    const dims: number[] = [];
    let name = '';
    let dataType = 0;
    let raw: Uint8Array | undefined;
    for (const f of tf) {
      if (f.field === 1 && f.wire === 0) dims.push(rawVarint(buf, f));
      else if (f.field === 1 && f.wire === 2) dims.push(...readPacked(buf, f.start!, f.end!));
      else if (f.field === 2 && f.wire === 0) dataType = rawVarint(buf, f);
      else if (f.field === 8 && f.wire === 2) name = new TextDecoder().decode(buf.subarray(f.start, f.end));
      else if (f.field === 9 && f.wire === 2) raw = buf.slice(f.start, f.end);
    }
    const count = dims.reduce((a, b) => a * b, 1);
    if (dataType !== 1 || !raw || count !== maxPositions * headDim || !dims.includes(maxPositions) || raw.length !== count * 4) return undefined;
    const values = new Float32Array(raw.buffer, raw.byteOffset, count);
    for (const kind of ['cos', 'sin'] as const) {
      let diff = 0;
      for (let i = 0; i < count; i++) diff = Math.max(diff, Math.abs(values[i] - expected[kind][i]));
      if (diff >= 1e-4) continue;
      const newDims = dims.map((d) => (d === maxPositions ? positions : d));
      const table = rotaryTable(kind, positions, headDim, base);
      const tensor: Uint8Array[] = [];
      for (const d of newDims) tensor.push(Uint8Array.from([...varintBytes(1 * 8 + 0), ...varintBytes(d)]));
      tensor.push(Uint8Array.from([...varintBytes(2 * 8 + 0), ...varintBytes(1)]));
      if (name) tensor.push(...lengthDelimited(8, [new TextEncoder().encode(name)]));
      tensor.push(...lengthDelimited(9, [new Uint8Array(table.buffer)]));
      replaced.push({ name, kind, dims, maxAbsDiffFromFormula: diff });
      return tensor;
    }
    return undefined;
  };
  const graphParts: Uint8Array[] = [];
  for (const g of rawFields(buf, graph.start!, graph.end!)) {
    let replacement: Uint8Array[] | undefined;
    if (g.field === 5 && g.wire === 2) {
      // an initializer
      const t = replaceTensor(g.start!, g.end!);
      if (t) replacement = lengthDelimited(5, t);
    } else if (g.field === 1 && g.wire === 2) {
      // a node: Constant nodes hold their tensor in attribute (field 5) → t (field 5)
      const nf = rawFields(buf, g.start!, g.end!);
      const op = nf.find((f) => f.field === 4 && f.wire === 2);
      if (op && new TextDecoder().decode(buf.subarray(op.start, op.end)) === 'Constant') {
        let changed = false;
        const nodeParts: Uint8Array[] = [];
        for (const f of nf) {
          if (f.field === 5 && f.wire === 2) {
            const af = rawFields(buf, f.start!, f.end!);
            const attrParts: Uint8Array[] = [];
            let attrChanged = false;
            for (const a of af) {
              const t = a.field === 5 && a.wire === 2 ? replaceTensor(a.start!, a.end!) : undefined;
              if (t) {
                attrParts.push(...lengthDelimited(5, t));
                attrChanged = true;
              } else attrParts.push(buf.subarray(a.from, a.to));
            }
            if (attrChanged) {
              nodeParts.push(...lengthDelimited(5, attrParts));
              changed = true;
              continue;
            }
          }
          nodeParts.push(buf.subarray(f.from, f.to));
        }
        if (changed) replacement = lengthDelimited(1, nodeParts);
      }
    }
    graphParts.push(...(replacement ?? [buf.subarray(g.from, g.to)]));
  }
  if (replaced.length === 0) throw new Error(`no rotary table (initializer or Constant node) of ${maxPositions}×${headDim} floats matching the rotary formula`);
  const parts: Uint8Array[] = [];
  for (const f of top) {
    if (f === graph) parts.push(...lengthDelimited(7, graphParts));
    else parts.push(buf.subarray(f.from, f.to));
  }
  return { bytes: concatBytes(parts), replaced };
}

function rawVarint(buf: Uint8Array, f: RawField): number {
  // skip the tag, then read the value
  let at = f.from;
  while (buf[at] & 0x80) at++;
  at++;
  let r = 0;
  let mul = 1;
  for (;;) {
    const b = buf[at++];
    r += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return r;
    mul *= 128;
  }
}
