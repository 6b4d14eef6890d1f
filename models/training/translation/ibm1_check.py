#!/usr/bin/python3
"""How well the guided-alignment teacher (ibm1_align.py's IBM Model 1 tables) itself aligns the evaluation's
dictionary word pairs: the same held-out pairs and the same hit rule as evaluate.py, with the Model 1 posterior
p(source position | target token) in place of a cross-attention head. A ceiling of sorts for what the alignment loss
can teach (the model may do better or worse than its teacher), written beside the model's figures in the card.

    /usr/bin/python3 models/training/translation/ibm1_check.py [--limit 200]
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from evaluate import alignment_items, fits, read, summarise  # noqa: E402  (imports train: OPENBLAS first)
from ibm1_align import posterior_fn  # noqa: E402
from train import WORK, load_tokenizer  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dictionary_pairs import default_cedict_path, load_cedict  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=200)
    a = ap.parse_args()
    tok = load_tokenizer()
    t = np.load(os.path.join(WORK, "tokens", "ibm1-tables.npz"))
    vocab = int(t["vocab"])
    zh_given_en = posterior_fn(t["zh_given_en_keys"], t["zh_given_en"], vocab)
    en_given_zh = posterior_fn(t["en_given_zh_keys"], t["en_given_zh"], vocab)
    to_zh = tok.specials["<2zh>"]

    def attend(src_ids, dec_ids):
        # Row j of the decoder writes dec_ids[j + 1]; the NULL column stands where the source's </s> is.
        post = (zh_given_en if dec_ids[0] == to_zh else en_given_zh)(src_ids[:-1], dec_ids[1:])
        rows = np.vstack([post, np.full((1, post.shape[1]), 1.0 / post.shape[1])])
        return torch.from_numpy(rows)[None, None]

    test = fits(tok, read("test"))[:a.limit]
    items = alignment_items(attend, tok, test, load_cedict(default_cedict_path(WORK)))
    out = summarise(items, 0)
    out.pop("per_head")
    out["teacher"] = "IBM Model 1 posterior, argmax per target word (one direction per example)"
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
