#!/usr/bin/python3
"""Export a translation checkpoint to ONNX (the encoder-decoder contract of models/README.md) as a draft folder.

    /usr/bin/python3 models/training/translation/export.py [--ckpt PATH] [--out DIR]

Writes into DIR (default WORK/export/, never into models/): model.onnx (opset 17, dynamic sequence axes, no constant
folding, weights stored as fp16 behind a Cast by models/training/fp16_weights.py), model.json, tokenizer.json,
reference.json (inputs, PyTorch outputs and greedy tokens of one held-out pair, for check_export.mjs) and
training.json. The weights are rounded to fp16 *before* the reference is computed, so the fp16 file is an exact copy
of the model the reference ran (fp16_weights.py is run lossless) and the check can hold onnxruntime to 1e-4.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from train import MAX_LEN, WORK, dev_loss, encode_split, load_tokenizer  # noqa: E402

import onnx  # noqa: E402
import torch  # noqa: E402

from decode import greedy  # noqa: E402
from evaluate import default_ckpt, load_model  # noqa: E402
from model import INPUT_NAMES, OUTPUT_NAMES, ExportWrapper, causal_bias  # noqa: E402

OPSET = 17


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--out", default=os.path.join(WORK, "export"))
    a = ap.parse_args()
    torch.set_num_threads(2)
    ckpt = a.ckpt or default_ckpt()
    model, state = load_model(ckpt)
    cfg = model.cfg
    tok = load_tokenizer()
    pad = tok.specials["<pad>"]
    dev = encode_split(tok, "dev")
    loss_fp32 = dev_loss(model, dev, pad, 6000)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    loss_fp16 = dev_loss(model, dev, pad, 6000)
    print(f"dev loss fp32 {loss_fp32:.4f}, after rounding the weights to fp16 {loss_fp16:.4f}", flush=True)
    os.makedirs(a.out, exist_ok=True)
    wrapper = ExportWrapper(model).eval()

    S, T = 7, 5
    args = (torch.randint(0, 256, (1, S)), torch.randint(0, 256, (1, T)), torch.zeros(S, S), causal_bias(T),
            torch.zeros(T, S))
    axes = {"input_ids": {1: "S"}, "decoder_input_ids": {1: "T"}, "encoder_attention_bias": {0: "S", 1: "S"},
            "decoder_attention_bias": {0: "T", 1: "T"}, "cross_attention_bias": {0: "T", 1: "S"},
            "logits": {1: "T"}}
    for name in OUTPUT_NAMES[:-1]:
        prefix = name.split("_")[0]
        if name == "cross_attentions":
            axes[name] = {2: "T", 3: "S"}
        elif prefix == "encoder" or name in ("cross_keys", "cross_values"):
            axes[name] = {2: "S", 3: "S"} if name.endswith("attentions") else {2: "S"}
        else:
            axes[name] = {2: "T", 3: "T"} if name.endswith("attentions") else {2: "T"}
    fp32 = os.path.join(a.out, "model.fp32.onnx")
    torch.onnx.export(wrapper, args, fp32, opset_version=OPSET, input_names=INPUT_NAMES, output_names=OUTPUT_NAMES,
                      dynamic_axes=axes, do_constant_folding=False)
    onnx.checker.check_model(onnx.load(fp32))
    onnx_path = os.path.join(a.out, "model.onnx")
    subprocess.run([sys.executable, os.path.join(os.path.dirname(HERE), "fp16_weights.py"), fp32, onnx_path],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"model.onnx {os.path.getsize(onnx_path)} bytes (fp32 {os.path.getsize(fp32)})", flush=True)

    # reference: the first held-out test pair that fits, English -> Chinese, teacher-forced on its reference
    with open(os.path.join(WORK, "corpus", "test.jsonl"), encoding="utf-8") as fh:
        pair = next(p for p in map(json.loads, fh)
                    if len(tok.encode(p["en"])) < 40 and len(tok.encode(p["zh"])) < 40)
    eos = tok.specials["</s>"]
    src = tok.encode(pair["en"]) + [eos]
    dec = [tok.specials["<2zh>"]] + tok.encode(pair["zh"])
    S, T = len(src), len(dec)
    inputs = {"input_ids": [src], "decoder_input_ids": [dec], "encoder_attention_bias": torch.zeros(S, S),
              "decoder_attention_bias": causal_bias(T), "cross_attention_bias": torch.zeros(T, S)}
    with torch.no_grad():
        outs = wrapper(torch.tensor(inputs["input_ids"]), torch.tensor(inputs["decoder_input_ids"]),
                       inputs["encoder_attention_bias"], inputs["decoder_attention_bias"],
                       inputs["cross_attention_bias"])
    greedy_ids = greedy(model, [src], tok.specials["<2zh>"], eos, pad, MAX_LEN)[0]
    ref = {"pair": pair, "inputs": {k: (v.tolist() if torch.is_tensor(v) else v) for k, v in inputs.items()},
           "outputs": {n: {"dims": list(o.shape), "data": o.flatten().tolist()} for n, o in zip(OUTPUT_NAMES, outs)},
           "greedy": {"source": src, "start": tok.specials["<2zh>"], "eos": eos, "max_positions": MAX_LEN,
                      "tokens": greedy_ids, "text": tok.decode(greedy_ids)}}
    with open(os.path.join(a.out, "reference.json"), "w", encoding="utf-8") as fh:
        json.dump(ref, fh, ensure_ascii=False)
    shutil.copyfile(os.path.join(WORK, "tokenizer", "tokenizer.json"), os.path.join(a.out, "tokenizer.json"))
    params = sum(p.numel() for p in model.parameters())
    sp = tok.specials
    model_json = {
        # write_card.py adds " (preview)" to the name while a gate in metrics.json is missed.
        "id": "translation", "display_name": "Translation English ↔ 简体中文", "kind": "encoder-decoder",
        "layers": cfg.layers, "heads": cfg.heads, "d_model": cfg.d_model, "head_dim": cfg.head_dim,
        "max_positions": cfg.max_positions, "vocab_size": cfg.vocab_size, "positional": "learned",
        "parameters": params,
        "special_tokens": {"pad": "<pad>", "bos": "<s>", "eos": "</s>", "to_zh": "<2zh>", "to_en": "<2en>"},
        "special_token_ids": {k: sp[v] for k, v in
                              {"pad": "<pad>", "bos": "<s>", "eos": "</s>", "to_zh": "<2zh>", "to_en": "<2en>"}.items()},
        "files": {"model": "model.onnx", "tokenizer": "tokenizer.json"},
        "inputs": INPUT_NAMES, "outputs": OUTPUT_NAMES, "opset": OPSET, "weights": "float16 (Cast to float32)",
    }
    with open(os.path.join(a.out, "model.json"), "w", encoding="utf-8") as fh:
        json.dump(model_json, fh, ensure_ascii=False, indent=1)
    with open(os.path.join(a.out, "training.json"), "w", encoding="utf-8") as fh:
        json.dump({"checkpoint": os.path.relpath(ckpt, WORK), "step": state.get("step"), "epoch": state.get("epoch"),
                   "tokens_seen": state.get("tokens"), "train_seconds": state.get("seconds"),
                   "dev_loss_curve": state.get("dev"), "dev_loss_fp32": loss_fp32,
                   "dev_loss_fp16_weights": loss_fp16,
                   **({"guided_alignment": {**state["align"], "since_step": state.get("align_from"),
                                              "schedule": state.get("align_schedule", [])}}
                      if state.get("align") else {})}, fh, indent=1)
    os.remove(fp32)
    print(f"wrote {a.out}: {params} parameters; reference pair {pair['en']!r}; greedy {ref['greedy']['text']!r}")


if __name__ == "__main__":
    main()
