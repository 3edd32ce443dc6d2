#!/usr/bin/env bash
# peers_test.sh: checks of scripts/peers.sh that need no peers and take no time.
#   1. The summary (peers_summary.awk, through `peers.sh --summarize`) on a hand-made log, against
#      values worked out by hand: median of per-round ratios (not ratio of medians), best peer,
#      missing rounds, % of peak with scaled/capped thread counts, the MAC-count warning.
#   2. Bad settings stop with exit status 2 and a message naming the setting, before any build.
# Usage: scripts/peers_test.sh        (exit status 0: all passed)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cat >"$tmp/log" <<'EOF'
# a hand-made log; lines other than M and PEAK records are ignored
PEAK isa=avx512 threads=1 gflops=100.0
PEAK isa=avx512 threads=2 gflops=200.0
PEAK isa=avx2 threads=1 gflops=50.0
PEAK isa=avx2 threads=4 gflops=180.0
M engine=mnc net=v2 threads=1 round=1 median_ms=4 macs=100000000 isa=avx512 others_cores=0.10 attempt=1
M engine=xnnpack net=v2 threads=1 round=1 median_ms=5 macs=100000000 others_cores=0.30 attempt=2
M engine=onednn net=v2 threads=1 round=1 median_ms=8 macs=100000000 others_cores=0.00 attempt=1
M engine=ort net=v2 threads=1 round=1 median_ms=6 others_cores=0.00 attempt=1
M engine=mnc net=v2 threads=1 round=2 median_ms=6 macs=100000000 isa=avx512 others_cores=0.20 attempt=1
M engine=xnnpack net=v2 threads=1 round=2 median_ms=5.5 macs=100000000 others_cores=0.00 attempt=1
M engine=onednn net=v2 threads=1 round=2 median_ms=4 macs=100000000 others_cores=0.00 attempt=1
M engine=ort net=v2 threads=1 round=2 median_ms=6 others_cores=0.00 attempt=1
M engine=onednn net=v2 threads=1 round=3 median_ms=5 macs=100000000 others_cores=0.00 attempt=1
M engine=xnnpack net=v2 threads=1 round=3 median_ms=6 macs=100000000 others_cores=0.00 attempt=1
M engine=mnc net=v2 threads=1 round=3 median_ms=3 macs=100000000 isa=avx512 others_cores=0.00 attempt=1
M engine=mnc net=v3s threads=2 round=1 median_ms=1 macs=50000000 isa=avx512 others_cores=0.00 attempt=1
M engine=xnnpack net=v3s threads=2 round=1 median_ms=2 macs=50000001 others_cores=0.00 attempt=1
M engine=mnc net=v1 threads=4 round=1 median_ms=1 macs=100000000 isa=avx512 others_cores=0.00 attempt=1
M engine=mnc net=v1 threads=1 round=1 median_ms=1 macs=10000000 isa=avx2 others_cores=0.00 attempt=1
M engine=mnc net=v1 threads=2 round=1 median_ms=1 macs=10000000 isa=avx2 others_cores=0.00 attempt=1
M engine=mnc net=v3l threads=1 round=1 median_ms=2 macs=10000000 isa=neon others_cores=0.00 attempt=1
EOF
# By hand. v2/1: medians mnc 4, xnnpack 5.5, onednn 5, ort 6 -> best onednn; per-round ratios
# 4/8, 6/4, 3/5 -> median 0.6 (the ratio of medians would be 0.8); 2*1e8 MACs / 4 ms = 50 GFLOP/s
# = 50% of 100. v3s/2: 1/2; 100 GFLOP/s of 200 (2 threads). v1/4: no peer; 200 GFLOP/s against
# the 2-thread peak (capped: 2 cores). v1/1 avx2: 20 of 50; v1/2 avx2: 20 of 2*50 (no 2-thread
# peak: scaled from one thread). v3l: no peak for neon.
cat >"$tmp/want" <<'EOF'
warning: v3s: mnc counts 50000000 MACs, xnnpack 50000001: not the same network
RATIO net=v2 threads=1 mnc_ms=4.000 best_peer=onednn best_ms=5.000 ratio=0.600 mnc_gflops=50.0 peak_pct=50.0 others_max=0.30
RATIO net=v3s threads=2 mnc_ms=1.000 best_peer=xnnpack best_ms=2.000 ratio=0.500 mnc_gflops=100.0 peak_pct=50.0 others_max=0.00
RATIO net=v1 threads=4 mnc_ms=1.000 best_peer=- best_ms=- ratio=- mnc_gflops=200.0 peak_pct=100.0 others_max=0.00
RATIO net=v1 threads=1 mnc_ms=1.000 best_peer=- best_ms=- ratio=- mnc_gflops=20.0 peak_pct=40.0 others_max=0.00
RATIO net=v1 threads=2 mnc_ms=1.000 best_peer=- best_ms=- ratio=- mnc_gflops=20.0 peak_pct=20.0 others_max=0.00
RATIO net=v3l threads=1 mnc_ms=2.000 best_peer=- best_ms=- ratio=- mnc_gflops=10.0 peak_pct=- others_max=0.00
EOF
"$here/peers.sh" --summarize "$tmp/log" >"$tmp/out"
grep -E '^(RATIO|warning)' "$tmp/out" >"$tmp/got" || true
if ! diff -u "$tmp/want" "$tmp/got"; then fail "summary RATIO lines differ (- want, + got)"; fi
grep -q '^v2 .* onednn .* 0\.600 .* 0\.500 1\.500 0\.600$' "$tmp/out" || fail "table row of v2 lacks the per-round ratios: $(grep '^v2' "$tmp/out")"
grep -q '^FMA peak GFLOP/s: 1 thread: avx512 100.0, avx2 50.0; all cores: avx512 200.0 (2 thr), avx2 180.0 (4 thr)$' "$tmp/out" ||
  fail "peak line: $(grep '^FMA' "$tmp/out")"

# expect_usage_error WHAT ENV... -- ARGS...: peers.sh must exit 2 naming WHAT, without building.
expect_usage_error() {
  local what=$1 rc=0
  shift
  env PEERS_BIN="$tmp/bin" MNC=/nonexistent "$@" >"$tmp/err" 2>&1 || rc=$?
  if [ "$rc" != 2 ] || ! grep -q "$what" "$tmp/err"; then fail "$*: want exit 2 naming $what, got $rc: $(cat "$tmp/err")"; fi
  if [ -e "$tmp/bin/peers.log" ]; then fail "$*: started work before rejecting its settings"; fi
}
expect_usage_error "NETS: unknown net 'v9'" NETS="v2 v9" "$here/peers.sh" --quick
expect_usage_error "THREADS: '0'" THREADS=0 "$here/peers.sh"
expect_usage_error "PEERS: unknown peer 'tflite'" PEERS="ort tflite" "$here/peers.sh"
expect_usage_error "ROUNDS: 'x'" ROUNDS=x "$here/peers.sh"
expect_usage_error "MIN_TIME: '1s'" MIN_TIME=1s "$here/peers.sh"
expect_usage_error "unknown argument '--fast'" "$here/peers.sh" --fast
expect_usage_error "cannot read log" "$here/peers.sh" --summarize "$tmp/none"
expect_usage_error "MNC=/nonexistent is not an executable" NETS=v3s "$here/peers.sh" --quick

if [ "$fails" -gt 0 ]; then echo "peers_test: $fails failed"; exit 1; fi
echo "peers_test: ok"
