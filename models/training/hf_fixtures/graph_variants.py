"""Rewrites of an exported graph with the onnx package, imitating what the tools behind
transformers.js repositories emit:

  to_fp16           whole graph in float16, float32 graph inputs/outputs with Casts at the boundary
                    (onnxconverter-common's convert_float_to_float16(keep_io_types=True))
  quantize_dynamic  int8 dynamic quantisation of MatMuls (and Gemms) with constant weights:
                    DynamicQuantizeLinear + MatMulInteger + Cast + scale Mul (onnxruntime's quantize_dynamic)
  save_external     weights in a side file (model.onnx_data) named by a relative location
  merge_decoders    one graph with an If on use_cache_branch holding the with-past and no-past decoders
                    (Optimum's decoder_model_merged.onnx)
  expose_softmax    a copy with every Softmax output added as a graph output (used only by the checks)
"""
import copy

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FP16_MAX = 65504.0
FP16_MIN_POSITIVE = 1e-7  # onnxconverter-common's default min_positive_val


def _fp16_array(a):
    a = np.asarray(a, dtype=np.float32)
    a = np.clip(a, -FP16_MAX, FP16_MAX)
    tiny = (np.abs(a) < FP16_MIN_POSITIVE) & (a != 0)
    a = np.where(tiny, np.sign(a) * FP16_MIN_POSITIVE, a)
    return a.astype(np.float16)


def _tensor_to_fp16(t):
    if t.data_type != TensorProto.FLOAT:
        return t
    return numpy_helper.from_array(_fp16_array(numpy_helper.to_array(t)), t.name)


def _graph_to_fp16(g):
    for i, init in enumerate(g.initializer):
        if init.data_type == TensorProto.FLOAT:
            g.initializer[i].CopyFrom(_tensor_to_fp16(init))
    for node in g.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                a.t.CopyFrom(_tensor_to_fp16(a.t))
            elif a.type == onnx.AttributeProto.GRAPH:
                _graph_to_fp16(a.g)
            if node.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    for vi in list(g.value_info) + list(g.output) + list(g.input):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16


def to_fp16(model):
    m = copy.deepcopy(model)
    g = m.graph
    float_inputs = [i.name for i in g.input if i.type.tensor_type.elem_type == TensorProto.FLOAT]
    float_outputs = [o.name for o in g.output if o.type.tensor_type.elem_type == TensorProto.FLOAT]
    _graph_to_fp16(g)
    del g.value_info[:]
    # graph inputs stay float32: Cast each to float16 and point its consumers at the cast
    renamed = {n: f"{n}_fp16" for n in float_inputs}
    for node in g.node:
        for k, name in enumerate(node.input):
            if name in renamed:
                node.input[k] = renamed[name]
    # graph outputs stay float32: the producer writes NAME_fp16, a Cast writes NAME
    out_renamed = {n: f"{n}_fp16" for n in float_outputs}
    for node in g.node:
        for k, name in enumerate(node.output):
            if name in out_renamed:
                node.output[k] = out_renamed[name]
        for k, name in enumerate(node.input):
            if name in out_renamed:  # an output also used inside the graph
                node.input[k] = out_renamed[name]
    casts_in = [helper.make_node("Cast", [n], [renamed[n]], name=f"graph_input_cast_{i}", to=TensorProto.FLOAT16)
                for i, n in enumerate(float_inputs)]
    casts_out = [helper.make_node("Cast", [out_renamed[n]], [n], name=f"graph_output_cast_{i}", to=TensorProto.FLOAT)
                 for i, n in enumerate(float_outputs)]
    nodes = casts_in + list(g.node) + casts_out
    del g.node[:]
    g.node.extend(nodes)
    for vi in list(g.input) + list(g.output):
        if vi.name in renamed or vi.name in out_renamed:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT
    onnx.checker.check_model(m, full_check=True)
    return m


