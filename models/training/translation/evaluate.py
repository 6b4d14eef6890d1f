#!/usr/bin/python3
"""Evaluate a translation checkpoint on the held-out test pairs and write metrics.json.

    /usr/bin/python3 models/training/translation/evaluate.py [--ckpt PATH] [--limit N] [--out PATH]

(a) chrF2 (chrf.py) of greedy translations, each direction; (b) the nearest-neighbour baseline (nn_baseline.py) on
the same pairs; (c) cross-attention alignment against CC-CEDICT word pairs (dictionary_pairs.py) under teacher
forcing: for each word pair, the rows of the decoder steps that *produce* the target word's tokens are averaged, and
the pair counts as a hit when the largest weight of that average falls on one of the source word's tokens. Scored for
every (layer, head), for the mean over all heads, and for a position-proportional (diagonal) baseline. The best head
is chosen on the dev pairs and reported on the test pairs (so its figure is not picked on the data it is scored on).
Gates: chrF above the baseline in both directions; alignment >= 60 % and >= 2x diagonal for the best head and for
the mean of all heads.
"""
import argparse
import functools
import glob
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from train import MAX_LEN, WORK, load_tokenizer  # noqa: E402  (also sets OPENBLAS_CORETYPE before torch loads)

import torch  # noqa: E402

from chrf import corpus_chrf  # noqa: E402
from decode import greedy  # noqa: E402
from dictionary_pairs import default_cedict_path, load_cedict, token_char_spans, tokens_in, word_pairs  # noqa: E402
from model import Config, Translator, batch_biases  # noqa: E402
from nn_baseline import NearestNeighbour  # noqa: E402

DIRECTIONS = {"en-zh": ("en", "zh", "<2zh>"), "zh-en": ("zh", "en", "<2en>")}
GATE_ALIGN = 0.60
GATE_DIAG_FACTOR = 2.0


