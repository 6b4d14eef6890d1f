#!/usr/bin/python3
"""Align, clean, de-duplicate and split the parallel sources fetched by fetch_corpus.sh.

Writes WORK/corpus/{train,dev,test}.jsonl (one {"en", "zh", "source"} per line) and WORK/corpus/stats.json (per
source: licence from its copyright file, pairs kept, share of the training text; drop counts per rule; the
near-duplicate rule and how many training pairs it removed).
"""
import glob
import json
import os
import random
import re
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from clean_pairs import EN_WORD, normalise, reject_reason  # noqa: E402
from gettext_mo import read_mo  # noqa: E402
from html_blocks import align_pages  # noqa: E402
from near_duplicates import THRESHOLD, NearDuplicateIndex  # noqa: E402

WORK = os.environ.get("WORK", os.path.join(HERE, "..", "work", "translation"))
X = os.path.join(WORK, "x")
NPM = os.path.join(WORK, "npm")
SEED = 11
N_TEST = 1000
N_DEV = 1000
HELD_OUT_WORDS = (3, 60)  # held-out pairs are sentences/phrases, not single UI words


LICENCE_OVERRIDES = {
    "npm:typescript": "Apache-2.0 (package.json)",
    # the Debian FAQ's copyright file is a prose notice, not DEP-5
    "debian-faq-zh-cn": "Debian FAQ notice (SPI): verbatim and modified copies and translations permitted with the notice",
}
# Licence texts named in prose copyright files, most specific first.
LICENCE_NAMES = [("Mozilla Public License", "MPL-2.0"), ("Lesser General Public License", "LGPL"),
                 ("Library General Public License", "LGPL"), ("General Public License version 2", "GPL-2"),
                 ("General Public License", "GPL"), ("Apache License", "Apache-2.0"), ("MIT", "MIT")]


def licence_of(pkg):
    """The License: field of the package's Debian copyright file (DEP-5: the first one, which covers Files: *), else
    the licence its prose names. A doc folder that is a symlink to another package's is reported as such."""
    if pkg in LICENCE_OVERRIDES:
        return LICENCE_OVERRIDES[pkg]
    doc = os.path.join(X, pkg, "usr", "share", "doc", pkg)
    path = os.path.join(doc, "copyright")
    if not os.path.exists(path):
        if os.path.islink(doc):
            target = os.readlink(doc)
            linked = os.path.join(X, target, "usr", "share", "doc", target, "copyright")
            if os.path.exists(linked):
                return _licence_from_text(open(linked, encoding="utf-8", errors="replace").read(), linked) + \
                    f" (copyright file of {target}, which this package's doc folder links to)"
            return f"see package {target} (this package's doc folder links there; not fetched)"
        return "unknown (no copyright file in the package)"
    return _licence_from_text(open(path, encoding="utf-8", errors="replace").read(), path)


def _licence_from_text(text, path):
    m = re.search(r"^License:[ \t]*(\S.*)$", text, re.M)
    if m:
        return m.group(1).strip()
    # the licence named first is the package's main one (later mentions cover bundled parts)
    found = [(text.find(needle), i, name) for i, (needle, name) in enumerate(LICENCE_NAMES) if needle in text]
    if found:
        return min(found)[2] + " (named first in the copyright file)"
    return "unknown (see " + os.path.relpath(path, WORK) + ")"


def licence_family(licence):
    """Coarse family for the share table: copyleft (GPL/LGPL/GFDL), MPL-2.0 (file-level copyleft), permissive."""
    s = licence.upper()
    if "MPL" in s:
        return "MPL-2.0"
    if "GPL" in s or "GFDL" in s or "GNU" in s:
        return "GPL/LGPL family (copyleft)"
    if any(x in s for x in ("APACHE", "MIT", "BSD", "ISC", "POSTGRESQL", "EXPAT", "DEBIAN FAQ NOTICE")):
        return "permissive"
    return "other / check the copyright file"


