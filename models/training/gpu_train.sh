#!/usr/bin/env bash
# Optional GPU stage: train the models on one CUDA GPU with the same train.py (bf16 autocast, fused attention,
# held-out checks that keep the best weights). Used for the shipped models when a GPU machine was lent; the CPU
# recipe (build_all.sh) needs none of this.
#
#   WORK=... bash models/training/gpu_train.sh OUTDIR
#
# Needs $WORK/tokens/{train,test}.npz from build_all.sh stages 1-4 (or TOKENS_XZ=path of a tar.xz holding
# them), a python3 with torch >= 2.0 and onnx. Every run of RUNS trains at the same time on the one GPU for
# GPU_MINUTES; each run's kept checkpoint is written to OUTDIR/<name>.pt with fp16 weights (what comes back from
# the lent machine is size-limited), plus OUTDIR/logs.tar.gz with every training log.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="${1:?give an output folder}"
export WORK="${WORK:-$HERE/work}"
GPU_MINUTES="${GPU_MINUTES:-6}"
PY="${PY:-python3}"
mkdir -p "$OUTDIR" "$WORK/logs"
if [ -n "${TOKENS_XZ:-}" ]; then mkdir -p "$WORK/tokens" && tar -xJf "$TOKENS_XZ" -C "$WORK/tokens"; fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
$PY -c 'import torch, onnx; print("torch", torch.__version__, "onnx", onnx.__version__, "cuda", torch.cuda.is_available())'

# name | train.py arguments (all: seq 512 throughout, held-out check every 20 s, keep the held-out best)
COMMON="--device ${DEVICE:-cuda} --minutes $GPU_MINUTES --seq 512 --long-frac 0 --eval-minutes 0.33 --keep heldout --log-every 200 --threads 2"
RUNS=(
  "causal-scratch|--kind causal --tokens-per-step 16384 --lr 2e-3 --warmup 300 --dropout 0.1 --seed 2"
  "causal-warm|--kind causal --tokens-per-step 16384 --lr 1e-3 --warmup 200 --dropout 0.1 --seed 3 --init-onnx $HERE/../causal/model.onnx"
  "causal-nodrop|--kind causal --tokens-per-step 32768 --lr 2e-3 --warmup 300 --dropout 0.0 --seed 4"
  "encoder-scratch|--kind encoder --tokens-per-step 16384 --lr 2e-3 --warmup 300 --dropout 0.1 --seed 2 --keep-prev 0"
)
pids=()
for r in "${RUNS[@]}"; do
  name="${r%%|*}"; args="${r#*|}"
  $PY "$HERE/train.py" $COMMON $args --run "gpu-$name" > "$WORK/logs/gpu-$name.log" 2>&1 &
  pids+=($!)
  echo "started $name (pid $!)"
done
fail=0
for i in "${!pids[@]}"; do wait "${pids[$i]}" || { echo "run ${RUNS[$i]%%|*} failed"; fail=1; }; done

# fp16 copies of the kept weights (cast back to fp32 by export.py through train.py's checkpoint format)
for r in "${RUNS[@]}"; do
  name="${r%%|*}"; kind="${name%%-*}"
  src="$WORK/ckpt/gpu-$name/$kind/final.pt"
  [ -f "$src" ] || continue
  $PY - "$src" "$OUTDIR/$name.pt" <<'EOF'
import sys, torch
st = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
st["model"] = {k: (v.half() if v.is_floating_point() else v) for k, v in st["model"].items()}
st["stored_as"] = "float16"
torch.save(st, sys.argv[2])
EOF
  echo "== $name"; grep -E "eval|kept|done|fused|Error" "$WORK/logs/gpu-$name.log" | tail -30 || true
done
tar -czf "$OUTDIR/logs.tar.gz" -C "$WORK/logs" .
ls -la "$OUTDIR"
exit $fail
