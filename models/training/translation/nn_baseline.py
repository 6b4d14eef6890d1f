"""Nearest-neighbour translation baseline: return the training translation of the training source most similar to
the query (cosine of TF-IDF vectors over unigrams and bigrams: lower-cased words for English sources, characters for
Chinese sources, where words are not written with spaces)."""
import math
import re
from collections import Counter

import torch

from clean_pairs import HAN

_WORD = re.compile(r"\w+", re.UNICODE)


def features(text, chinese):
    if chinese:
        units = [c for c in text if not c.isspace()]
    else:
        units = _WORD.findall(text.lower())
    return units + [a + "\x00" + b for a, b in zip(units, units[1:])]


class NearestNeighbour:
    def __init__(self, sources, targets, chinese):
        self.targets = targets
        self.chinese = chinese
        docs = [Counter(features(s, chinese)) for s in sources]
        df = Counter(t for d in docs for t in d)
        self.vocab = {t: i for i, t in enumerate(df)}
        n = len(docs)
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
        self.matrix = self._matrix(docs)  # sparse [V, N]

    def _matrix(self, docs):
        rows, cols, vals = [], [], []
        for j, d in enumerate(docs):
            w = {t: (1 + math.log(c)) * self.idf[t] for t, c in d.items() if t in self.vocab}
            norm = math.sqrt(sum(v * v for v in w.values())) or 1.0
            for t, v in w.items():
                rows.append(self.vocab[t])
                cols.append(j)
                vals.append(v / norm)
        return torch.sparse_coo_tensor([rows, cols], vals, (len(self.vocab), len(docs))).coalesce()

    def translate(self, queries, chunk=200):
        out = []
        for c in range(0, len(queries), chunk):
            q = self._matrix([Counter(features(s, self.chinese)) for s in queries[c:c + chunk]]).to_dense()
            sims = torch.sparse.mm(self.matrix.t(), q)  # [N, chunk]
            out.extend(self.targets[int(i)] for i in sims.argmax(0))
        return out


def looks_chinese(text):
    return bool(HAN.search(text))