def quantize_dynamic(model):
    """uint8 activations (DynamicQuantizeLinear), int8 symmetric per-tensor weights (zero point 0)."""
    m = copy.deepcopy(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    used_as_other = {}
    for node in g.node:
        for k, name in enumerate(node.input):
            used_as_other.setdefault(name, set()).add((node.name, k))
    out_nodes, quantized_acts, new_inits, dropped = [], {}, [], set()
    for node in g.node:
        w = node.input[1] if len(node.input) > 1 else None
        wt = inits.get(w)
        ok = wt is not None and wt.data_type == TensorProto.FLOAT and len(wt.dims) == 2
        if node.op_type == "Gemm":
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            ok = ok and attrs.get("transA", 0) == 0 and attrs.get("transB", 0) == 0 and \
                attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0
        elif node.op_type != "MatMul":
            ok = False
        if not ok:
            out_nodes.append(node)
            continue
        a, out = node.input[0], node.output[0]
        if a not in quantized_acts:
            quantized_acts[a] = (f"{a}_quantized", f"{a}_scale", f"{a}_zero_point")
            out_nodes.append(helper.make_node("DynamicQuantizeLinear", [a], list(quantized_acts[a]),
                                              name=f"{a}_QuantizeLinear"))
        aq, ascale, azp = quantized_acts[a]
        wf = numpy_helper.to_array(wt)
        scale = np.float32(max(float(np.abs(wf).max()), 1e-8) / 127.0)
        wq = np.clip(np.round(wf / scale), -127, 127).astype(np.int8)
        new_inits += [numpy_helper.from_array(wq, f"{w}_quantized"),
                      numpy_helper.from_array(np.array(scale, dtype=np.float32), f"{w}_scale"),
                      numpy_helper.from_array(np.array(0, dtype=np.int8), f"{w}_zero_point")]
        dropped.add(w)
        base = node.name or out
        mm_out = f"{out}_output_quantized" if node.op_type == "MatMul" else f"{out}_matmul_output_quantized"
        out_nodes += [
            helper.make_node("MatMulInteger", [aq, f"{w}_quantized", azp, f"{w}_zero_point"], [mm_out],
                             name=f"{base}_quant"),
            helper.make_node("Cast", [mm_out], [f"{mm_out}_cast_output"], name=f"{base}_quant_output_cast",
                             to=TensorProto.FLOAT),
            helper.make_node("Mul", [ascale, f"{w}_scale"], [f"{base}_quant_scales_mul:0"],
                             name=f"{base}_quant_scales_mul"),
        ]
        if node.op_type == "MatMul":
            out_nodes.append(helper.make_node("Mul", [f"{mm_out}_cast_output", f"{base}_quant_scales_mul:0"], [out],
                                              name=f"{base}_quant_output_scale_mul"))
        else:  # Gemm: scale, then its bias
            out_nodes += [
                helper.make_node("Mul", [f"{mm_out}_cast_output", f"{base}_quant_scales_mul:0"],
                                 [f"{out}_scaled"], name=f"{base}_quant_output_scale_mul"),
                helper.make_node("Add", [f"{out}_scaled", node.input[2]], [out], name=f"{base}_bias_add")]
    still_used = {i for n in out_nodes for i in n.input}
    keep = [t for t in g.initializer if t.name not in dropped or t.name in still_used]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    del g.node[:]
    g.node.extend(out_nodes)
    del g.value_info[:]
    if not any(o.domain in ("", "ai.onnx") and o.version >= 11 for o in m.opset_import):
        raise ValueError("quantize_dynamic needs opset >= 11 (DynamicQuantizeLinear)")
    onnx.checker.check_model(m, full_check=True)
    return m


def save_external(model, path, location="model.onnx_data", threshold=1024):
    """Tensors of at least `threshold` bytes go to `location` (onnx's own default threshold); large
    Constant nodes become initializers first, as exporters that write external data store weights.
    Small constants stay inline: onnxruntime reads shape-like constants during shape inference."""
    m = copy.deepcopy(model)
    kept = []
    for node in m.graph.node:
        t = node.attribute[0].t if node.op_type == "Constant" and node.attribute and \
            node.attribute[0].type == onnx.AttributeProto.TENSOR else None
        if t is not None and numpy_helper.to_array(t).nbytes >= threshold:
            t.name = node.output[0]
            m.graph.initializer.append(t)
        else:
            kept.append(node)
    del m.graph.node[:]
    m.graph.node.extend(kept)
    onnx.save_model(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=location,
                    size_threshold=threshold, convert_attribute=False)


def expose_softmax(model):
    """A copy whose Softmax outputs are also graph outputs named attention.<k> (k in graph order)."""
    m = copy.deepcopy(model)
    k = 0
    for node in m.graph.node:
        if node.op_type == "Softmax":
            m.graph.output.append(helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, None))
            k += 1
    return m