def gettext_sources():
    for mo in sorted(glob.glob(os.path.join(X, "*", "**", "LC_MESSAGES", "*.mo"), recursive=True)):
        parts = mo.split(os.sep)
        if not any(p in ("zh_CN", "zh-CN") for p in parts):
            continue
        pkg = os.path.relpath(mo, X).split(os.sep)[0]
        try:
            for en, zh in read_mo(mo):
                yield pkg, en, zh
        except ValueError as e:
            print(f"skip {mo}: {e}", file=sys.stderr)


def html_pair_files():
    """(package, en file, zh file) for the documentation builds whose pages mirror each other."""
    lo_en = os.path.join(X, "libreoffice-help-en-us", "usr/share/libreoffice/help/en-US")
    lo_zh = os.path.join(X, "libreoffice-help-zh-cn", "usr/share/libreoffice/help/zh-CN")
    for f in sorted(glob.glob(os.path.join(lo_en, "**", "*.html"), recursive=True)):
        g = os.path.join(lo_zh, os.path.relpath(f, lo_en))
        if os.path.exists(g):
            yield "libreoffice-help-zh-cn", f, g
    ref = os.path.join(X, "debian-reference-zh-cn", "usr/share/debian-reference")
    for g in sorted(glob.glob(os.path.join(ref, "*.zh-cn.html"))):
        f = os.path.join(X, "debian-reference-en", "usr/share/debian-reference",
                         os.path.basename(g).replace(".zh-cn.html", ".en.html"))
        if os.path.exists(f):
            yield "debian-reference-zh-cn", f, g
    faq = os.path.join(X, "debian-faq-zh-cn", "usr/share/doc/debian/FAQ/zh-cn")
    for g in sorted(glob.glob(os.path.join(faq, "*.zh-cn.html"))):
        base = os.path.basename(g).replace(".zh-cn.html", "")
        for cand in (base + ".en.html", base + ".html"):
            f = os.path.join(X, "debian-faq", "usr/share/doc/debian/FAQ", cand)
            if os.path.exists(f):
                yield "debian-faq-zh-cn", f, g
                break


def html_sources(counts):
    for pkg, f, g in html_pair_files():
        pairs = align_pages(open(f, encoding="utf-8", errors="replace").read(),
                            open(g, encoding="utf-8", errors="replace").read())
        counts[pkg]["files"] += 1
        if pairs is None:
            counts[pkg]["files with different block structure (skipped)"] += 1
            continue
        for en, zh in pairs:
            yield pkg, en, zh


def typescript_sources():
    """TypeScript's diagnostics: English text from diag(code, category, "KEY", "text") in lib/typescript.js, Chinese
    from lib/zh-cn/diagnosticMessages.generated.json by the same key."""
    js = os.path.join(NPM, "typescript", "lib", "typescript.js")
    zhf = os.path.join(NPM, "typescript", "lib", "zh-cn", "diagnosticMessages.generated.json")
    if not (os.path.exists(js) and os.path.exists(zhf)):
        return
    zh = json.load(open(zhf, encoding="utf-8"))
    src = open(js, encoding="utf-8").read()
    for m in re.finditer(r'diag\(\d+, \d+ /\* \w+ \*/, "(\w+)", ("(?:[^"\\]|\\.)*")', src):
        k = m.group(1)
        if k in zh:
            yield "npm:typescript", json.loads(m.group(2)), zh[k]


