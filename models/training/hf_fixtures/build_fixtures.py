#!/usr/bin/python3
"""Regenerates every fixture under test/fixtures/hf/ deterministically (fixed seeds, corpus at a pinned
commit). Also writes, under models/training/work/hf_fixtures/ (not committed), copies of the graphs with
their Softmax outputs exposed, which check_fixtures.mjs compares with reference.json.
Usage: /usr/bin/python3 models/training/hf_fixtures/build_fixtures.py [OUT_DIR]"""
import shutil
import sys
from pathlib import Path

import onnx
import torch

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here))

import bad_inputs  # noqa: E402
import export_models  # noqa: E402
import graph_variants  # noqa: E402
import write_tokenizers  # noqa: E402

torch.set_num_threads(1)
WORK = here.parent / "work" / "hf_fixtures"  # models/training/work/ is git-ignored
TOKENIZER_FILES = bad_inputs.TOKENIZER_FILES


def _copy_folder_files(src, dst, names):
    dst.mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copyfile(src / n, dst / n)


def main(out):
    out = Path(out)
    for name in ("tiny-gpt2", "tiny-bert", "tiny-llama", "tiny-marian", "tiny-gpt2-external", "tiny-gpt2-merged"):
        if (out / name).exists():
            shutil.rmtree(out / name)
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    sizes, enc = write_tokenizers.build(out, WORK)
    text, target = write_tokenizers.REFERENCE_TEXT, write_tokenizers.REFERENCE_TARGET

    gpt2 = out / "tiny-gpt2"
    model, _ = export_models.gpt2(gpt2, enc["tiny-gpt2"](text), text, sizes["tiny-gpt2"], eot=sizes["tiny-gpt2"] - 1)
    export_models.bert(out / "tiny-bert", enc["tiny-bert"](text), text, sizes["tiny-bert"])
    export_models.llama(out / "tiny-llama", enc["tiny-llama"](text), text, sizes["tiny-llama"])
    export_models.marian(out / "tiny-marian", enc["tiny-marian"](text), text, enc["tiny-marian"](target)[:-1], target,
                         sizes["tiny-marian"])

    # variants of tiny-gpt2
    fp32 = onnx.load(str(gpt2 / "onnx" / "model.onnx"))
    onnx.save_model(graph_variants.to_fp16(fp32), str(gpt2 / "onnx" / "model_fp16.onnx"))
    onnx.save_model(graph_variants.quantize_dynamic(fp32), str(gpt2 / "onnx" / "model_quantized.onnx"))
    ext = out / "tiny-gpt2-external"
    _copy_folder_files(gpt2, ext, ("config.json", "reference.json") + TOKENIZER_FILES)
    (ext / "onnx").mkdir()
    graph_variants.save_external(fp32, ext / "onnx" / "model.onnx")
    merged = out / "tiny-gpt2-merged"
    _copy_folder_files(gpt2, merged, ("config.json", "reference.json") + TOKENIZER_FILES)
    export_models.gpt2_no_past(model, WORK / "decoder_model_no_past.onnx")
    (merged / "onnx").mkdir()
    onnx.save_model(graph_variants.merge_decoders(fp32, onnx.load(str(WORK / "decoder_model_no_past.onnx"))),
                    str(merged / "onnx" / "decoder_model_merged.onnx"))

    # bad inputs, on a smaller GPT-2 graph (1 layer, d 8) with tiny-gpt2's tokenizer
    mini = WORK / "mini-gpt2"
    export_models.gpt2(mini, None, None, sizes["tiny-gpt2"], eot=sizes["tiny-gpt2"] - 1,
                       dims={"n_embd": 8, "n_layer": 1, "n_head": 2, "n_positions": 64}, seed=3)
    bad_inputs.build(out / "bad", gpt2, mini)

    # graphs with Softmax outputs exposed, for check_fixtures.mjs (not committed)
    exposed = WORK / "exposed"
    exposed.mkdir()
    for name, files in (("tiny-gpt2", ["model.onnx"]), ("tiny-bert", ["model.onnx"]), ("tiny-llama", ["model.onnx"]),
                        ("tiny-marian", ["encoder_model.onnx", "decoder_model.onnx"])):
        for f in files:
            m = graph_variants.expose_softmax(onnx.load(str(out / name / "onnx" / f)))
            (exposed / name).mkdir(exist_ok=True)
            onnx.save_model(m, str(exposed / name / f))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else here.parents[2] / "test" / "fixtures" / "hf")