def read(split):
    with open(os.path.join(WORK, "corpus", split + ".jsonl"), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def load_model(path):
    saved = torch.load(path, map_location="cpu")
    cfg = Config(**{k: v for k, v in saved["config"].items() if k != "head_dim"})
    model = Translator(cfg)
    model.load_state_dict(saved["model"])
    model.eval()
    return model, saved.get("state", {})


def default_ckpt():
    best = os.path.join(WORK, "ckpt", "best.pt")
    if os.path.exists(best):
        return best
    steps = sorted(glob.glob(os.path.join(WORK, "ckpt", "step-*.pt")), key=lambda p: int(os.path.basename(p)[5:-3]))
    if not steps:
        raise SystemExit(f"no checkpoint in {os.path.join(WORK, 'ckpt')} (expected best.pt or step-N.pt)")
    return steps[-1]


def fits(tok, pairs):
    return [p for p in pairs if len(tok.encode(p["en"])) < MAX_LEN and len(tok.encode(p["zh"])) < MAX_LEN]


def translate_all(model, tok, texts, lang, batch=48):
    eos, pad = tok.specials["</s>"], tok.specials["<pad>"]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = [None] * len(texts)
    for c in range(0, len(order), batch):
        idx = order[c:c + batch]
        hyps = greedy(model, [tok.encode(texts[i]) + [eos] for i in idx], tok.specials[lang], eos, pad, MAX_LEN)
        for i, h in zip(idx, hyps):
            out[i] = tok.decode(h)
    return out


@torch.no_grad()
def cross_attentions(model, src_ids, dec_ids):
    """[L, H, T, S] cross-attention of one pair under teacher forcing."""
    src = torch.tensor([src_ids])
    dec = torch.tensor([dec_ids])
    enc_b, dec_b, cross_b = batch_biases(torch.ones_like(src, dtype=torch.bool), dec.shape[1])
    memory = model.encode(src, enc_b)
    self_atts, cross = [], []
    model.decode(dec, memory, dec_b, cross_b, collect_self=self_atts, collect_cross=cross)
    return torch.cat([c[0] for c in cross], 0)  # each layer collects (attention, q, k, v)


def alignment_items(attend, tok, pairs, by_word):
    """For every dictionary word pair in every direction: (per-head hit [L*H] bool, mean-of-heads hit, diagonal hit,
    direction). attend(source ids + </s>, decoder input ids) gives the [L, H, T, S] weights to score: the model's
    cross-attention (cross_attentions), or a word aligner's table (ibm1_check.py)."""
    eos = tok.specials["</s>"]
    items = []
    for p in pairs:
        for name, (s_key, t_key, lang) in DIRECTIONS.items():
            src_text, tgt_text = p[s_key], p[t_key]
            s_ids, t_ids = tok.encode(src_text), tok.encode(tgt_text)
            wp = word_pairs(p["en"], p["zh"], by_word)
            if not wp:
                continue
            s_spans = token_char_spans(tok, s_ids, src_text)
            t_spans = token_char_spans(tok, t_ids, tgt_text)
            att = attend(s_ids + [eos], [tok.specials[lang]] + t_ids)  # [L,H,T,S]
            L, H = att.shape[:2]
            for es, ee, zs, ze in wp:
                (ss, se), (ts, te) = ((es, ee), (zs, ze)) if s_key == "en" else ((zs, ze), (es, ee))
                src_tok = set(tokens_in(s_spans, ss, se))
                rows = tokens_in(t_spans, ts, te)  # row j of the decoder writes target token j
                if not src_tok or not rows:
                    continue
                avg = att[:, :, rows, :].mean(2)  # [L,H,S]
                per_head = [int(i) in src_tok for i in avg.reshape(L * H, -1).argmax(-1)]
                mean_hit = int(avg.mean((0, 1)).argmax()) in src_tok
                centre = (sum(rows) / len(rows) + 0.5) / len(t_ids)
                diag_hit = min(int(centre * len(s_ids)), len(s_ids) - 1) in src_tok
                items.append((per_head, mean_hit, diag_hit, name))
    return items


def summarise(items, best=None):
    n = len(items)
    if n == 0:
        return {"pairs": 0}
    heads = len(items[0][0])
    per_head = [sum(it[0][h] for it in items) / n for h in range(heads)]
    out = {"pairs": n, "mean_of_heads": sum(it[1] for it in items) / n, "diagonal": sum(it[2] for it in items) / n,
           "per_head": [round(x, 4) for x in per_head]}
    if best is not None:
        out["best_head_share"] = per_head[best]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--limit", type=int, default=0, help="evaluate the first N test (and dev) pairs only")
    ap.add_argument("--out", default=os.path.join(WORK, "metrics.json"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--alignment-only", action="store_true",
                    help="skip translating (minutes); for checking a checkpoint's alignment while training runs")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    ckpt = a.ckpt or default_ckpt()
    tok = load_tokenizer()
    model, state = load_model(ckpt)
    L, H = model.cfg.layers, model.cfg.heads
    test, dev, train = fits(tok, read("test")), fits(tok, read("dev")), read("train")
    if a.limit:
        test, dev = test[:a.limit], dev[:a.limit]
    metrics = {"checkpoint": os.path.relpath(ckpt, WORK), "step": state.get("step"), "tokens_seen": state.get("tokens"),
               "test_pairs": len(test), "translation": {}, "alignment": {}}

    for name, (s_key, t_key, lang) in ([] if a.alignment_only else DIRECTIONS.items()):
        srcs, refs = [p[s_key] for p in test], [p[t_key] for p in test]
        hyps = translate_all(model, tok, srcs, lang)
        nn = NearestNeighbour([p[s_key] for p in train], [p[t_key] for p in train], chinese=s_key == "zh")
        base = nn.translate(srcs)
        m, b = corpus_chrf(hyps, refs), corpus_chrf(base, refs)
        metrics["translation"][name] = {"chrf2": round(m, 2), "nearest_neighbour_chrf2": round(b, 2),
                                        "beats_baseline": m > b,
                                        "examples": [{"source": s, "reference": r, "model": h, "nearest_neighbour": x}
                                                     for s, r, h, x in list(zip(srcs, refs, hyps, base))[:5]]}
        print(f"{name}: chrF2 {m:.2f}  nearest neighbour {b:.2f}  ({time.time() - t0:.0f}s)", flush=True)

    by_word = load_cedict(default_cedict_path(WORK))
    attend = functools.partial(cross_attentions, model)
    dev_items = alignment_items(attend, tok, dev, by_word)
    test_items = alignment_items(attend, tok, test, by_word)
    dev_sum = summarise(dev_items)
    best = max(range(L * H), key=lambda h: dev_sum["per_head"][h]) if dev_items else 0
    al = summarise(test_items, best)
    al["best_head"] = {"layer": best // H, "head": best % H, "chosen_on": "dev pairs"}
    for name in DIRECTIONS:
        sub = summarise([it for it in test_items if it[3] == name], best)
        sub.pop("per_head", None)
        al[name] = sub
    al["gate"] = {"threshold": GATE_ALIGN, "diagonal_factor": GATE_DIAG_FACTOR,
                  "best_head_passes": bool(al.get("best_head_share", 0) >= GATE_ALIGN
                                           and al.get("best_head_share", 0) >= GATE_DIAG_FACTOR * al.get("diagonal", 1)),
                  "mean_of_heads_passes": bool(al.get("mean_of_heads", 0) >= GATE_ALIGN
                                               and al.get("mean_of_heads", 0) >= GATE_DIAG_FACTOR * al.get("diagonal", 1))}
    metrics["alignment"] = al
    metrics["gates"] = {"chrf_beats_baseline_both": bool(metrics["translation"]) and all(v["beats_baseline"] for v in metrics["translation"].values()),
                        **{"alignment_" + k: v for k, v in al["gate"].items() if k.endswith("passes")}}
    metrics["seconds"] = round(time.time() - t0, 1)
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(metrics, fh, ensure_ascii=False, indent=1)
    print(json.dumps({k: v for k, v in al.items() if k != "per_head"}, indent=1))
    print(json.dumps(metrics["gates"]))


if __name__ == "__main__":
    main()