def main():
    counts = defaultdict(Counter)
    raw = []
    for gen in (gettext_sources(), html_sources(counts), typescript_sources()):
        for pkg, en, zh in gen:
            raw.append((pkg, en, zh))
            counts[pkg]["raw"] += 1
    print(f"{len(raw)} raw pairs from {len(counts)} sources", flush=True)

    drops = Counter()
    by_en = defaultdict(Counter)
    first_source = {}
    for pkg, en, zh in raw:
        en, zh = normalise(en, zh)
        why = reject_reason(en, zh)
        if why:
            drops[why] += 1
            counts[pkg]["dropped: " + why] += 1
            continue
        by_en[en][zh] += 1
        first_source.setdefault(en, pkg)
    # exact de-duplication on the English side: one pair per English string, its most frequent translation
    pairs = [{"en": en, "zh": zhs.most_common(1)[0][0], "source": first_source[en]} for en, zhs in by_en.items()]
    print(f"{len(pairs)} pairs after cleaning and exact de-duplication; drops {dict(drops)}", flush=True)

    rng = random.Random(SEED)
    rng.shuffle(pairs)
    lo, hi = HELD_OUT_WORDS
    eligible = [i for i, p in enumerate(pairs) if lo <= len(EN_WORD.findall(p["en"])) <= hi]
    held = set(eligible[: N_TEST + N_DEV])
    held_list = [pairs[i] for i in eligible[: N_TEST + N_DEV]]
    rest = [p for i, p in enumerate(pairs) if i not in held]

    en_index = NearDuplicateIndex([p["en"] for p in rest])
    zh_index = NearDuplicateIndex([p["zh"] for p in rest])
    near = set()
    for p in held_list:
        near |= en_index.query(p["en"])
        near |= zh_index.query(p["zh"])
    train = [p for i, p in enumerate(rest) if i not in near]
    removed_by_source = Counter(rest[i]["source"] for i in near)
    print(f"near-duplicates of held-out pairs removed from training: {len(near)}", flush=True)

    out = os.path.join(WORK, "corpus")
    os.makedirs(out, exist_ok=True)
    for name, rows in (("test", held_list[:N_TEST]), ("dev", held_list[N_TEST:]), ("train", train)):
        with open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8") as fh:
            for p in rows:
                fh.write(json.dumps(p, ensure_ascii=False) + "\n")

    chars = Counter()
    n = Counter()
    for p in train:
        chars[p["source"]] += len(p["en"]) + len(p["zh"])
        n[p["source"]] += 1
    total = sum(chars.values())
    sources = {}
    for pkg in sorted(counts, key=lambda s: -chars[s]):
        sources[pkg] = {
            "licence": licence_of(pkg),
            "licence_family": licence_family(licence_of(pkg)),
            "raw": counts[pkg]["raw"],
            "train_pairs": n[pkg],
            "train_share_of_characters": round(chars[pkg] / total, 5) if total else 0,
            "near_duplicates_removed": removed_by_source[pkg],
            **{k: v for k, v in counts[pkg].items() if k != "raw"},
        }
    families = defaultdict(float)
    for v in sources.values():
        families[v["licence_family"]] += v["train_share_of_characters"]
    stats = {
        "licence_families_share_of_training_characters": {k: round(v, 4) for k, v in sorted(families.items())},
        "raw_pairs": len(raw),
        "dropped": dict(drops),
        "after_exact_dedup": len(pairs),
        "held_out": {"test": min(N_TEST, len(held_list)), "dev": max(0, len(held_list) - N_TEST),
                     "english_words": list(HELD_OUT_WORDS), "seed": SEED},
        "near_duplicate_rule": (
            "same normalised key (lower-cased; digit runs -> 0; placeholders -> %; punctuation and whitespace removed) "
            f"or character-trigram Jaccard >= {THRESHOLD} of those keys, on the English or the Chinese side"),
        "near_duplicates_removed_from_training": len(near),
        "train_pairs": len(train),
        "sources": sources,
    }
    with open(os.path.join(out, "stats.json"), "w", encoding="utf-8") as fh:
        json.dump(stats, fh, ensure_ascii=False, indent=1)
    print(json.dumps({k: v for k, v in stats.items() if k != "sources"}, ensure_ascii=False, indent=1))


def refresh_licences():
    """Re-derive the licence fields of an existing corpus/stats.json (after a change to licence_of) without
    re-aligning: the split and the pair counts stay as they are."""
    path = os.path.join(WORK, "corpus", "stats.json")
    stats = json.load(open(path, encoding="utf-8"))
    families = defaultdict(float)
    for pkg, v in stats["sources"].items():
        v["licence"] = licence_of(pkg)
        v["licence_family"] = licence_family(v["licence"])
        families[v["licence_family"]] += v["train_share_of_characters"]
    stats["licence_families_share_of_training_characters"] = {k: round(v, 4) for k, v in sorted(families.items())}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(stats, fh, ensure_ascii=False, indent=1)
    print(json.dumps(stats["licence_families_share_of_training_characters"], indent=1))


if __name__ == "__main__":
    if sys.argv[1:] == ["--licences-only"]:
        refresh_licences()
    else:
        main()
