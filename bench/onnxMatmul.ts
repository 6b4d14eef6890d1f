/**
 * A bare onnxruntime floor: a one-node ONNX graph `Y = MatMul(A, W)` with A [m, k] as input and W [k, n] as a
 * constant initializer (so onnxruntime pre-packs it, as it does the model's weights). The ModelProto is encoded
 * by hand (protobuf wire format, a few fields), so the benchmark needs no onnx package.
 *
 * Field numbers (onnx/onnx.proto3): ModelProto{ir_version=1, graph=7, opset_import=8}; GraphProto{node=1, name=2,
 * initializer=5, input=11, output=12}; NodeProto{input=1, output=2, name=3, op_type=4}; TensorProto{dims=1,
 * data_type=2, name=8, raw_data=9}; ValueInfoProto{name=1, type=2}; TypeProto{tensor_type=1};
 * TypeProto.Tensor{elem_type=1, shape=2}; TensorShapeProto{dim=1}; Dimension{dim_value=1};
 * OperatorSetIdProto{domain=1, version=2}.
 */

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  varint(value: number): this {
    const out: number[] = [];
    let v = BigInt(value);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      out.push(byte);
    } while (v > 0n);
    this.push(Uint8Array.from(out));
    return this;
  }

  tag(field: number, wire: 0 | 2): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    this.push(data);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, build: (w: Writer) => void): this {
    const w = new Writer();
    build(w);
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

const FLOAT = 1;

function valueInfo(w: Writer, name: string, dims: number[]): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of dims) shape.message(1, (dim) => dim.int(1, d));
      });
    }),
  );
}

/** ONNX bytes of `Y[m,n] = MatMul(A[m,k], W[k,n])`, W filled with small pseudo-random values. */
export function matmulModel(m: number, k: number, n: number): Uint8Array {
  const weights = new Float32Array(k * n);
  let seed = 12345;
  for (let i = 0; i < weights.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    weights[i] = (seed / 0xffffffff - 0.5) * 0.1;
  }
  const model = new Writer();
  model.int(1, 8); // ir_version 8
  model.message(7, (g) => {
    g.message(1, (node) => {
      node.string(1, 'A');
      node.string(1, 'W');
      node.string(2, 'Y');
      node.string(3, 'matmul');
      node.string(4, 'MatMul');
    });
    g.string(2, 'bench_matmul');
    g.message(5, (t) => {
      t.int(1, k);
      t.int(1, n);
      t.int(2, FLOAT);
      t.string(8, 'W');
      t.bytes(9, new Uint8Array(weights.buffer));
    });
    g.message(11, (vi) => valueInfo(vi, 'A', [m, k]));
    g.message(12, (vi) => valueInfo(vi, 'Y', [m, n]));
  });
  model.message(8, (op) => {
    op.string(1, '');
    op.int(2, 17);
  });
  return model.finish();
}
