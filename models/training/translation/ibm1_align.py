#!/usr/bin/python3
"""Word alignments of the training pairs, learnt from the training pairs alone, for the guided-alignment loss.

    /usr/bin/python3 models/training/translation/ibm1_align.py      # ~4 min on 2 cores, writes WORK/tokens/align-train.pt

Why: after hours of CPU training the cross-attention heads still point at the right source word for only 40–45 % of
dictionary word pairs (models/translation/MODEL_CARD.md). A head that is told, during training, which source token
each target token translates reads as an alignment from the start (guided alignment, as in Garg et al. 2019, "Jointly
Learning to Align and Translate with Transformer Models", who used GIZA++ alignments). Here the alignments come from
IBM Model 1 (Brown et al. 1993) run by EM on the tokenized training pairs, in both directions, and kept only where
both directions agree (the intersection: high precision, lower recall). No dictionary is involved: CC-CEDICT stays
with the evaluation (issue 11).

Output: a list parallel to WORK/tokens/train.pt (one entry per example, both directions), each a tensor [n, 2] of
(decoder row j, source position i): row j writes target token j (train.py's target = target tokens + </s>).
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from train import WORK  # noqa: E402

ITERATIONS = 5


def flatten(pairs, null):
    """Every (source token incl. NULL, target token, target occurrence) triple of the pairs, as flat arrays."""
    s_all, t_all, row_all = [], [], []
    row = 0
    for src, tgt in pairs:
        s = np.asarray(list(src) + [null], dtype=np.int64)
        t = np.asarray(tgt, dtype=np.int64)
        s_all.append(np.tile(s, len(t)))
        t_all.append(np.repeat(t, len(s)))
        row_all.append(np.repeat(np.arange(row, row + len(t)), len(s)))
        row += len(t)
    return np.concatenate(s_all), np.concatenate(t_all), np.concatenate(row_all), row


def model1(pairs, vocab):
    """t(target | source) by EM: the sorted (source * (vocab + 1) + target) keys and their probabilities."""
    null = vocab
    s, t, row, rows = flatten(pairs, null)
    key = s * (vocab + 1) + t
    uniq, inv = np.unique(key, return_inverse=True)
    u_src = uniq // (vocab + 1)
    prob = np.full(len(uniq), 1.0)
    for it in range(ITERATIONS):
        p = prob[inv]
        denom = np.bincount(row, weights=p, minlength=rows)
        post = p / denom[row]
        counts = np.bincount(inv, weights=post, minlength=len(uniq))
        totals = np.bincount(u_src, weights=counts, minlength=vocab + 1)
        prob = counts / totals[u_src]
        print(f"  EM iteration {it + 1}: mean log-likelihood {np.mean(np.log(denom)):.3f}", flush=True)
    return uniq, prob


def posterior_fn(uniq, prob, vocab):
    """The [T, S+1] table p(source position | target token) of one pair under a Model 1 table (last column: NULL)."""
    null = vocab
    table = dict(zip(uniq.tolist(), prob.tolist()))

    def posterior(src, tgt):
        src = list(src) + [null]
        m = np.array([[table.get(si * (vocab + 1) + tj, 0.0) for si in src] for tj in tgt])
        return m / np.maximum(m.sum(1, keepdims=True), 1e-30)

    return posterior


def main():
    t0 = time.time()
    tok_path = os.path.join(WORK, "tokens", "train.pt")
    examples = torch.load(tok_path)
    vocab = 1 + max(max(max(e[0]), max(e[2])) for e in examples)
    # examples come in pairs: 2k is English -> Chinese, 2k+1 the reverse (train.encode_split). Source and target
    # without </s>: it is not a word of either text.
    en_zh = [(examples[k][0][:-1], examples[k][2][:-1]) for k in range(0, len(examples), 2)]
    print(f"{len(en_zh)} pairs, vocabulary {vocab}", flush=True)
    print("Model 1, Chinese given English", flush=True)
    fwd_table = model1(en_zh, vocab)
    print("Model 1, English given Chinese", flush=True)
    rev_table = model1([(z, e) for e, z in en_zh], vocab)
    # Kept for ibm1_check.py (how well the teacher itself aligns the evaluation's dictionary word pairs).
    np.savez(os.path.join(WORK, "tokens", "ibm1-tables.npz"), vocab=vocab, zh_given_en_keys=fwd_table[0],
             zh_given_en=fwd_table[1], en_given_zh_keys=rev_table[0], en_given_zh=rev_table[1])
    zh_given_en = posterior_fn(*fwd_table, vocab)
    en_given_zh = posterior_fn(*rev_table, vocab)
    out = []
    kept = rows = 0
    for e, z in en_zh:
        fwd = zh_given_en(e, z)  # [len z, len e + 1]
        rev = en_given_zh(z, e)  # [len e, len z + 1]
        best_e = fwd.argmax(1)  # for each Chinese token, its English token (len e = NULL)
        best_z = rev.argmax(1)
        links = [(j, int(i)) for j, i in enumerate(best_e) if i < len(e) and best_z[i] == j]
        rows += len(z) + len(e)
        kept += 2 * len(links)
        # English -> Chinese example: decoder rows are Chinese tokens, source positions English tokens.
        out.append(torch.tensor(links, dtype=torch.int16).reshape(-1, 2))
        # Chinese -> English example: rows are English tokens.
        out.append(torch.tensor([(i, j) for j, i in links], dtype=torch.int16).reshape(-1, 2))
    path = os.path.join(WORK, "tokens", "align-train.pt")
    torch.save(out, path)
    print(f"{kept} of {rows} target tokens aligned ({kept / rows:.1%}), {time.time() - t0:.0f} s -> {path}", flush=True)


if __name__ == "__main__":
    main()
