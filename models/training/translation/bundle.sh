#!/usr/bin/env bash
# Makes the bundled folder models/translation/ from one checkpoint: export (fp16 weights) → check with
# onnxruntime-node → evaluate on held-out pairs → model card → copy. The same checkpoint feeds every step, so
# model.onnx, reference/, training.json, metrics.json and MODEL_CARD.md describe one model.
#   bash models/training/translation/bundle.sh [CKPT] [LIMIT]
# CKPT: default the newest WORK/ckpt/step-N.pt; LIMIT: test/dev pairs evaluated (default 200).
set -euo pipefail
cd "$(dirname "$0")/../../.."
WORK=models/training/work/translation
CKPT=${1:-$(ls "$WORK"/ckpt/step-*.pt | sort -t- -k2 -n | tail -1)}
LIMIT=${2:-200}
PY=/usr/bin/python3
echo "[bundle] checkpoint $CKPT, $LIMIT held-out pairs"
$PY models/training/translation/export.py --ckpt "$CKPT"
node models/training/translation/check_export.mjs
$PY models/training/translation/evaluate.py --ckpt "$CKPT" --limit "$LIMIT"
$PY models/training/translation/default_head.py
$PY models/training/translation/write_card.py
DEST=models/translation
mkdir -p "$DEST/reference"
cp "$WORK"/export/{model.onnx,model.json,tokenizer.json,training.json,MODEL_CARD.md} "$DEST/"
cp "$WORK"/export/fidelity.json "$DEST/reference/fidelity.json"
cp "$WORK"/export/reference.json "$DEST/reference/reference.json"
cp "$WORK"/metrics.json "$DEST/metrics.json"
echo "[bundle] $DEST: $(du -b "$DEST/model.onnx" | cut -f1) bytes model.onnx"
