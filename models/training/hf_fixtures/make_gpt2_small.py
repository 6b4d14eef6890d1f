#!/usr/bin/python3
"""Writes a GPT-2-small-sized model folder for the benchmark (not committed): 12 layers x 12 heads,
n_embd 768, n_positions 1024, vocab 50257, random weights (std 0.02, larger for query/key so the
attention is not uniform), tiny-gpt2's tokenizer (its ids < 1000 are all valid rows of the embedding).
Same graph shape as test/fixtures/hf/tiny-gpt2 (eager attention, past/present, opset 14); about 650 MB.
Usage: /usr/bin/python3 models/training/hf_fixtures/make_gpt2_small.py OUT_DIR"""
import shutil
import sys
from pathlib import Path

import torch

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here))

import export_models  # noqa: E402

FIXTURE = here.parents[2] / "test" / "fixtures" / "hf" / "tiny-gpt2"
DIMS = {"n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024}
VOCAB = 50257


def main(out):
    out = Path(out)
    if out.resolve() == FIXTURE.resolve() or FIXTURE.resolve() in out.resolve().parents:
        raise SystemExit(f"make_gpt2_small: {out} is inside the committed fixture {FIXTURE}; choose another folder")
    out.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(FIXTURE / name, out / name)
    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    export_models.gpt2(out, None, None, VOCAB, eot=VOCAB - 1, dims=DIMS, seed=0)
    print(f"wrote {out}/config.json, {out}/onnx/model.onnx and tiny-gpt2's tokenizer files")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: make_gpt2_small.py OUT_DIR")
    main(sys.argv[1])
