"""Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into each family's fixture
folder, and (for the SentencePiece families) a few reference encodings by the sentencepiece library
itself into the build's work folder so check_tokenizers.mjs can compare."""
import json
from pathlib import Path

import sentencepiece as spm

import hf_tokenizers
from hf_tokenizers import bpe

# the text whose attention reference.json records (and, for tiny-marian, the decoder's target text)
REFERENCE_TEXT = "The cat sat on the mat because it was tired."
REFERENCE_TARGET = "注意力透镜"
SAMPLES = [
    "Attention Lens shows which tokens a model looks at.",
    "The quick brown fox jumps over the lazy dog; naïve café déjà vu!",
    "注意力透镜：请先打开文件并选择一些文本。",
    # no leading spaces: there sentencepiece adds its "▁" before them and Metaspace after them
    "two  spaces, tabs\tand 12345 digits ✓  end",
    REFERENCE_TEXT,
    REFERENCE_TARGET,
]


def wordpiece_reference(vocab, text):
    """Greedy longest-match-first WordPiece, as BERT's reference tokenizer does, with [CLS] ... [SEP]."""
    out = [vocab["[CLS]"]]
    for w in hf_tokenizers.bert_pretokenize(hf_tokenizers.bert_normalize(text)):
        start, pieces = 0, []
        while start < len(w):
            end = len(w)
            while end > start:
                sub = w[start:end] if start == 0 else "##" + w[start:end]
                if sub in vocab:
                    pieces.append(vocab[sub])
                    break
                end -= 1
            if end == start:
                pieces = [vocab["[UNK]"]]
                break
            start = end
        out.extend(pieces)
    return out + [vocab["[SEP]"]]


def dump(path, obj):
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=None if path.name == "tokenizer.json" else 2) + "\n",
                    encoding="utf-8")


def write_family(folder, tj, cfg, stm):
    folder.mkdir(parents=True, exist_ok=True)
    dump(folder / "tokenizer.json", tj)
    dump(folder / "tokenizer_config.json", cfg)
    dump(folder / "special_tokens_map.json", stm)


def build(out_root, work):
    out_root, work = Path(out_root), Path(work)
    work.mkdir(parents=True, exist_ok=True)
    sizes, encoders = {}, {}
    expected = {}
    tj, cfg, stm = hf_tokenizers.gpt2()
    write_family(out_root / "tiny-gpt2", tj, cfg, stm)
    sizes["tiny-gpt2"] = len(tj["model"]["vocab"])
    bt = bpe.Tokenizer(out_root / "tiny-gpt2" / "tokenizer.json")
    encoders["tiny-gpt2"] = bt.encode
    expected["tiny-gpt2"] = [bt.encode(s) for s in SAMPLES]
    tj, cfg, stm = hf_tokenizers.bert()
    write_family(out_root / "tiny-bert", tj, cfg, stm)
    sizes["tiny-bert"] = len(tj["model"]["vocab"])
    bert_vocab = tj["model"]["vocab"]
    encoders["tiny-bert"] = lambda s: wordpiece_reference(bert_vocab, s)
    expected["tiny-bert"] = [wordpiece_reference(bert_vocab, s) for s in SAMPLES]
    for name, fn, add in (("tiny-llama", hf_tokenizers.llama, "bos"), ("tiny-marian", hf_tokenizers.marian, "eos")):
        tj, cfg, stm, model = fn()
        write_family(out_root / name, tj, cfg, stm)
        sizes[name] = len(tj["model"]["vocab"])
        sp = spm.SentencePieceProcessor(model_proto=model)

        def encode(s, sp=sp, add=add):
            ids = sp.encode(s)
            return [sp.bos_id()] + ids if add == "bos" else ids + [sp.eos_id()]
        encoders[name] = encode
        expected[name] = [encode(s) for s in SAMPLES]
    dump(work / "tokenizer_reference.json", {"samples": SAMPLES, "ids": expected})
    return sizes, encoders


if __name__ == "__main__":
    import sys
    print(build(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "test/fixtures/hf",
                sys.argv[2] if len(sys.argv) > 2 else Path(__file__).resolve().parents[1] / "work/hf_fixtures"))