def _prefixed_branch(g, prefix, outer_names, out_names):
    """g's nodes as an If branch: every value not in outer_names gets prefix (so no value shadows the
    outer scope); node names stay as exported, as in Optimum's merged decoders, so module paths remain."""
    def rn(n):
        return n if (n == "" or n in outer_names) else prefix + n
    b = helper.make_graph([], f"{prefix}branch", [], [])
    for node in g.node:
        nn_ = copy.deepcopy(node)
        for k, n in enumerate(nn_.input):
            nn_.input[k] = rn(n)
        for k, n in enumerate(nn_.output):
            nn_.output[k] = rn(n)
        b.node.append(nn_)
    for o in g.output:
        vi = copy.deepcopy(o)
        vi.name = rn(o.name)
        b.output.append(vi)
    return b


def merge_decoders(with_past, no_past):
    """decoder_model_merged.onnx: inputs of with_past + use_cache_branch (bool [1]); one If node whose
    then-branch is with_past and else-branch no_past (which ignores the past inputs). Initializers are
    moved to the outer graph, identical tensors stored once."""
    outer_inputs = [copy.deepcopy(i) for i in with_past.graph.input]
    outer_inputs.append(helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1]))
    inits, by_content, rename = [], {}, [{}, {}]
    for gi, g in enumerate((with_past.graph, no_past.graph)):
        for t in g.initializer:
            key = (t.data_type, tuple(t.dims), t.SerializeToString().replace(t.name.encode(), b""))
            if key in by_content:
                rename[gi][t.name] = by_content[key]
            else:
                name = t.name if gi == 0 else f"no_past::{t.name}"
                while any(x.name == name for x in inits):
                    name = "_" + name
                tt = copy.deepcopy(t)
                tt.name = name
                inits.append(tt)
                by_content[key] = name
                rename[gi][t.name] = name
    branches = []
    for gi, (g, prefix) in enumerate(((with_past.graph, "with_past::"), (no_past.graph, "no_past::"))):
        gg = copy.deepcopy(g)
        for node in gg.node:
            for k, n in enumerate(node.input):
                if n in rename[gi]:
                    node.input[k] = rename[gi][n]
        outer = {i.name for i in outer_inputs} | {t.name for t in inits}
        branches.append(_prefixed_branch(gg, prefix, outer, None))
    out_names = [o.name for o in with_past.graph.output]
    if out_names != [o.name for o in no_past.graph.output]:
        raise ValueError("merge_decoders: the two decoders' outputs differ")
    if_node = helper.make_node("If", ["use_cache_branch"], out_names, name="optimum::if",
                               then_branch=branches[0], else_branch=branches[1])
    outs = []
    for o in with_past.graph.output:
        vi = copy.deepcopy(o)
        outs.append(vi)
    g = helper.make_graph([if_node], "merged_decoder", outer_inputs, outs, initializer=inits)
    m = helper.make_model(g, opset_imports=list(with_past.opset_import), producer_name="attention-lens-fixtures")
    m.ir_version = with_past.ir_version
    onnx.checker.check_model(m, full_check=True)
    return m
