#!/usr/bin/python3
"""Tokenize the corpus splits with models/tokenizer.json into one token stream per source
(documents joined by the ids of "\n\n"): work/tokens/{train,test}.npz, plus token counts."""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
WORK = os.environ.get("WORK", os.path.join(HERE, "work"))


def main():
    tok = bpe.Tokenizer(os.path.join(MODELS, "tokenizer.json"))
    sep = tok.encode("\n\n")
    out_dir = os.path.join(WORK, "tokens")
    os.makedirs(out_dir, exist_ok=True)
    counts = {}
    for split in ("train", "test"):
        t0 = time.time()
        streams = {}
        with open(os.path.join(WORK, "corpus", f"{split}.jsonl"), encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                s = streams.setdefault(d["source"], [])
                if s:
                    s.extend(sep)
                s.extend(tok.encode(d["text"]))
        arrays = {k: np.asarray(v, dtype=np.int16 if tok.vocab_size <= 32767 else np.int32) for k, v in streams.items()}
        np.savez(os.path.join(out_dir, f"{split}.npz"), **arrays)
        counts[split] = {k: int(len(v)) for k, v in arrays.items()}
        print(split, counts[split], f"{time.time()-t0:.1f}s", flush=True)
    with open(os.path.join(out_dir, "counts.json"), "w") as fh:
        json.dump(counts, fh, indent=1)


if __name__ == "__main__":
    main()
