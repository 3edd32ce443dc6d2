#!/usr/bin/env bash
# mnc against ONNX Runtime on the PP-OCRv3 text detector at one input size,
# interleaved (mnc, ORT, mnc, ORT, …) so the shared machine's drift hits both;
# prints per round and the median over rounds of mnc/ORT.
#   scripts/dense/bench.sh                          # 320x480, threads 1 and 2, 5 rounds
#   ROUNDS=3 THREADS=1 SHAPE=1x3x640x640 scripts/dense/bench.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$here/../..
model=${MODEL:-$root/../shared/models/real/ch_PP-OCRv3_det_infer.onnx}
SHAPE=${SHAPE:-1x3x320x480}; ROUNDS=${ROUNDS:-5}; THREADS=${THREADS:-"1 2"}; SECS=${SECS:-2}
work=${PEERS_BIN:-${TMPDIR:-/tmp}/mnc-peers}/ort
if [ ! -d "$work/node_modules/onnxruntime-node" ]; then
  mkdir -p "$work"; cp "$root/../shared/peers/ort/package.json" "$root/../shared/peers/ort/package-lock.json" "$work/"
  (cd "$work" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund >/dev/null)
fi
export NODE_PATH=$work/node_modules
bin=$(mktemp -d)/mnc; (cd "$root" && go build -o "$bin" ./cmd/mnc)
for t in $THREADS; do
  ratios=()
  for r in $(seq 1 "$ROUNDS"); do
    m=$("$bin" bench -json -threads "$t" -time "${SECS}s" -shape "x=$SHAPE" "$model" | sed -n 's/.*"median_ms": *\([0-9.]*\).*/\1/p' | head -1)
    o=$(node "$here/ort_shape.js" "$model" "${SHAPE//x/,}" "$t" "$SECS" | sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p')
    ratio=$(awk -v a="$m" -v b="$o" 'BEGIN{printf "%.3f", a/b}')
    echo "round $r threads $t: mnc ${m} ms, ort ${o} ms, mnc/ort $ratio"
    ratios+=("$ratio")
  done
  printf '%s\n' "${ratios[@]}" | sort -n | awk -v t="$t" '{a[NR]=$1} END{print "RATIO threads=" t " median_mnc/ort=" a[int((NR+1)/2)]}'
done
