"""Builds each tiny model with a fixed seed, exports it with torch.onnx.export (TorchScript exporter,
opset 14) under Optimum's input/output names, and writes config.json and reference.json (PyTorch's
attention probabilities of every layer and head for one short text, and the last position's outputs)."""
import json
from pathlib import Path

import torch

import modeling

OPSET = 14
TRANSFORMERS_VERSION = "4.46.0"  # the config schema these files follow; nothing here runs transformers


def _r(x):
    """Nested lists rounded to 1e-6 (JSON stays small and stable across runs)."""
    return [[[round(float(v), 6) for v in row] for row in head] for head in x] if x.dim() == 3 else \
        [round(float(v), 6) for v in x.reshape(-1)]


def _attentions(captured):
    """[layer][head][q][k] from the captured (1, heads, q, k) tensors."""
    return [_r(t[0]) for t in captured]


def _dump(path, obj):
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _export(model, args, path, input_names, output_names, dynamic_axes):
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model, args, str(path), input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)


def _past_names(n_layer):
    ins, outs = [], []
    for i in range(n_layer):
        ins += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outs += [f"present.{i}.key", f"present.{i}.value"]
    return ins, outs


def _decoder_only(model, folder, cfg_json, n_layer, kv_heads, head_dim, ids, text, arch):
    """Exports a decoder with past (GPT-2 / Llama conventions) and writes its reference."""
    past_in, present_out = _past_names(n_layer)
    # trace with a non-empty past so that the past length stays symbolic; the check runs with past 0
    q, p = 3, 2
    dummy = (torch.tensor([[5, 6, 7]]), torch.ones(1, p + q, dtype=torch.int64), torch.arange(p, p + q)[None],
             *[torch.randn(1, kv_heads, p, head_dim) for _ in past_in])
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in past_in:
        axes[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_out:
        axes[n] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    _export(model, dummy, folder / "onnx" / "model.onnx", ["input_ids", "attention_mask", "position_ids", *past_in],
            ["logits", *present_out], axes)
    _dump(folder / "config.json", cfg_json)
    if ids is None:
        return
    n = len(ids)
    modeling.CAPTURE.clear()
    with torch.no_grad():
        out = model(torch.tensor([ids]), torch.ones(1, n, dtype=torch.int64), torch.arange(n)[None],
                    *[torch.zeros(1, kv_heads, 0, head_dim) for _ in past_in])
    _dump(folder / "reference.json", {
        "about": f"PyTorch outputs of the {arch} this graph was exported from, for `text` (ids include the "
                 "tokenizer's special tokens), attention_mask all ones, position_ids 0..n-1, past length 0. "
                 "attentions[layer][head][query][key], rounded to 1e-6.",
        "text": text, "input_ids": ids, "attentions": _attentions(modeling.CAPTURE),
        "logits_last": _r(out[0][0, -1])})


GPT2_DIMS = {"n_embd": 32, "n_layer": 3, "n_head": 4, "n_positions": 128}


def gpt2(folder, ids, text, vocab_size, eot, dims=GPT2_DIMS, seed=0):
    """ids=None: no reference.json (the GPT-2-small-sized benchmark model, the bad-input graphs)."""
    torch.manual_seed(seed)
    d = dims
    cfg = {"vocab_size": vocab_size, "layer_norm_epsilon": 1e-5, **d}
    model = modeling.GPT2LMHeadModel(cfg).eval()
    cfg_json = {"_name_or_path": "attention-lens/tiny-gpt2", "architectures": ["GPT2LMHeadModel"],
                "model_type": "gpt2", "activation_function": "gelu_new", "attn_pdrop": 0.0, "embd_pdrop": 0.0,
                "resid_pdrop": 0.0, "bos_token_id": eot, "eos_token_id": eot, "initializer_range": 0.02,
                "layer_norm_epsilon": 1e-5, "n_ctx": d["n_positions"], "n_embd": d["n_embd"], "n_head": d["n_head"],
                "n_inner": None, "n_layer": d["n_layer"], "n_positions": d["n_positions"],
                "tie_word_embeddings": True, "torch_dtype": "float32", "transformers_version": TRANSFORMERS_VERSION,
                "use_cache": True, "vocab_size": vocab_size}
    hd = d["n_embd"] // d["n_head"]
    _decoder_only(model, Path(folder), cfg_json, d["n_layer"], d["n_head"], hd, ids, text, "GPT2LMHeadModel")
    return model, cfg


def gpt2_no_past(model, path):
    """The same weights as a decoder without past inputs (for the merged decoder's else-branch)."""
    no_past = modeling.GPT2LMHeadModelNoPast(model.cfg).eval()
    no_past.load_state_dict(model.state_dict())
    n_layer = model.cfg["n_layer"]
    _, present_out = _past_names(n_layer)
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in present_out:
        axes[n] = {0: "batch_size", 2: "sequence_length"}
    _export(no_past, (torch.tensor([[5, 6, 7]]), torch.ones(1, 3, dtype=torch.int64), torch.arange(3)[None]),
            Path(path), ["input_ids", "attention_mask", "position_ids"], ["logits", *present_out], axes)


def llama(folder, ids, text, vocab_size, seed=0):
    torch.manual_seed(seed)
    cfg = {"vocab_size": vocab_size, "hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 2,
           "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
           "rms_norm_eps": 1e-6, "rope_theta": 10000.0}
    model = modeling.LlamaForCausalLM(cfg).eval()
    hd = cfg["hidden_size"] // cfg["num_attention_heads"]
    cfg_json = {"_name_or_path": "attention-lens/tiny-llama", "architectures": ["LlamaForCausalLM"],
                "model_type": "llama", "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 1,
                "eos_token_id": 2, "head_dim": hd, "hidden_act": "silu", "initializer_range": 0.02,
                "mlp_bias": False, "pretraining_tp": 1, "rope_scaling": None, "tie_word_embeddings": False,
                "torch_dtype": "float32", "transformers_version": TRANSFORMERS_VERSION, "use_cache": True, **cfg}
    _decoder_only(model, Path(folder), cfg_json, cfg["num_hidden_layers"], cfg["num_key_value_heads"], hd, ids, text,
                  "LlamaForCausalLM (eager attention)")
    return model, cfg


def bert(folder, ids, text, vocab_size, seed=0):
    torch.manual_seed(seed)
    folder = Path(folder)
    cfg = {"vocab_size": vocab_size, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "intermediate_size": 64, "max_position_embeddings": 128, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
           "pad_token_id": 0}
    model = modeling.BertForMaskedLM(cfg).eval()
    dummy = (torch.tensor([[2, 7, 8, 9, 3]]), torch.ones(1, 5, dtype=torch.int64), torch.zeros(1, 5, dtype=torch.int64))
    axes = {n: {0: "batch_size", 1: "sequence_length"}
            for n in ("input_ids", "attention_mask", "token_type_ids", "logits", "last_hidden_state")}
    _export(model, dummy, folder / "onnx" / "model.onnx", ["input_ids", "attention_mask", "token_type_ids"],
            ["logits", "last_hidden_state"], axes)
    _dump(folder / "config.json", {
        "_name_or_path": "attention-lens/tiny-bert", "architectures": ["BertForMaskedLM"], "model_type": "bert",
        "attention_probs_dropout_prob": 0.0, "classifier_dropout": None, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0, "initializer_range": 0.02, "position_embedding_type": "absolute",
        "torch_dtype": "float32", "transformers_version": TRANSFORMERS_VERSION, "use_cache": True, **cfg})
    n = len(ids)
    modeling.CAPTURE.clear()
    with torch.no_grad():
        logits, hidden = model(torch.tensor([ids]), torch.ones(1, n, dtype=torch.int64),
                               torch.zeros(1, n, dtype=torch.int64))
    _dump(folder / "reference.json", {
        "about": "PyTorch outputs of the BertForMaskedLM (SDPA attention) this graph was exported from, for `text` "
                 "(ids include [CLS] and [SEP]), attention_mask all ones, token_type_ids all 0. "
                 "attentions[layer][head][query][key], rounded to 1e-6.",
        "text": text, "input_ids": ids, "attentions": _attentions(modeling.CAPTURE),
        "last_hidden_state_last": _r(hidden[0, -1]), "logits_last": _r(logits[0, -1])})
    return model, cfg


def marian(folder, ids, text, target_ids, target_text, vocab_size, seed=0):
    torch.manual_seed(seed)
    folder = Path(folder)
    pad = vocab_size - 1
    cfg = {"vocab_size": vocab_size, "d_model": 32, "encoder_layers": 2, "decoder_layers": 2,
           "encoder_attention_heads": 4, "decoder_attention_heads": 4, "encoder_ffn_dim": 64, "decoder_ffn_dim": 64,
           "max_position_embeddings": 128, "pad_token_id": pad}
    mt = modeling.MarianMTModel(cfg).eval()
    enc, dec = modeling.MarianEncoderExport(mt).eval(), modeling.MarianDecoderExport(mt).eval()
    _export(enc, (torch.tensor([[5, 6, 7, 0]]), torch.ones(1, 4, dtype=torch.int64)), folder / "onnx" / "encoder_model.onnx",
            ["input_ids", "attention_mask"], ["last_hidden_state"],
            {"input_ids": {0: "batch_size", 1: "encoder_sequence_length"},
             "attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
             "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}})
    presents = []
    for i in range(cfg["decoder_layers"]):
        presents += [f"present.{i}.decoder.key", f"present.{i}.decoder.value",
                     f"present.{i}.encoder.key", f"present.{i}.encoder.value"]
    axes = {"encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
            "input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
            "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
            "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for p in presents:
        axes[p] = {0: "batch_size", 2: "decoder_sequence_length" if ".decoder." in p else "encoder_sequence_length"}
    _export(dec, (torch.ones(1, 4, dtype=torch.int64), torch.tensor([[pad, 5, 6]]), torch.randn(1, 4, cfg["d_model"])),
            folder / "onnx" / "decoder_model.onnx", ["encoder_attention_mask", "input_ids", "encoder_hidden_states"],
            ["logits", *presents], axes)
    _dump(folder / "config.json", {
        "_name_or_path": "attention-lens/tiny-marian", "architectures": ["MarianMTModel"], "model_type": "marian",
        "activation_dropout": 0.0, "activation_function": "swish", "attention_dropout": 0.0, "bos_token_id": 0,
        "classif_dropout": 0.0, "decoder_layerdrop": 0.0, "decoder_start_token_id": pad, "decoder_vocab_size": vocab_size,
        "dropout": 0.0, "encoder_layerdrop": 0.0, "eos_token_id": 0, "forced_eos_token_id": 0, "init_std": 0.02,
        "is_encoder_decoder": True, "normalize_before": False, "normalize_embedding": False,
        "num_hidden_layers": cfg["encoder_layers"], "scale_embedding": True, "share_encoder_decoder_embeddings": True,
        "static_position_embeddings": True, "torch_dtype": "float32", "transformers_version": TRANSFORMERS_VERSION,
        "use_cache": True, **cfg})
    dec_ids = [pad] + target_ids
    modeling.CAPTURE.clear()
    with torch.no_grad():
        src_mask = torch.ones(1, len(ids), dtype=torch.int64)
        hidden = enc(torch.tensor([ids]), src_mask)
        n_enc = len(modeling.CAPTURE)
        out = dec(src_mask, torch.tensor([dec_ids]), hidden)
    cap = modeling.CAPTURE
    enc_att, dec_cap = cap[:n_enc], cap[n_enc:]
    _dump(folder / "reference.json", {
        "about": "PyTorch outputs of the MarianMTModel (eager attention) these graphs were exported from. Encoder: "
                 "`text` as input_ids (ends with </s>), attention_mask all ones. Decoder: decoder_input_ids = "
                 "decoder_start_token_id (<pad>) then the ids of `target_text` (no </s>), encoder_attention_mask all "
                 "ones. attentions[layer][head][query][key] rounded to 1e-6; cross_attentions' keys are encoder "
                 "positions.",
        "text": text, "input_ids": ids, "target_text": target_text, "decoder_input_ids": dec_ids,
        "encoder_attentions": _attentions(enc_att),
        "decoder_attentions": _attentions(dec_cap[0::2]), "cross_attentions": _attentions(dec_cap[1::2]),
        "encoder_last_hidden_state_last": _r(hidden[0, -1]), "logits_last": _r(out[0][0, -1])})
    return mt, cfg
