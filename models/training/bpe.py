#!/usr/bin/python3
"""A small byte-level BPE (GPT-2 style) trainer and encoder that reads/writes a standard
Hugging Face tokenizer.json.

Pre-tokenization: the GPT-2 split regex on the raw text (no normalizer, no prefix space), each
piece's UTF-8 bytes mapped through the GPT-2 byte->unicode table. Model: BPE whose vocab holds
all 256 byte symbols (ids 0..255 in byte order), then one token per merge in rank order, then the
special tokens <pad> and <mask> (also listed in added_tokens, special: true).
Encoding a piece: repeatedly merge the adjacent pair with the lowest merge rank (all its
non-overlapping occurrences, left to right) until no pair has a rank.
"""
import heapq
import json
from collections import Counter, defaultdict

import regex

PAT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
SPECIALS = ["<pad>", "<mask>"]


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def pretokenize(text):
    """Pieces of text, each as its byte-level unicode string."""
    return ["".join(B2U[b] for b in m.encode("utf-8")) for m in PAT.findall(text)]


def train(word_counts, vocab_size, log=print):
    """word_counts: {byte-level piece: count}. Returns the list of merges (pairs of strings)."""
    n_merges = vocab_size - 256 - len(SPECIALS)
    symbols = [B2U[b] for b in range(256)]  # id -> string
    sym_id = {s: i for i, s in enumerate(symbols)}
    words = []
    counts = []
    for w, c in word_counts.items():
        words.append([sym_id[ch] for ch in w])
        counts.append(c)
    pair_counts = defaultdict(int)
    where = defaultdict(set)
    for wi, w in enumerate(words):
        c = counts[wi]
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += c
            where[(a, b)].add(wi)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        cur = pair_counts.get(pair, 0)
        if cur <= 0:
            continue
        if cur != -negc:
            heapq.heappush(heap, (-cur, pair))
            continue
        a, b = pair
        new = len(symbols)
        symbols.append(symbols[a] + symbols[b])
        merges.append((symbols[a], symbols[b]))
        delta = defaultdict(int)
        for wi in where.pop(pair, ()):
            w = words[wi]
            if len(w) < 2:
                continue
            # quick check the pair is still there
            found = False
            for i in range(len(w) - 1):
                if w[i] == a and w[i + 1] == b:
                    found = True
                    break
            if not found:
                continue
            c = counts[wi]
            for p in zip(w, w[1:]):
                delta[p] -= c
            nw = []
            i = 0
            L = len(w)
            while i < L:
                if i < L - 1 and w[i] == a and w[i + 1] == b:
                    nw.append(new)
                    i += 2
                else:
                    nw.append(w[i])
                    i += 1
            words[wi] = nw
            for p in zip(nw, nw[1:]):
                delta[p] += c
                where[p].add(wi)
        for p, d in delta.items():
            if d == 0:
                continue
            pair_counts[p] += d
            if d > 0:
                heapq.heappush(heap, (-pair_counts[p], p))
        pair_counts.pop(pair, None)
        if log and len(merges) % 1000 == 0:
            log(f"  {len(merges)} merges, last {merges[-1]!r} count {-negc}")
    return merges


def tokenizer_json(merges):
    vocab = {B2U[b]: b for b in range(256)}
    for i, (a, b) in enumerate(merges):
        vocab[a + b] = 256 + i
    nid = 256 + len(merges)
    added = []
    for s in SPECIALS:
        vocab[s] = nid
        added.append({"id": nid, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True})
        nid += 1
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


class Tokenizer:
    def __init__(self, path):
        with open(path, encoding="utf-8") as fh:
            tj = json.load(fh)
        self.vocab = tj["model"]["vocab"]
        self.id_to_token = {v: k for k, v in self.vocab.items()}
        self.ranks = {tuple(m.split(" ")): i for i, m in enumerate(tj["model"]["merges"])}
        self.specials = {t["content"]: t["id"] for t in tj["added_tokens"]}
        self.vocab_size = max(self.vocab.values()) + 1
        self.cache = {}

    def bpe(self, piece):
        r = self.cache.get(piece)
        if r is not None:
            return r
        word = list(piece)
        ranks = self.ranks
        while len(word) > 1:
            best = None
            best_rank = None
            for p in zip(word, word[1:]):
                rk = ranks.get(p)
                if rk is not None and (best_rank is None or rk < best_rank):
                    best, best_rank = p, rk
            if best is None:
                break
            a, b = best
            nw = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == a and word[i + 1] == b:
                    nw.append(a + b)
                    i += 2
                else:
                    nw.append(word[i])
                    i += 1
            word = nw
        ids = [self.vocab[t] for t in word]
        if len(self.cache) < 500000:
            self.cache[piece] = ids
        return ids

    def encode(self, text):
        out = []
        for p in pretokenize(text):
            out.extend(self.bpe(p))
        return out

    def tokens(self, ids):
        return [self.id_to_token[i] for i in ids]

    def decode(self, ids):
        bs = bytearray()
        for i in ids:
            t = self.id_to_token[i]
            if t in self.specials:
                bs.extend(t.encode("utf-8"))
            else:
                bs.extend(U2B[ch] for ch in t)
        return bs.decode("utf-8", "replace")
