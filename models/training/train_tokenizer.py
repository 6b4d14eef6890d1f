#!/usr/bin/python3
"""Train the shared byte-level BPE tokenizer on the training split and write
models/tokenizer.json and models/tokenizer-fixtures.json."""
import json
import os
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
WORK = os.environ.get("WORK", os.path.join(HERE, "work"))
VOCAB = int(os.environ.get("VOCAB", "8192"))

# Characters of each source used to count words (the tokenizer sees a balanced sample,
# not 18 MB of Python documentation); the Chinese FAQ is counted 4x so that common
# Han characters and words get merges.
CHAR_CAP = {"python3.11-doc": 6_000_000}
MULT = {"debian-faq-zh-cn": 4}

FIXTURE_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "In the beginning God created the heaven and the earth.",
    "Attention is all you need: the query attends to every key, and the weights sum to one.",
    "It's a dog's life, isn't it? We'll see; they'd've known. I'm sure you're right.",
    "function add(a: number, b: number): number {\n    return a + b;\n}\n",
    "export async function activate(context: vscode.ExtensionContext): Promise<void> {\n\tconst cfg = vscode.workspace.getConfiguration('attentionLens');\n\tif (!cfg.get<boolean>('enabled')) { return; }\n}",
    "const xs = [1, 2, 3].map((x) => x * 2); // => [2, 4, 6]",
    "if (a === b && c !== d || e >= 10) {\r\n  console.log(`value: ${a}`);\r\n}\r\n",
    "line one\r\nline two\r\n\r\nline four",
    "\t\tdeeply\t\tindented\ttabs\t",
    "    four spaces then text\n        eight spaces\n",
    "   ",
    " ",
    "a  b   c    d",
    "trailing spaces   \n  leading",
    "\n\n\n",
    "我们在编辑器里查看变压器的自注意力。",
    "Debian 是一个自由的操作系统，由全世界的志愿者共同维护。",
    "混合 English 和中文 text，还有数字 12345。",
    "Family: 👨‍👩‍👧‍👦 and a wave 👋🏽 and a flag 🏳️‍🌈 and 🧑🏿‍💻.",
    "Emoji only: 😀😃😄😁😆",
    "café vs cafe\u0301 (combining acute), naïve, Zoë, São Paulo",
    "e\u0301\u0301\u0301 stacked marks",
    "مرحبا بالعالم، هذا نص عربي.",
    "שלום עולם, זה טקסט בעברית.",
    "Ελληνικά και Русский текст.",
    "3.14159 2026-11-25 1,000,000 0x1F 1e-9 42nd",
    "1234567890123456789012345678901234567890",
    "Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism supercalifragilisticexpialidocious",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "Zxqvbplm frobnicate glarbnak wibblewobble qwertyuiop.",
    "def tokenize(text):\n    return [t for t in text.split() if t]\n",
    "<div class=\"panel\"><span>&nbsp;x &lt; y</span></div>",
    "https://example.com/path?query=1&lang=zh-CN#frag",
    "user@example.org said: \"Hello!!!\" -- and left...",
    "Tab\tseparated\tvalues\t1\t2\t3",
    "\u00a0non-breaking\u00a0space and\u2003em space\u200bzero-width",
    "Ｆｕｌｌｗｉｄｔｈ　ＡＢＣ　１２３",
    "कुछ हिन्दी पाठ और 日本語のテキスト、한국어 텍스트.",
    "The KJV says: \"And God said, Let there be light: and there was light.\" (Gen 1:3)",
    "lodash: _.debounce(func, [wait=0], [options={}])",
    "NaN !== NaN; Infinity - Infinity; -0 === +0",
]


def main():
    t0 = time.time()
    used = Counter()
    wc = Counter()
    with open(os.path.join(WORK, "corpus", "train.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            src = d["source"]
            cap = CHAR_CAP.get(src)
            if cap is not None and used[src] >= cap:
                continue
            used[src] += len(d["text"])
            m = MULT.get(src, 1)
            for p in bpe.pretokenize(d["text"]):
                wc[p] += m
    print(f"{len(wc)} unique pieces from {sum(used.values())} chars in {time.time()-t0:.1f}s", flush=True)
    merges = bpe.train(wc, VOCAB, log=lambda s: print(s, flush=True))
    tj = bpe.tokenizer_json(merges)
    path = os.path.join(MODELS, "tokenizer.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(tj, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    print(f"wrote {path}: {len(tj['model']['vocab'])} tokens, {len(merges)} merges, {time.time()-t0:.1f}s", flush=True)
    tok = bpe.Tokenizer(path)
    fixtures = []
    for t in FIXTURE_TEXTS:
        ids = tok.encode(t)
        assert tok.decode(ids) == t, t
        fixtures.append({"text": t, "ids": ids})
    with open(os.path.join(MODELS, "tokenizer-fixtures.json"), "w", encoding="utf-8") as fh:
        json.dump(fixtures, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    print(f"wrote {len(fixtures)} fixtures")


if __name__ == "__main__":
    main()
