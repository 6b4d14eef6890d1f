"""Model folders that a loader must refuse with a clear error (test/fixtures/hf/bad/). Each is complete
except for the one thing wrong with it, so a test fails for that reason and no other."""
import copy
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def _copy(src_folder, dst_folder, names):
    dst_folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copyfile(src_folder / n, dst_folder / n)


def _save(model, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.checker.check_model(model, full_check=True)
    onnx.save_model(model, str(path))


def _config(vocab, n_layer=1, n_head=2, d=16):
    return {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": vocab, "n_layer": n_layer,
            "n_head": n_head, "n_embd": d, "n_positions": 64, "n_ctx": 64, "bos_token_id": vocab - 1,
            "eos_token_id": vocab - 1, "tie_word_embeddings": True}


def _write_json(path, obj):
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def fused_attention(vocab, d=16, heads=2, seed=1):
    """input_ids -> Gather -> com.microsoft.Attention -> MatMul -> logits: what Optimum --optimize O2
    leaves. The op has no attention-probability output."""
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array(rng.normal(0, 0.02, (vocab, d)).astype(np.float32), "wte"),
             numpy_helper.from_array(rng.normal(0, 0.3, (d, 3 * d)).astype(np.float32), "attn_qkv_weight"),
             numpy_helper.from_array(np.zeros(3 * d, np.float32), "attn_qkv_bias"),
             numpy_helper.from_array(rng.normal(0, 0.02, (d, vocab)).astype(np.float32), "lm_head_weight")]
    nodes = [
        helper.make_node("Gather", ["wte", "input_ids"], ["/transformer/wte/Gather_output_0"], name="/transformer/wte/Gather"),
        helper.make_node("Cast", ["attention_mask"], ["/transformer/mask_int32"], name="/transformer/Cast", to=TensorProto.INT32),
        helper.make_node("Attention", ["/transformer/wte/Gather_output_0", "attn_qkv_weight", "attn_qkv_bias",
                                       "/transformer/mask_int32"], ["/transformer/h.0/attn/Attention_output_0"],
                         name="Attention_0", domain="com.microsoft", num_heads=heads, unidirectional=1),
        helper.make_node("MatMul", ["/transformer/h.0/attn/Attention_output_0", "lm_head_weight"], ["logits"],
                         name="/lm_head/MatMul"),
    ]
    g = helper.make_graph(nodes, "fused_attention",
                          [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
                           helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", vocab])],
                          initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14), helper.make_opsetid("com.microsoft", 1)],
                             producer_name="attention-lens-fixtures")


def no_attention(vocab, d=16, seed=2):
    """A language-model-shaped graph whose only Softmax is rank 3 (over features, like a router or a
    classifier head), not [batch, heads, q, k]: nothing is attention."""
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array(rng.normal(0, 0.02, (vocab, d)).astype(np.float32), "wte"),
             numpy_helper.from_array(rng.normal(0, 0.3, (d, d)).astype(np.float32), "router_weight"),
             numpy_helper.from_array(rng.normal(0, 0.02, (d, vocab)).astype(np.float32), "lm_head_weight")]
    nodes = [
        helper.make_node("Gather", ["wte", "input_ids"], ["/model/embed/Gather_output_0"], name="/model/embed/Gather"),
        helper.make_node("MatMul", ["/model/embed/Gather_output_0", "router_weight"], ["/model/router/MatMul_output_0"],
                         name="/model/router/MatMul"),
        helper.make_node("Softmax", ["/model/router/MatMul_output_0"], ["/model/router/Softmax_output_0"],
                         name="/model/router/Softmax", axis=-1),
        helper.make_node("MatMul", ["/model/router/Softmax_output_0", "lm_head_weight"], ["logits"],
                         name="/lm_head/MatMul"),
    ]
    g = helper.make_graph(nodes, "no_attention",
                          [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
                           helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", vocab])],
                          initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)], producer_name="attention-lens-fixtures")


