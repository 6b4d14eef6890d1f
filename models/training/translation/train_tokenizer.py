#!/usr/bin/python3
"""Train the translation model's shared, cased byte-level BPE vocabulary (English and Chinese together, so
identifiers, numbers and placeholders are the same tokens on both sides and can be copied) on the training split,
with models/training/bpe.py, and write WORK/tokenizer/tokenizer.json. Prints tokens per English word and per Chinese
character on the dev split."""
import json
import os
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bpe  # noqa: E402
from clean_pairs import EN_WORD, HAN  # noqa: E402

WORK = os.environ.get("WORK", os.path.join(HERE, "..", "work", "translation"))
VOCAB = int(os.environ.get("VOCAB", "8192"))
# The added tokens, in id order after the merges. bpe.py appends bpe.SPECIALS to the vocabulary and to added_tokens
# and reserves room for them in the merge budget; this model's roles replace the bundled models' <pad>/<mask>.
SPECIALS = ["<pad>", "<s>", "</s>", "<2zh>", "<2en>"]


# Counting merges on whole Chinese runs is too slow here: the GPT-2 split keeps a run of Han characters (often a
# whole clause) as one piece, and every merge rewrites every long piece that contains its pair. Chinese pieces are
# therefore counted as overlapping windows of CHUNK characters with stride CHUNK // 2 (every adjacent character pair
# lies inside some window, and repeated windows collapse into one count). Only the counting changes: the tokenizer
# still applies the merges to whole pieces, exactly like the extension's tokenizer.
CHUNK = 4


def counted_pieces(text):
    for p in bpe.PAT.findall(text):
        if len(p) > CHUNK and HAN.search(p):
            lead = 1 if p[0] == " " else 0
            body = p[lead:]
            for i in range(0, max(len(body) - CHUNK // 2, 1), CHUNK // 2):
                w = (" " if lead and i == 0 else "") + body[i:i + CHUNK]
                yield "".join(bpe.B2U[b] for b in w.encode("utf-8"))
        else:
            yield "".join(bpe.B2U[b] for b in p.encode("utf-8"))


def read(split):
    with open(os.path.join(WORK, "corpus", split + ".jsonl"), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def rates(tok, rows):
    en_tokens = sum(len(tok.encode(r["en"])) for r in rows)
    zh_tokens = sum(len(tok.encode(r["zh"])) for r in rows)
    en_words = sum(len(EN_WORD.findall(r["en"])) for r in rows)
    zh_chars = sum(len(HAN.findall(r["zh"])) for r in rows)
    return {"tokens_per_english_word": round(en_tokens / en_words, 3),
            "tokens_per_chinese_character": round(zh_tokens / zh_chars, 3),
            "english_tokens": en_tokens, "chinese_tokens": zh_tokens}


def write_stats(tok, merges, t0):
    stats = {"vocab_size": tok.vocab_size, "merges": merges, "specials": tok.specials, "dev": rates(tok, read("dev")),
             "seconds": round(time.time() - t0, 1)}
    with open(os.path.join(WORK, "tokenizer", "stats.json"), "w", encoding="utf-8") as fh:
        json.dump(stats, fh, indent=1)
    print(json.dumps(stats))


def main():
    t0 = time.time()
    bpe.SPECIALS = SPECIALS
    if "--stats-only" in sys.argv[1:]:
        # A new checkout that copied the bundled tokenizer.json into WORK/tokenizer (README.md, "On a new machine"):
        # the card's tokenizer figures, without training another tokenizer.
        path = os.path.join(WORK, "tokenizer", "tokenizer.json")
        with open(path, encoding="utf-8") as fh:
            merges = len(json.load(fh)["model"]["merges"])
        write_stats(bpe.Tokenizer(path), merges, t0)
        return
    wc = Counter()
    for r in read("train"):
        for p in counted_pieces(r["en"]):
            wc[p] += 1
        for p in counted_pieces(r["zh"]):
            wc[p] += 1
    print(f"{len(wc)} unique pieces, {time.time() - t0:.1f}s", flush=True)
    merges = bpe.train(wc, VOCAB, log=lambda s: print(s, flush=True))
    tj = bpe.tokenizer_json(merges)
    out = os.path.join(WORK, "tokenizer")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "tokenizer.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(tj, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    tok = bpe.Tokenizer(path)
    assert [tok.specials[s] for s in SPECIALS] == list(range(VOCAB - len(SPECIALS), VOCAB)), tok.specials
    dev = read("dev")
    for r in dev[:200]:
        for t in (r["en"], r["zh"]):
            assert tok.decode(tok.encode(t)) == t, t
    write_stats(tok, len(merges), t0)


if __name__ == "__main__":
    main()
