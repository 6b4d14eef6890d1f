"""Training text for the fixture tokenizers: the repository's own documentation (MIT, like the
project) at one pinned commit, plus the English and Simplified Chinese UI strings.

Read through `git show COMMIT:path` so that later edits to these files do not change the
tokenizers (the fixtures must regenerate byte for byte)."""
import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PINNED_COMMIT = "4f6468c"
MARKDOWN = [
    "ARCHITECTURE.md", "README.md", "bench/README.md", "models/README.md",
    "models/causal/MODEL_CARD.md", "models/encoder/MODEL_CARD.md", "models/training/README.md",
    "test/e2e/README.md", "test/fixtures/sample-workspace/chinese.md",
    "test/fixtures/sample-workspace/prose.md", "webview/README.md",
]
UI_STRINGS = ["l10n/bundle.l10n.json", "l10n/bundle.l10n.zh-cn.json", "package.nls.json", "package.nls.zh-cn.json"]


def _show(path):
    return subprocess.run(["git", "-C", str(REPO), "show", f"{PINNED_COMMIT}:{path}"],
                          check=True, capture_output=True).stdout.decode("utf-8")


def lines():
    """The corpus as a list of non-empty lines, in a fixed order."""
    out = []
    for p in MARKDOWN:
        out.extend(l.strip() for l in _show(p).splitlines())
    for p in UI_STRINGS:
        out.extend(str(v).strip() for v in json.loads(_show(p)).values())
    return [l for l in out if l]


def write(path):
    Path(path).write_text("\n".join(lines()) + "\n", encoding="utf-8")
    return path
