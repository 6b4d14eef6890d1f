#!/usr/bin/python3
"""Held-out evaluation and head census of models/<kind>/ (PyTorch checkpoint named in
models/<kind>/training.json), written to models/<kind>/metrics.json.

causal : perplexity on held-out windows vs a unigram model (train counts) on the same tokens.
encoder: masked-token top-1 accuracy (15% of positions replaced by <mask>) vs always predicting
         the most frequent training token on the same positions.
census : every layer/head, on held-out windows of 128 tokens with the kind's default mask,
         averaged over query positions 1..n-1: attention to the previous token, the next token,
         itself, the first token, punctuation/newline tokens; mean distance |i-j|; entropy (nats).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
from export import default_bias, load  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
WORK = os.environ.get("WORK", os.path.join(HERE, "work"))
MASK_ID = 8191
SEED = 4321


def windows(streams, L, per_source):
    out = []
    for name in sorted(streams):
        s = streams[name]
        k = min(per_source, (len(s) - 1) // L)
        for i in range(k):
            out.append((name, s[i * L:(i + 1) * L + 1]))
    return out


def is_punct_token(text):
    if "\n" in text:
        return True
    t = text.strip()
    return len(t) > 0 and all(not ch.isalnum() for ch in t)


def label_head(c, punct_base):
    tags = []
    if c["prev"] >= 0.4:
        tags.append((c["prev"], "previous-token head"))
    if c["next"] >= 0.4:
        tags.append((c["next"], "next-token head"))
    if c["self"] >= 0.4:
        tags.append((c["self"], "self (current-token) head"))
    if c["first"] >= 0.4:
        tags.append((c["first"], "first-token (sink) head"))
    if c["punct"] >= max(0.45, 2 * punct_base):
        tags.append((c["punct"], "punctuation/newline head"))
    if tags:
        tags.sort(reverse=True)
        return tags[0][1]
    if c["prev"] >= 0.3:
        return "partial previous-token head"
    if c["entropy_ratio"] >= 0.75:
        return "broad (near-uniform) head"
    if c["distance"] <= 2.0:
        return "local head"
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", required=True, choices=["causal", "encoder"])
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--per-source", type=int, default=30)
    ap.add_argument("--census-per-source", type=int, default=8)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.set_flush_denormal(True)
    out_dir = os.path.join(MODELS, args.kind)
    training = json.load(open(os.path.join(out_dir, "training.json")))
    ckpt = args.ckpt or os.path.join(HERE, training["checkpoint"])
    model, cfg, state, _ = load(args.kind, None, ckpt)
    tok = bpe.Tokenizer(os.path.join(MODELS, "tokenizer.json"))
    z = np.load(os.path.join(WORK, "tokens", "test.npz"))
    test = {k: z[k].astype(np.int64) for k in z.files}
    zt = np.load(os.path.join(WORK, "tokens", "train.npz"))
    counts = np.zeros(cfg.vocab_size, dtype=np.float64)
    for k in zt.files:
        counts += np.bincount(zt[k].astype(np.int64), minlength=cfg.vocab_size)
    metrics = {"kind": args.kind, "heldout": "test split (documents held out by prepare_corpus.py)"}
    g = torch.Generator().manual_seed(SEED)

    with torch.no_grad():
        if args.kind == "causal":
            unigram = (counts + 0.5) / (counts.sum() + 0.5 * len(counts))
            log_uni = torch.tensor(np.log(unigram))
            for L, per in ((256, args.per_source), (512, max(1, args.per_source // 6))):
                nll, uni, n = 0.0, 0.0, 0
                per_src = {}
                bias = default_bias("causal", L)
                for name, w in windows(test, L, per):
                    x = torch.from_numpy(w).unsqueeze(0)
                    logits = model(x[:, :-1], bias)
                    tgt = x[0, 1:]
                    l = F.cross_entropy(logits[0], tgt, reduction="sum").item()
                    u = -log_uni[tgt].sum().item()
                    nll += l
                    uni += u
                    n += L
                    ps = per_src.setdefault(name, [0.0, 0.0, 0])
                    ps[0] += l
                    ps[1] += u
                    ps[2] += L
                if L == 256:
                    metrics["perplexity"] = math.exp(nll / n)
                    metrics["unigram_perplexity"] = math.exp(uni / n)
                    metrics["eval_tokens"] = n
                    metrics["window"] = L
                    metrics["per_source"] = {k: {"perplexity": math.exp(a / c), "unigram_perplexity": math.exp(b / c), "tokens": c}
                                             for k, (a, b, c) in per_src.items()}
                else:
                    metrics["perplexity_512"] = math.exp(nll / n)
                    metrics["unigram_perplexity_512"] = math.exp(uni / n)
                    metrics["eval_tokens_512"] = n
            metrics["gates"] = {"perplexity_le_half_unigram": metrics["perplexity"] <= metrics["unigram_perplexity"] / 2}
        else:
            most = int(np.argmax(counts))
            for L, per in ((256, args.per_source), (512, max(1, args.per_source // 6))):
                correct, base, n = 0, 0, 0
                nll = 0.0
                per_src = {}
                bias = default_bias("encoder", L)
                for name, w in windows(test, L, per):
                    x = torch.from_numpy(w[:L]).unsqueeze(0)
                    sel = torch.rand(x.shape, generator=g) < 0.15
                    inp = x.clone()
                    inp[sel] = MASK_ID
                    h, _ = model.hidden(inp, bias)
                    logits = model.logits(h[sel])
                    tgt = x[sel]
                    c = (logits.argmax(-1) == tgt).sum().item()
                    b = (tgt == most).sum().item()
                    nll += F.cross_entropy(logits, tgt, reduction="sum").item()
                    correct += c
                    base += b
                    n += len(tgt)
                    ps = per_src.setdefault(name, [0, 0, 0])
                    ps[0] += c
                    ps[1] += b
                    ps[2] += len(tgt)
                if L == 256:
                    metrics["masked_accuracy"] = correct / n
                    metrics["baseline_accuracy"] = base / n
                    metrics["baseline_token"] = tok.decode([most])
                    metrics["masked_perplexity"] = math.exp(nll / n)
                    metrics["masked_tokens"] = n
                    metrics["window"] = L
                    metrics["per_source"] = {k: {"masked_accuracy": a / c, "baseline_accuracy": b / c, "masked_tokens": c}
                                             for k, (a, b, c) in per_src.items()}
                else:
                    metrics["masked_accuracy_512"] = correct / n
                    metrics["baseline_accuracy_512"] = base / n
            metrics["gates"] = {"accuracy_ge_2x_baseline": metrics["masked_accuracy"] >= 2 * metrics["baseline_accuracy"]}

        # --- head census ---
        L = 128
        H, NL = cfg.heads, cfg.layers
        keys = ["prev", "next", "self", "first", "punct", "distance", "entropy", "entropy_ratio"]
        acc = {k: torch.zeros(NL, H, dtype=torch.float64) for k in keys}
        nq = 0
        bias = default_bias(args.kind, L)
        punct_tok = torch.tensor([is_punct_token(tok.decode([i])) for i in range(cfg.vocab_size)])
        idx = torch.arange(L)
        dist = (idx[:, None] - idx[None, :]).abs().double()
        # log of the number of visible keys per query, for the entropy ratio
        vis = (bias == 0).sum(-1).double()
        maxent = torch.log(vis)
        q = torch.arange(1, L)
        punct_base_sum = 0.0
        for name, w in windows(test, L, args.census_per_source):
            x = torch.from_numpy(w[:L]).unsqueeze(0)
            _, (atts, _, _, _) = model.hidden(x, bias, collect=True)
            A = torch.cat(atts, 0).double()  # NL,H,L,L
            pm = punct_tok[x[0]].double()
            punct_base_sum += pm.mean().item()
            Aq = A[:, :, 1:, :]
            acc["prev"] += A[:, :, q, q - 1].sum(-1)
            acc["next"] += torch.cat([A[:, :, q[:-1], q[:-1] + 1], torch.zeros(NL, H, 1, dtype=torch.float64)], -1).sum(-1)
            acc["self"] += A[:, :, q, q].sum(-1)
            acc["first"] += Aq[..., 0].sum(-1)
            acc["punct"] += (Aq * pm).sum(-1).sum(-1)
            acc["distance"] += (Aq * dist[1:]).sum(-1).sum(-1)
            ent = -(Aq * torch.log(Aq.clamp_min(1e-30))).sum(-1)
            acc["entropy"] += ent.sum(-1)
            acc["entropy_ratio"] += (ent / maxent[1:]).sum(-1)
            nq += L - 1
        n_win = len(windows(test, L, args.census_per_source))
        punct_base = punct_base_sum / n_win
        census = []
        for l in range(NL):
            for h in range(H):
                c = {"layer": l, "head": h}
                for k in keys:
                    c[k] = round(acc[k][l, h].item() / nq, 4)
                c["label"] = label_head(c, punct_base)
                census.append(c)
        best = max(census, key=lambda c: c["prev"])
        metrics["census_windows"] = n_win
        metrics["census_window"] = L
        metrics["punct_token_rate"] = round(punct_base, 4)
        metrics["best_prev_token_head"] = {"layer": best["layer"], "head": best["head"], "share": best["prev"]}
        if args.kind == "causal":
            metrics["gates"]["prev_token_head_ge_0_5"] = best["prev"] >= 0.5
        metrics["census"] = census
    with open(os.path.join(out_dir, "metrics.json"), "w") as fh:
        json.dump(metrics, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    summary = {k: v for k, v in metrics.items() if k not in ("census", "per_source")}
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    for c in census:
        if c["label"]:
            print(f"L{c['layer']}H{c['head']}: {c['label']}  prev {c['prev']:.2f} self {c['self']:.2f} first {c['first']:.2f} punct {c['punct']:.2f} dist {c['distance']:.1f}")


if __name__ == "__main__":
    main()
