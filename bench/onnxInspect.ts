/**
 * Reads just enough of an ONNX file (protobuf wire format) to count FLOPs honestly: the shapes of the
 * initializers (to find the feed-forward width) and the nodes (op type, inputs, outputs).
 */
import { readFileSync } from 'node:fs';

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
