#!/usr/bin/python3
"""Self-test of chrf.py on hand-worked examples (run: /usr/bin/python3 models/training/translation/test_chrf.py)."""
import sys

import chrf


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol


def main():
    cases = [
        # "abc" vs "abd": 1-grams 2 of 3 match (F = 2/3), 2-grams 1 of 2 (F = 1/2), 3-grams none (F = 0);
        # orders 4-6 have no n-grams on either side and are left out: 100 * (2/3 + 1/2 + 0) / 3
        ("abc", "abd", 100 * (2 / 3 + 1 / 2) / 3),
        # whitespace is removed before counting: "a b" equals "ab"
        ("a b", "ab", 100.0),
        # "aa" vs "a": 1-grams P = 1/2, R = 1, F2 = 5 * 0.5 * 1 / (4 * 0.5 + 1) = 5/6; 2-grams: the reference has
        # none, so order 2 is left out: 100 * 5/6
        ("aa", "a", 100 * 5 / 6),
    ]
    bad = 0
    for hyp, ref, want in cases:
        got = chrf.sentence_chrf(hyp, ref)
        ok = close(got, want)
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} chrF2({hyp!r}, {ref!r}) = {got:.6f} (hand-worked {want:.6f})")
    # sacreBLEU's published corpus example (the Hugging Face chrF metric card, sacreBLEU 2.x): 84.64214891738334
    got = chrf.corpus_chrf(["The relationship between cats and dogs is not exactly friendly.",
                            "a good bookshop is just a genteel black hole that knows how to read."],
                           ["The relationship between dogs and cats is not exactly friendly.",
                            "A good bookshop is just a genteel Black Hole that knows how to read."])
    ok = close(got, 84.64214891738334, 1e-6)
    bad += not ok
    print(f"{'ok ' if ok else 'BAD'} sacreBLEU corpus example = {got:.10f} (published 84.6421489174)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
