"""Nearest-neighbour translation baseline: return the training translation of the training source most similar to
the query (cosine of TF-IDF vectors over unigrams and bigrams: lower-cased words for English sources, characters for
Chinese sources, where words are not written with spaces). Sublinear term frequency (1 + log tf), smoothed idf."""
import math
import re
from collections import Counter

import numpy as np

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
        self.term = {t: i for i, t in enumerate(df)}
        n = len(docs)
        self.idf = np.array([math.log((1 + n) / (1 + c)) + 1 for c in df.values()])
        # postings by term (CSR): for term i, docs[ptr[i]:ptr[i+1]] with normalised weights
        terms, doc_ids, vals = [], [], []
        for j, d in enumerate(docs):
            ids, w = self._weights(d)
            terms.append(ids)
            doc_ids.append(np.full(len(ids), j, dtype=np.int64))
            vals.append(w)
        terms, doc_ids, vals = np.concatenate(terms), np.concatenate(doc_ids), np.concatenate(vals)
        order = np.argsort(terms, kind="stable")
        self.docs, self.vals = doc_ids[order], vals[order]
        self.ptr = np.searchsorted(terms[order], np.arange(len(self.term) + 1))
        self.n = n

    def _weights(self, counts):
        ids = np.array([self.term[t] for t in counts if t in self.term], dtype=np.int64)
        tf = np.array([1 + math.log(c) for t, c in counts.items() if t in self.term])
        w = tf * self.idf[ids] if len(ids) else tf
        norm = float(np.sqrt((w * w).sum())) or 1.0
        return ids, w / norm

    def translate(self, queries):
        out = []
        for q in queries:
            ids, w = self._weights(Counter(features(q, self.chinese)))
            scores = np.zeros(self.n)
            for t, wt in zip(ids, w):
                a, b = self.ptr[t], self.ptr[t + 1]
                scores[self.docs[a:b]] += wt * self.vals[a:b]
            out.append(self.targets[int(scores.argmax())])
        return out
