"""Near-duplicate detection between held-out and training pairs.

Two pairs are near-duplicates when, on either side (English or Chinese):
  1. their normalised keys are equal: lower-cased, every digit run -> "0", every placeholder (%s, {0}, %1 ...) -> "%",
     punctuation and whitespace removed ("Decrease by 1%" and "Decrease by 5 %" share a key); or
  2. the character-trigram Jaccard similarity of those keys is >= 0.7 (catches families that differ by a word:
     "Increase font size" / "Decrease font size").
Why both sides: software strings come in families, and a family member on either side lets a model (or a retrieval
baseline) copy its translation instead of translating.

The Jaccard search uses prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007): order each set's trigrams
by global rarity; two sets with Jaccard >= t must share a trigram among the first |A| - ceil(t*|A|) + 1 of each.
"""
import math
import re
from collections import Counter, defaultdict

from clean_pairs import PLACEHOLDER

THRESHOLD = 0.7
_PUNCT_SPACE = re.compile(r"[\W_]+", re.UNICODE)


def key(text):
    t = PLACEHOLDER.sub("%", text.lower())
    t = re.sub(r"\d+", "0", t)
    return _PUNCT_SPACE.sub("", t.replace("%", "\x01")).replace("\x01", "%")


def trigrams(k):
    if len(k) < 3:
        return {k} if k else set()
    return {k[i:i + 3] for i in range(len(k) - 2)}


class NearDuplicateIndex:
    """Index of texts (one side of the pairs); query() returns the ids of indexed texts that are near-duplicates."""

    def __init__(self, texts, threshold=THRESHOLD):
        self.t = threshold
        self.keys = [key(x) for x in texts]
        self.by_key = defaultdict(list)
        for i, k in enumerate(self.keys):
            self.by_key[k].append(i)
        self.sets = [trigrams(k) for k in self.keys]
        self.df = Counter(g for s in self.sets for g in s)
        self.postings = defaultdict(list)
        for i, s in enumerate(self.sets):
            for g in self._prefix(s):
                self.postings[g].append(i)

    def _prefix(self, s):
        order = sorted(s, key=lambda g: (self.df.get(g, 0), g))
        n = len(order) - math.ceil(self.t * len(order)) + 1
        return order[:max(n, 1)]

    def query(self, text):
        k = key(text)
        hits = set(self.by_key.get(k, ()))
        a = trigrams(k)
        if not a:
            return hits
        seen = set()
        for g in self._prefix(a):
            for i in self.postings.get(g, ()):
                if i in seen or i in hits:
                    continue
                seen.add(i)
                b = self.sets[i]
                if len(b) < self.t * len(a) or len(a) < self.t * len(b):
                    continue
                inter = len(a & b)
                if inter / (len(a) + len(b) - inter) >= self.t:
                    hits.add(i)
        return hits
