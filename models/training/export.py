#!/usr/bin/python3
"""Export a trained checkpoint to models/<kind>/ following models/README.md:
model.onnx (opset 17, dynamic sequence axis, fp32, no constant folding), model.json,
tokenizer.json (copy), training.json (what was trained, how long), and reference/
(PyTorch outputs on a fixed input for the fidelity test)."""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
from model import Config, ExportWrapper, Transformer, causal_bias  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
WORK = os.environ.get("WORK", os.path.join(HERE, "work"))
REFERENCE_TEXT = "Attention lets every token look at the others: the cat sat on the mat because it was tired."
OPSET = 17

CORPUS_DESC = ("English prose (Brown corpus, King James Bible, Python 3.11 docs, Jargon File, Devil's Dictionary), "
               "MIT-licensed TypeScript/JavaScript (@types/node, @types/vscode, lodash) and the Debian FAQ in "
               "Simplified Chinese; ~9.5 M BPE tokens, see MODEL_CARD.md")


def load(kind, run, ckpt=None):
    path = ckpt or os.path.join(WORK, "ckpt", run, kind, "final.pt")
    state = torch.load(path, map_location="cpu")
    cfg = Config(**{k: v for k, v in state["cfg"].items() if k != "head_dim"})
    model = Transformer(cfg)
    model.load_state_dict(state["model"])
    model.eval()
    return model, cfg, state, path


def default_bias(kind, n):
    return causal_bias(n) if kind == "causal" else torch.zeros(n, n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", required=True, choices=["causal", "encoder"])
    ap.add_argument("--run", default="main")
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--preview", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.set_flush_denormal(True)
    model, cfg, state, ckpt_path = load(args.kind, args.run, args.ckpt)
    out = os.path.join(MODELS, args.kind)
    os.makedirs(os.path.join(out, "reference"), exist_ok=True)
    wrapper = ExportWrapper(model).eval()

    # --- ONNX ---
    n = 16
    ids = torch.randint(0, 8000, (1, n), generator=torch.Generator().manual_seed(0))
    bias = default_bias(args.kind, n)
    onnx_path = os.path.join(out, "model.onnx")
    torch.onnx.export(
        wrapper, (ids, bias), onnx_path, opset_version=OPSET, do_constant_folding=False,
        input_names=["input_ids", "attention_bias"],
        output_names=["attentions", "queries", "keys", "values", "logits"],
        dynamic_axes={"input_ids": {1: "n"}, "attention_bias": {0: "n", 1: "n"},
                      "attentions": {2: "n", 3: "n"}, "queries": {2: "n"}, "keys": {2: "n"},
                      "values": {2: "n"}, "logits": {1: "n"}},
    )
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    size = os.path.getsize(onnx_path)
    assert size <= 25 * 1024 * 1024, f"model.onnx is {size} bytes > 25 MB"
    print(f"exported {onnx_path}: {size/1e6:.2f} MB, opset {OPSET}, checker ok")

    # --- tokenizer copy, model.json, training.json ---
    shutil.copyfile(os.path.join(MODELS, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    name = "Encoder (masked LM, 4 layers × 8 heads)" if args.kind == "encoder" else "Causal LM (4 layers × 8 heads)"
    if args.preview:
        name += " (preview: minutes of training, heads not yet meaningful)"
    meta = {
        "id": args.kind,
        "display_name": name,
        "kind": args.kind,
        "layers": cfg.layers,
        "heads": cfg.heads,
        "d_model": cfg.d_model,
        "head_dim": cfg.head_dim,
        "max_positions": cfg.max_positions,
        "vocab_size": cfg.vocab_size,
        "positional": "rotary",
        "files": {"model": "model.onnx", "tokenizer": "tokenizer.json"},
        "corpus": CORPUS_DESC,
        "license": "MIT (weights); training data licences listed in MODEL_CARD.md",
    }
    with open(os.path.join(out, "model.json"), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    training = {
        "preview": bool(args.preview),
        "checkpoint": os.path.relpath(ckpt_path, HERE),
        "steps": state["step"],
        "total_steps": state["total_steps"],
        "tokens_seen": state["tokens"],
        "train_seconds": round(state["train_seconds"]),
        "n_params": state["n_params"],
        "args": state["args"],
        "mix": state["mix"],
        "config": cfg.to_dict(),
        "onnx_bytes": size,
        "opset": OPSET,
        "device": state.get("device", "cpu"),
        "torch": state.get("torch"),
    }
    # train.py --keep heldout: the weights are those of the held-out check that kept them (steps/tokens/seconds
    # above are the check's); the run itself went on to run_steps. stored_as: weights rounded for transport.
    for key in ("kept", "run_steps", "run_tokens", "run_seconds", "stored_as", "evals"):
        if key in state:
            training[key] = state[key]
    if state.get("init"):
        # continued training (train.py --init-onnx/--init-ckpt): steps/tokens/seconds above are this stage's;
        # the totals add what the starting point had seen
        init = state["init"]
        training["init"] = init
        training["steps_total"] = state["step"] + (init.get("steps") or 0)
        training["tokens_seen_total"] = state["tokens"] + (init.get("tokens") or 0)
        training["train_seconds_total"] = round(state["train_seconds"] + (init.get("train_seconds") or 0))
    # from the training log (one record every 25 steps): when the 512-token phase began, throughput
    log_path = os.path.join(WORK, "logs", f"train-{state['args'].get('run', args.run)}-{args.kind}.jsonl")
    if os.path.exists(log_path):
        recs = [json.loads(l) for l in open(log_path) if l.strip()]
        recs = [r for r in recs if "eval" not in r]  # training records only (held-out checks are logged too)
        first_long = next((r["step"] for r in recs if r["seq"] == state["args"]["long_seq"]), None)
        if first_long is not None:
            training["long_steps"] = f"about {state['step'] - first_long + state['args'].get('log_every', 25)}"
        if recs:
            training["final_logged_train_loss"] = round(recs[-1]["loss"], 4)
    with open(os.path.join(out, "training.json"), "w") as fh:
        json.dump(training, fh, indent=1)
        fh.write("\n")

    # --- reference ---
    tok = bpe.Tokenizer(os.path.join(MODELS, "tokenizer.json"))
    ref_ids = tok.encode(REFERENCE_TEXT)
    x = torch.tensor([ref_ids], dtype=torch.long)
    b = default_bias(args.kind, len(ref_ids))
    with torch.no_grad():
        att, q, k, v, logits = wrapper(x, b)
    ref = os.path.join(out, "reference")
    with open(os.path.join(ref, "input.json"), "w", encoding="utf-8") as fh:
        json.dump({"text": REFERENCE_TEXT, "input_ids": ref_ids, "mask": "causal" if args.kind == "causal" else "full",
                   "attentions_shape": list(att.shape), "logits_shape": list(logits.shape)}, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    att.numpy().astype("<f4").tofile(os.path.join(ref, "attentions.f32"))
    logits.numpy().astype("<f4").tofile(os.path.join(ref, "logits.f32"))
    print(f"reference: {len(ref_ids)} tokens, attentions {tuple(att.shape)}, logits {tuple(logits.shape)}")


if __name__ == "__main__":
    main()
