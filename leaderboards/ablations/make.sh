#!/usr/bin/env bash
# Regenerate the ablation grids from the bundled weights: `fusionbench evaluate` (the runner engine,
# reusing the result store), then `fusionbench plot ablation --paper`. Usage: bash leaderboards/ablations/make.sh [NETWORK]
set -euo pipefail
cd "$(dirname "$0")/../.."
data="${FUSIONBENCH_SHARED:-$(cd .. && pwd)/shared}/data"
here=leaderboards/ablations
results=runs/ablations  # per-image results (large, not committed)
mkdir -p "$results"
weights=fusionbench/methods/networks/weights

variants() {  # every bundled weights file of network $1 as a method name, full model and seeds first
  local net=$1 f stem
  for f in "$weights/$net".safetensors "$weights/$net"@seed*.safetensors "$weights/$net"__*.safetensors; do
    [ -f "$f" ] || continue
    stem=$(basename "$f" .safetensors)
    echo "${stem/__/:}"
  done
}

_grid() {  # network, our dataset, the paper table's dataset, title
  local net=$1 ds=$2 paper=$3 title=$4 args=() m
  for m in $(variants "$net"); do args+=(--method "$m"); done
  fusionbench evaluate "${args[@]}" --dataset "$ds" --data-root "$data" --profile cddfuse \
      --out "$results/${net}_${ds}.csv" --no-progress > /dev/null
  : > "$here/${net}_${ds}.md"
  if [ -n "$paper" ]; then
    fusionbench plot ablation "$results/${net}_${ds}.csv" --network "$net" --paper "$paper" --precision 3 \
        --title "$title" -o "$here/${net}_${ds}.png" > "$here/${net}_${ds}.md"
  fi
  { [ -n "$paper" ] && echo; echo "Means (profile cddfuse, ${ds}; module switches ✓ on / ✗ off):"; echo
    fusionbench plot ablation "$results/${net}_${ds}.csv" --network "$net" --precision 4; } >> "$here/${net}_${ds}.md"
}

only="${1:-}"  # optional: one network
grid() { [ -z "$only" ] || [ "$only" = "$1" ] || return 0; _grid "$@"; }
grid sspfusion roadscene50 RoadScene "SSPFusion Table 5 (RoadScene) vs fusionbench roadscene50"
grid smfnet roadscene50 RoadScene "SMFNet Table 5 (RoadScene) vs fusionbench roadscene50"
grid msfe tno42 TNO "MSFE Table 2 (TNO, 25 pairs) vs fusionbench tno42"
grid s2fnet roadscene50 "" ""  # S2F-Net publishes no ablation table: our means only
