#!/usr/bin/env bash
# GPU check (issue #16, point 4): on a machine with CUDA, in under 10 minutes all told,
#   1. the CUDA agreement tests (every test marked `cuda`: they skip without a GPU),
#   2. the metric throughput benchmark (goal >= 2,000 pairs/s at 480x640, torch fp32),
#   3. one training step of each network's full configuration on the GPU.
# Results go to $OUT (default: benchmarks/results/gpu_<time>/): a log per step, the benchmark JSON,
# and summary.json with each step's exit code and wall time.
#
# Usage: bash benchmarks/gpu_check.sh [--dry-run] [--batch N[,N...]] [--skip-tests|--skip-bench|--skip-train]
#   --dry-run  print the commands and the time budget, run nothing (works without a GPU)
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"  # works from a plain checkout too
export MPLBACKEND=Agg PIP_DISABLE_PIP_VERSION_CHECK=1
PY=${PYTHON:-python}
DRY=0; BATCHES="64,256"; DO_TESTS=1; DO_BENCH=1; DO_TRAIN=1
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY=1 ;;
        --batch) BATCHES="$2"; shift ;;
        --skip-tests) DO_TESTS=0 ;;
        --skip-bench) DO_BENCH=0 ;;
        --skip-train) DO_TRAIN=0 ;;
        -h|--help) sed -n 2,12p "$0"; exit 0 ;;
        *) echo "gpu_check: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
STAMP=$(date +%Y%m%d-%H%M%S)
OUTDIR=${OUT:-$REPO/benchmarks/results/gpu_$STAMP}
NETWORKS="s2fnet sspfusion smfnet msfe"
# per-step limits (seconds); their sum stays under the 10-minute goal
T_TESTS=200; T_BENCH=100; T_TRAIN=45
NB=$(echo "$BATCHES" | tr ',' '\n' | grep -c .)
BUDGET=$((T_TESTS * DO_TESTS + T_BENCH * NB * DO_BENCH + T_TRAIN * 4 * DO_TRAIN))
if [ "$BUDGET" -gt 600 ]; then
    echo "gpu_check: warning: step limits sum to ${BUDGET}s, over the 10-minute goal" >&2
fi
START=$(date +%s)
RESULTS=()

run_step() {  # name, limit (s), command...
    local name=$1 limit=$2; shift 2
    if [ "$DRY" = 1 ]; then
        printf '[dry-run] %-22s (limit %3ss)  %s\n' "$name" "$limit" "$*"
        return 0
    fi
    local t0=$(date +%s) rc
    echo "== $name: $*" | tee -a "$OUTDIR/gpu_check.log"
    timeout --kill-after=10 "$limit" "$@" >"$OUTDIR/$name.log" 2>&1
    rc=$?
    local dt=$(( $(date +%s) - t0 ))
    tail -n 5 "$OUTDIR/$name.log" | sed 's/^/   /' | tee -a "$OUTDIR/gpu_check.log"
    echo "   -> exit $rc in ${dt}s" | tee -a "$OUTDIR/gpu_check.log"
    RESULTS+=("{\"step\": \"$name\", \"exit\": $rc, \"wall_s\": $dt}")
}

if [ "$DRY" = 0 ]; then
    mkdir -p "$OUTDIR"
    if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
        echo "gpu_check: no CUDA device visible to torch (use --dry-run to see the plan)" >&2
        exit 2
    fi
    { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || true
      "$PY" -c "import torch, fusionbench; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'device', torch.cuda.get_device_name(0)); print('fusionbench', fusionbench.__version__)"
    } | tee "$OUTDIR/environment.txt"
else
    echo "[dry-run] results would go to $OUTDIR; step limits sum to ${BUDGET}s (goal < 600 s)"
fi

if [ "$DO_TESTS" = 1 ]; then
    run_step cuda_tests "$T_TESTS" "$PY" -m pytest -q -m cuda -rs -p no:cacheprovider tests/
fi
if [ "$DO_BENCH" = 1 ]; then
    for b in ${BATCHES//,/ }; do
        run_step "throughput_batch$b" "$T_BENCH" "$PY" benchmarks/bench_metrics.py --device cuda --quick \
            --sizes msrs --backends torch,torch-fp32 --batch "$b" --out "$OUTDIR/bench_batch$b"
    done
fi
if [ "$DO_TRAIN" = 1 ]; then
    for m in $NETWORKS; do
        run_step "train_${m}_full" "$T_TRAIN" "$PY" -m fusionbench train --method "$m" --config full --steps 1 \
            --device cuda --no-progress --out "${TMPDIR:-/tmp}/fusionbench_gpu_check/$m"
    done
fi

if [ "$DRY" = 1 ]; then
    exit 0
fi
TOTAL=$(( $(date +%s) - START ))
FAILED=0
for r in "${RESULTS[@]}"; do case "$r" in *'"exit": 0,'*) ;; *) FAILED=$((FAILED + 1)) ;; esac; done
{
    echo "{\"when\": \"$STAMP\", \"total_wall_s\": $TOTAL, \"failed_steps\": $FAILED, \"steps\": ["
    (IFS=,; echo "${RESULTS[*]}")
    echo "]}"
} >"$OUTDIR/summary.json"
# throughput figures (pairs/s) out of the benchmark JSON, for the record
"$PY" - "$OUTDIR" <<'PYEOF' | tee -a "$OUTDIR/gpu_check.log"
import json, sys
from pathlib import Path
for f in sorted(Path(sys.argv[1]).glob("bench_batch*/latest.json")):
    d = json.loads(f.read_text())
    tp = d.get("sizes", {}).get("msrs", {}).get("torch_pairs_per_s", {})
    print(f"{f.parent.name}: torch pairs/s at 480x640: " + ", ".join(f"{k} {v:.0f}" for k, v in tp.items())
          + "  (goal: fp32 >= 2000)")
PYEOF
echo "gpu_check: ${TOTAL}s in all, $FAILED failed step(s); results in $OUTDIR"
[ "$FAILED" = 0 ]
