"""chrF2 as sacreBLEU computes it by default (character n-grams n = 1..6, no word n-grams, beta = 2, whitespace
removed before counting), written here so the evaluation needs no package.

Corpus-level: the n-gram match, hypothesis and reference counts are summed over all sentences for each order; each
order gets its F-beta score (1 + β²)·P·R / (β²·P + R); the score is 100 × the sum of those F-scores divided by the
number of orders that had both hypothesis and reference n-grams (sacreBLEU 2.x; an order without gives a tiny
epsilon, not 0, to the sum, as there).
"""
from collections import Counter

N = 6
BETA = 2.0


def char_ngrams(text, n):
    s = "".join(text.split())
    return Counter(s[i:i + n] for i in range(len(s) - n + 1))


def sentence_stats(hyp, ref):
    """[(matches, hyp total, ref total)] for n = 1..N."""
    out = []
    for n in range(1, N + 1):
        h, r = char_ngrams(hyp, n), char_ngrams(ref, n)
        out.append((sum((h & r).values()), sum(h.values()), sum(r.values())))
    return out


EPS = 1e-16


def score_from_stats(stats):
    b2 = BETA * BETA
    total, effective = 0.0, 0
    for m, h, r in stats:
        p = m / h if h > 0 else EPS
        rec = m / r if r > 0 else EPS
        denom = b2 * p + rec
        total += (1 + b2) * p * rec / denom if denom > 0 else EPS
        effective += 1 if h > 0 and r > 0 else 0
    return 100.0 * total / effective if effective else 0.0


def corpus_chrf(hyps, refs):
    totals = [[0, 0, 0] for _ in range(N)]
    if len(hyps) != len(refs):
        raise ValueError(f"corpus_chrf: {len(hyps)} hypotheses but {len(refs)} references")
    for h, r in zip(hyps, refs):
        for i, (m, a, b) in enumerate(sentence_stats(h, r)):
            totals[i][0] += m
            totals[i][1] += a
            totals[i][2] += b
    return score_from_stats([tuple(t) for t in totals])


def sentence_chrf(hyp, ref):
    return score_from_stats(sentence_stats(hyp, ref))