def external_escape(model, folder, location="../../outside.bin"):
    """model with its largest initializer stored as external data at `location`, relative to the
    graph's folder (onnx/), i.e. outside the model folder. The bytes are really there, so a loader that
    follows the path would succeed: refusing is the only correct outcome."""
    m = copy.deepcopy(model)
    big = max(m.graph.initializer, key=lambda t: len(t.raw_data) or numpy_helper.to_array(t).nbytes)
    data = numpy_helper.to_array(big).tobytes()
    onnx_dir = folder / "onnx"
    onnx_dir.mkdir(parents=True, exist_ok=True)
    target = (onnx_dir / location).resolve()
    target.write_bytes(data)
    big.ClearField("raw_data")
    del big.float_data[:]
    big.data_location = TensorProto.EXTERNAL
    del big.external_data[:]
    for k, v in (("location", location), ("offset", "0"), ("length", str(len(data)))):
        e = big.external_data.add()
        e.key, e.value = k, v
    onnx.save_model(m, str(onnx_dir / "model.onnx"))
    return target


def build(out, good_gpt2_folder, mini_gpt2_folder):
    """out: test/fixtures/hf/bad. mini_gpt2_folder: a small exported GPT-2 (config.json + onnx/model.onnx)."""
    out, good, mini = Path(out), Path(good_gpt2_folder), Path(mini_gpt2_folder)
    if out.exists():
        shutil.rmtree(out)
    mini_model = onnx.load(str(mini / "onnx" / "model.onnx"))
    mini_cfg = json.loads((mini / "config.json").read_text(encoding="utf-8"))
    vocab = mini_cfg["vocab_size"]

    def folder(name, model=mini_model, cfg=mini_cfg, tokenizer=True):
        f = out / name
        f.mkdir(parents=True, exist_ok=True)
        if cfg is not None:
            _write_json(f / "config.json", cfg)
        if tokenizer:
            _copy(good, f, TOKENIZER_FILES)
        if model is not None:
            _save(model, f / "onnx" / "model.onnx")
        return f

    folder("fused-attention", fused_attention(vocab), _config(vocab))
    folder("no-attention", no_attention(vocab), _config(vocab))
    f = folder("external-escape", None)
    external_escape(mini_model, f)
    f = folder("vocab-mismatch")
    tj = json.loads((f / "tokenizer.json").read_text(encoding="utf-8"))
    extra = 500  # tokenizer ids up to vocab + 499: the embedding has `vocab` rows
    for k in range(extra):
        tid = len(tj["model"]["vocab"])
        tj["model"]["vocab"][f"<|extra_{k}|>"] = tid
        tj["added_tokens"].append({"id": tid, "content": f"<|extra_{k}|>", "single_word": False, "lstrip": False,
                                   "rstrip": False, "normalized": False, "special": True})
    (f / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False) + "\n", encoding="utf-8")
    folder("missing-config", cfg=None)
    folder("missing-tokenizer", tokenizer=False)
    f = folder("catastrophic-regex")
    tj = json.loads((f / "tokenizer.json").read_text(encoding="utf-8"))
    # nested quantifier + anchor: on "aaaa…ab" a backtracking engine tries exponentially many splits
    tj["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "(a+)+$"}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
    (f / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False) + "\n", encoding="utf-8")
    f = folder("unsupported-component")
    tj = json.loads((f / "tokenizer.json").read_text(encoding="utf-8"))
    tj["normalizer"] = {"type": "FancyUnicodeFolding", "mode": "aggressive"}
    (f / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False) + "\n", encoding="utf-8")
    _write_json(out / "README.json", {
        "fused-attention": "onnx/model.onnx attends with com.microsoft.Attention (no Softmax to expose)",
        "no-attention": "onnx/model.onnx has no rank-4 Softmax; its one Softmax is rank 3",
        "external-escape": "onnx/model.onnx keeps its largest weight in external data at ../../outside.bin "
                           "(bad/outside.bin, outside the model folder)",
        "vocab-mismatch": f"tokenizer.json has {vocab + extra} ids, config.json and the embedding {vocab}",
        "missing-config": "no config.json",
        "missing-tokenizer": "no tokenizer.json (nor tokenizer_config.json, special_tokens_map.json)",
        "catastrophic-regex": "tokenizer.json pre_tokenizer Split pattern (a+)+$ backtracks exponentially on 'aaa…ab'",
        "unsupported-component": "tokenizer.json normalizer type FancyUnicodeFolding does not exist",
    })
