#!/usr/bin/python3
"""Check a warm start: load the weights of a model.onnx into the PyTorch Transformer (model.load_onnx_weights)
and compare its outputs on the model's reference/input.json with reference/{attentions,logits}.f32 written at
export time. Usage: verify_warm_start.py PATH/TO/model.onnx (reference/ next to it)."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, ExportWrapper, Transformer, causal_bias, load_onnx_weights  # noqa: E402


def main():
    onnx_path = sys.argv[1]
    ref = os.path.join(os.path.dirname(os.path.abspath(onnx_path)), "reference")
    torch.set_num_threads(2)
    torch.set_flush_denormal(True)
    model = Transformer(Config())
    n = load_onnx_weights(model, onnx_path)
    model.eval()
    inp = json.load(open(os.path.join(ref, "input.json")))
    ids = torch.tensor([inp["input_ids"]])
    L = ids.shape[1]
    bias = causal_bias(L) if inp["mask"] == "causal" else torch.zeros(L, L)
    with torch.no_grad():
        att, _, _, _, logits = ExportWrapper(model)(ids, bias)
    ra = np.fromfile(os.path.join(ref, "attentions.f32"), dtype="<f4").reshape(inp["attentions_shape"])
    rl = np.fromfile(os.path.join(ref, "logits.f32"), dtype="<f4").reshape(inp["logits_shape"])
    ea = float(np.abs(att.numpy() - ra).max())
    el = float(np.abs(logits.numpy() - rl).max())
    print(json.dumps({"tensors": n, "tokens": L, "max_abs_err_attentions": ea, "max_abs_err_logits": el}))
    assert ea <= 1e-5 and el <= 1e-5, "warm start does not reproduce the reference"


if __name__ == "__main__":
    main()
