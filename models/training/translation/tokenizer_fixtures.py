#!/usr/bin/python3
"""Write WORK/tokenizer/fixtures.json: ids that bpe.py gives for held-out dev texts (both languages) and a few texts
with identifiers, placeholders and numbers, for check_tokenizer.mjs to compare with the extension's tokenizer."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import bpe  # noqa: E402

WORK = os.environ.get("WORK", os.path.join(HERE, "..", "work", "translation"))
EXTRA = ["Cannot find name '{0}'.", "找不到名称“{0}”。", "%s: option '--%s' requires an argument",
         "打开文件 %1 失败：%2", "The bigger MTU value is generally better when other limitations are met.",
         "当遇到其它限制的时候，较大的 MTU 值通常比较好。", "const x = getConfiguration('attentionLens');",
         "混合 English 和中文 text，还有数字 12345。", "Emoji 👋🏽 and café naïve"]


def main():
    tok = bpe.Tokenizer(os.path.join(WORK, "tokenizer", "tokenizer.json"))
    texts = list(EXTRA)
    with open(os.path.join(WORK, "corpus", "dev.jsonl"), encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= 150:
                break
            r = json.loads(line)
            texts += [r["en"], r["zh"]]
    fixtures = [{"text": t, "ids": tok.encode(t)} for t in texts]
    with open(os.path.join(WORK, "tokenizer", "fixtures.json"), "w", encoding="utf-8") as fh:
        json.dump(fixtures, fh, ensure_ascii=False)
    print(f"{len(fixtures)} fixtures")


if __name__ == "__main__":
    main()
