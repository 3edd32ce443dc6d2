#!/usr/bin/env bash
# mnc against ONNX Runtime on the PP-OCRv3 text detector at one input size,
# interleaved (mnc, ORT, mnc, ORT, …) so the shared machine's drift hits both;
# prints per round and the median over rounds of mnc/ORT.
#   scripts/dense/bench.sh                          # 320x480, threads 1 and 2, 5 rounds
#   ROUNDS=3 THREADS=1 SHAPE=1x3x640x640 scripts/dense/bench.sh
#   mnc export ssdlite -o /tmp/ssdlite.onnx
#   MODEL=/tmp/ssdlite.onnx INPUT=input SHAPE=1x3x320x320 THREADS=1 scripts/dense/bench.sh   # #13's SSDLite
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$here/../..
model=${MODEL:-$root/../shared/models/real/ch_PP-OCRv3_det_infer.onnx}
SHAPE=${SHAPE:-1x3x320x480}; INPUT=${INPUT:-x}; ROUNDS=${ROUNDS:-5}; THREADS=${THREADS:-"1 2"}; SECS=${SECS:-2}
work=${PEERS_BIN:-${TMPDIR:-/tmp}/mnc-peers}/ort
if [ ! -d "$work/node_modules/onnxruntime-node" ]; then
  mkdir -p "$work"; cp "$root/../shared/peers/ort/package.json" "$root/../shared/peers/ort/package-lock.json" "$work/"
  (cd "$work" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund >/dev/null)
fi
export NODE_PATH=$work/node_modules
bin=$(mktemp -d)/mnc; (cd "$root" && go build -o "$bin" ./cmd/mnc)
for t in $THREADS; do
  ratios=(); mins=()
  for r in $(seq 1 "$ROUNDS"); do
    j=$("$bin" bench -json -threads "$t" -time "${SECS}s" -shape "$INPUT=$SHAPE" "$model")
    m=$(echo "$j" | sed -n 's/.*"median_ms": *\([0-9.]*\).*/\1/p' | head -1)
    mn=$(echo "$j" | sed -n 's/.*"min_ms": *\([0-9.]*\).*/\1/p' | head -1)
    ol=$(node "$here/ort_shape.js" "$model" "${SHAPE//x/,}" "$t" "$SECS")
    o=$(echo "$ol" | sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p'); on=$(echo "$ol" | sed -n 's/.*min_ms=\([0-9.]*\).*/\1/p')
    ratio=$(awk -v a="$m" -v b="$o" 'BEGIN{printf "%.3f", a/b}')
    rmin=$(awk -v a="$mn" -v b="$on" 'BEGIN{printf "%.3f", a/b}')
    echo "round $r threads $t (load $(cut -d' ' -f1 /proc/loadavg)): mnc ${m} ms (min $mn), ort ${o} ms (min $on), mnc/ort $ratio (of minima $rmin)"
    ratios+=("$ratio"); mins+=("$rmin")
  done
  printf '%s\n' "${ratios[@]}" | sort -n | awk -v t="$t" '{a[NR]=$1} END{printf "RATIO threads=" t " median_mnc/ort=" a[int((NR+1)/2)]}'
  printf '%s\n' "${mins[@]}" | sort -n | awk '{a[NR]=$1} END{print " median of min ratios=" a[int((NR+1)/2)]}'
done
