#!/usr/bin/python3
"""Store a model's float32 weights as float16, with a Cast back to float32 in the graph.

    /usr/bin/python3 fp16_weights.py IN.onnx OUT.onnx            # lossless only (the default --max-weight-error 0)
    /usr/bin/python3 fp16_weights.py --in-place models/causal/model.onnx
    /usr/bin/python3 fp16_weights.py --max-weight-error 1e-3 IN.onnx OUT.onnx   # allow a lossy conversion

Every float32 initializer with at least --min-elements elements (default 16; smaller ones stay float32) becomes a
float16 initializer named `<name>.fp16`, and a node `Cast(to=FLOAT)` named `Cast_fp16_<name>` writes the float32
tensor under the original name, so every consumer, the graph's inputs and outputs, the opset and the metadata are
unchanged. The Cast nodes come first in the node list (topological order holds). Constant nodes (e.g. the rotary
cos/sin tables, computed in float32 by the export) are not touched.

For each converted tensor it prints max |w − float32(float16(w))| (0 = exactly representable, i.e. lossless) and the
total; when a tensor's error exceeds --max-weight-error it writes nothing, names the tensor and exits 1. It never
writes over its input unless given --in-place.
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def convert(model: onnx.ModelProto, min_elements: int):
    """Rewrites `model` in place; returns [(name, shape, max_abs_error, bytes_before, bytes_after)]."""
    g = model.graph
    if any(i.name in {t.name for t in g.initializer} for i in g.input):
        # IR < 4 style: initializers listed as graph inputs. Changing them would change the inputs; refuse.
        raise SystemExit('fp16_weights: some initializers are also graph inputs (IR < 4 style); not supported')
    taken = {t.name for t in g.initializer} | {o for n in g.node for o in n.output} | {i.name for i in g.input}
    casts, report = [], []
    for t in g.initializer:
        if t.data_type != TensorProto.FLOAT:
            continue
        w = numpy_helper.to_array(t)
        if w.size < min_elements:
            continue
        h = w.astype(np.float16)
        back = h.astype(np.float32)
        if not np.all(np.isfinite(back) == np.isfinite(w)):
            err = float('inf')  # overflow to ±inf in float16
        else:
            err = float(np.max(np.abs(back - w))) if w.size else 0.0
        name = t.name
        new_name = name + '.fp16'
        while new_name in taken:
            new_name += '_'
        taken.add(new_name)
        t.CopyFrom(numpy_helper.from_array(h, new_name))
        casts.append(helper.make_node('Cast', [new_name], [name], name=f'Cast_fp16_{name}', to=TensorProto.FLOAT))
        report.append((name, tuple(w.shape), err, w.nbytes, h.nbytes))
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    return report


def float32_initializers(model: onnx.ModelProto) -> dict:
    """The graph's float initializers as float32 arrays, by the name the nodes use: a weight stored by this script
    (a float16 initializer read by a Cast to FLOAT whose output carries the weight's name) under that output's name,
    with exactly the values the Cast gives. Used by model.load_onnx_weights (warm starts from a model.onnx)."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    out = {k: v for k, v in inits.items() if v.dtype == np.float32}
    for n in model.graph.node:
        if n.op_type != 'Cast' or len(n.input) != 1 or len(n.output) != 1 or n.input[0] not in inits:
            continue
        to = next((a.i for a in n.attribute if a.name == 'to'), None)
        if to == TensorProto.FLOAT and inits[n.input[0]].dtype == np.float16:
            out[n.output[0]] = inits[n.input[0]].astype(np.float32)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('input')
    p.add_argument('output', nargs='?')
    p.add_argument('--in-place', action='store_true', help='replace INPUT (written to a temporary file first)')
    p.add_argument('--max-weight-error', type=float, default=0.0,
                   help='largest allowed max |w - fp16(w)| of any tensor (default 0: lossless only)')
    p.add_argument('--min-elements', type=int, default=16, help='tensors with fewer elements stay float32 (default 16)')
    a = p.parse_args()
    if a.in_place == (a.output is not None):
        p.error('give OUTPUT or --in-place (exactly one)')
    out = a.input if a.in_place else a.output
    if not a.in_place and os.path.abspath(out) == os.path.abspath(a.input):
        p.error('OUTPUT is INPUT: use --in-place to replace it')

    size_in = os.path.getsize(a.input)
    model = onnx.load(a.input)
    opsets = [(o.domain, o.version) for o in model.opset_import]
    meta = [(m.key, m.value) for m in model.metadata_props]
    sig = ([i.name for i in model.graph.input], [o.name for o in model.graph.output])
    report = convert(model, a.min_elements)
    if not report:
        print(f'{a.input}: no float32 initializer with ≥ {a.min_elements} elements; nothing written', file=sys.stderr)
        return 1
    assert [(o.domain, o.version) for o in model.opset_import] == opsets
    assert [(m.key, m.value) for m in model.metadata_props] == meta
    assert ([i.name for i in model.graph.input], [o.name for o in model.graph.output]) == sig

    worst = max(report, key=lambda r: r[2])
    for name, shape, err, b0, b1 in report:
        print(f'{name:40s} {str(list(shape)):14s} max|w-fp16(w)| = {err:.3g}  {b0} -> {b1} bytes')
    print(f'{len(report)} tensors, {sum(r[3] for r in report)} -> {sum(r[4] for r in report)} bytes; '
          f'max weight error {worst[2]:.3g} ({worst[0]}); allowed {a.max_weight_error:g}')
    bad = [r for r in report if not r[2] <= a.max_weight_error]
    if bad:
        print(f'refused: {len(bad)} tensor(s) exceed --max-weight-error {a.max_weight_error:g}, the worst '
              f'{worst[0]} ({worst[2]:.3g}); nothing written', file=sys.stderr)
        return 1

    onnx.checker.check_model(model)
    d = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(prefix='.fp16-', suffix='.onnx', dir=d)
    os.close(fd)
    try:
        onnx.save(model, tmp)
        os.chmod(tmp, os.stat(a.input).st_mode & 0o777)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f'{a.input} ({size_in} bytes) -> {out} ({os.path.getsize(out)} bytes)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
