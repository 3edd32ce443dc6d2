#!/usr/bin/env bash
# peers.sh: mnc against the peers of ../shared/peers (XNNPACK, oneDNN, ONNX Runtime) in one go.
#
# Builds mnc (and any missing peer), then for ROUNDS rounds, for each net in NETS and each thread
# count in THREADS, runs mnc and every peer one after another on the same network (interleaved,
# so that the machine's drift hits all engines alike; the order rotates every round), and prints
# per (net, threads): the median latency of each engine over the rounds, the best peer (lowest
# median), and the ratio mnc / best peer as the median over rounds of the per-round ratios.
# It also measures the fp32 FMA peak (../shared/peers/peak) in the same run and prints mnc's
# GFLOP/s (2·MACs / median) as a percentage of the peak of the ISA mnc ran with.
#
# Usage (from the repo root, or anywhere: paths are resolved from this file):
#   scripts/peers.sh                    # full run: 3 rounds, v1 v2 v3l v3s, 1 and 2 threads
#   scripts/peers.sh --quick            # smoke test: 1 round, short measurements, no idle waits
#   NETS=v3s THREADS=1 scripts/peers.sh --quick
#   scripts/peers.sh --summarize FILE   # reprint the table from a log written earlier
#
# Output: a table, then one parseable line per (net, threads), e.g.
#   RATIO net=v2 threads=1 mnc_ms=4.210 best_peer=onednn best_ms=5.310 ratio=0.793 mnc_gflops=142.9 peak_pct=61.1 others_max=0.31
# (latencies are medians in ms; ratio < 1: mnc is faster; a field with no data is "-").
#
# Environment (defaults in brackets; --quick changes the starred ones):
#   NETS        networks, of v1 v2 v3l v3s v4s v4m v4l                   ["v1 v2 v3l v3s"]
#               (v4*: MobileNetV4 conv small/medium/large; ../shared has no
#               ONNX of them, so mnc exports its built-in one into
#               PEERS_BIN/models for itself and ORT; XNNPACK and oneDNN's
#               harnesses do not have them and skip them)
#   THREADS     thread counts                                            ["1 2"]
#   PEERS       peers to run, of xnnpack onednn ort                      [all three; the ones
#               that cannot be built or run are skipped with a note]
#   ROUNDS*     interleaved rounds                                       [3; quick 1]
#   MIN_TIME*   seconds of timed runs per measurement (each engine)      [1; quick 0.3]
#   IDLE_WAIT*  before each (net, threads) group, wait up to this many
#               seconds for other processes to use <= QUIET cores        [10; quick 0]
#   QUIET       cores other processes may use during a measurement
#               before it counts as disturbed                           [0.25]
#   TRIES*      measurements per engine until one is undisturbed (a
#               retry first waits for idle, so it needs WAIT_BUDGET left) [2; quick 1]
#   WAIT_BUDGET* seconds the whole run may spend waiting for idle: bounds
#               the run's length on a machine that is never quiet       [120; quick 0]
#   TIMEOUT     seconds after which one engine's measurement is killed
#               and counted as failed (thread pools that spin collapse
#               on an oversubscribed machine)                           [120]
#   PEERS_DIR   the peer harnesses                                       [<repo>/../shared/peers]
#   MODELS_DIR  ONNX models: mnc and ORT run the very same file when it
#               exists; else mnc runs its built-in network, ORT skips   [<repo>/../shared/models]
#   PEERS_BIN   where peers are built; the raw log is PEERS_BIN/peers.log [${TMPDIR:-/tmp}/mnc-peers]
#   MNC         a prebuilt mnc binary (skips `go build ./cmd/mnc`)       [built into a temp dir]
#   GO          the go command                                           [go]
#
# Disturbance: for every measurement the script records the CPU that other processes used while
# it ran (/proc/stat minus this script's own children), in cores, as others_cores; the table
# shows the largest value of each row. The peers' own idle gates are left off so that every
# engine is gated the same way, by this script. The log holds every engine's full output and the
# M (measurement) and PEAK records the table is computed from (scripts/peers_summary.awk).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { echo "peers.sh: $*" >&2; exit 2; }

quick=0
summarize=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --summarize) [ $# -ge 2 ] || die "--summarize needs a log file"; summarize=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done
if [ -n "$summarize" ]; then
  [ -r "$summarize" ] || die "cannot read log '$summarize'"
  exec awk -f "$here/peers_summary.awk" "$summarize"
fi

NETS=${NETS:-"v1 v2 v3l v3s"}
THREADS=${THREADS:-"1 2"}
PEERS=${PEERS:-"xnnpack onednn ort"}
QUIET=${QUIET:-0.25}
TIMEOUT=${TIMEOUT:-120}
PEERS_DIR=${PEERS_DIR:-$repo/../shared/peers}
MODELS_DIR=${MODELS_DIR:-$repo/../shared/models}
PEERS_BIN=${PEERS_BIN:-${TMPDIR:-/tmp}/mnc-peers}
GO=${GO:-go}
if [ "$quick" = 1 ]; then
  ROUNDS=${ROUNDS:-1} MIN_TIME=${MIN_TIME:-0.3} IDLE_WAIT=${IDLE_WAIT:-0} TRIES=${TRIES:-1}
  WAIT_BUDGET=${WAIT_BUDGET:-0} PEAK_ARGS="--reps 1 --time 0.05" MIN_RUNS=20 WARMUP=3
else
  ROUNDS=${ROUNDS:-3} MIN_TIME=${MIN_TIME:-1} IDLE_WAIT=${IDLE_WAIT:-10} TRIES=${TRIES:-2}
  WAIT_BUDGET=${WAIT_BUDGET:-120} PEAK_ARGS="--reps 3 --time 0.1" MIN_RUNS=30 WARMUP=5
fi

# model_name NET: the model's file/built-in name for a peer-style net name.
model_name() {
  case "$1" in
    v1) echo mobilenet_v1 ;;
    v2) echo mobilenet_v2 ;;
    v3l) echo mobilenet_v3_large ;;
    v3s) echo mobilenet_v3_small ;;
    v4s) echo mobilenet_v4_conv_small ;;
    v4m) echo mobilenet_v4_conv_medium ;;
    v4l) echo mobilenet_v4_conv_large ;;
    *) return 1 ;;
  esac
}
# native_net NET: the C/C++ harnesses (XNNPACK, oneDNN) have the net.
native_net() { case "$1" in v1 | v2 | v3l | v3s) return 0 ;; esac; return 1; }
# onnx_file NET: the file mnc and ORT run: the shared model, or for a net ../shared lacks
# (MobileNetV4) the one export_models writes from mnc's built-in.
onnx_file() {
  local name
  name=$(model_name "$1")
  if [ -f "$MODELS_DIR/$name.onnx" ] || native_net "$1"; then echo "$MODELS_DIR/$name.onnx"; else echo "$PEERS_BIN/models/$name.onnx"; fi
}

# Check the settings before spending minutes on builds.
is_uint() { case "$1" in '' | *[!0-9]*) return 1 ;; esac; }
is_pos() { is_uint "$1" && [ "$1" -ge 1 ]; }
is_num() { awk -v x="$1" 'BEGIN { exit !(x ~ /^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/) }'; }
[ -n "${NETS// /}" ] || die "NETS is empty"
[ -n "${THREADS// /}" ] || die "THREADS is empty"
for n in $NETS; do model_name "$n" >/dev/null || die "NETS: unknown net '$n' (use v1 v2 v3l v3s v4s v4m v4l)"; done
for t in $THREADS; do is_pos "$t" || die "THREADS: '$t' is not a positive integer"; done
for p in $PEERS; do
  case "$p" in xnnpack | onednn | ort) ;; *) die "PEERS: unknown peer '$p' (use xnnpack onednn ort)" ;; esac
done
is_pos "$ROUNDS" || die "ROUNDS: '$ROUNDS' is not a positive integer"
is_pos "$TRIES" || die "TRIES: '$TRIES' is not a positive integer"
is_uint "$IDLE_WAIT" || die "IDLE_WAIT: '$IDLE_WAIT' is not a whole number of seconds"
is_uint "$WAIT_BUDGET" || die "WAIT_BUDGET: '$WAIT_BUDGET' is not a whole number of seconds"
is_num "$MIN_TIME" || die "MIN_TIME: '$MIN_TIME' is not a number of seconds"
is_pos "$TIMEOUT" || die "TIMEOUT: '$TIMEOUT' is not a positive whole number of seconds"
is_num "$QUIET" || die "QUIET: '$QUIET' is not a number of cores"
[ -z "${MNC:-}" ] || [ -x "$MNC" ] || die "MNC=$MNC is not an executable"

mkdir -p "$PEERS_BIN" || die "cannot create PEERS_BIN=$PEERS_BIN"
LOG=$PEERS_BIN/peers.log
: >"$LOG" || die "cannot write $LOG"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ncpu=$(getconf _NPROCESSORS_ONLN)
started=$SECONDS

say() { echo "$*" | tee -a "$LOG"; }
note() { say "note: $*"; }

# ---- machine load ---------------------------------------------------------------------------

# cpu_ticks: "busy total" clock ticks of the whole machine since boot.
cpu_ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6; exit }' /proc/stat; }

# child_ticks: CPU ticks (user + system) of this script's finished children, so that the
# engines' own CPU time can be told apart from other processes'.
child_ticks() {
  local s f
  s=$(</proc/$$/stat)
  read -ra f <<<"${s##*) }" # the fields after "(comm) ": f[0] is field 3 (state)
  echo $((f[13] + f[14]))   # cutime, cstime: fields 16 and 17
}

# others_cores BUSY_TICKS OWN_TICKS TOTAL_TICKS: cores other processes used on average.
others_cores() {
  awk -v b="$1" -v o="$2" -v t="$3" -v n="$ncpu" \
    'BEGIN { x = t > 0 ? n * (b - o) / t : 0; printf "%.2f", x < 0 ? 0 : x }'
}
quiet_enough() { awk -v o="$1" -v q="$QUIET" 'BEGIN { exit !(o <= q) }'; }

# wait_idle MAX_SECONDS: wait until other processes use <= QUIET cores over 1 s, at most MAX
# seconds and at most what is left of WAIT_BUDGET.
waited=0
budget_left() { [ "$waited" -lt "$WAIT_BUDGET" ]; }
wait_idle() {
  local max=$1 start=$SECONDS b0 t0 b1 t1 o="-"
  [ "$max" -le $((WAIT_BUDGET - waited)) ] || max=$((WAIT_BUDGET - waited))
  [ "$max" -gt 0 ] || return 0
  while [ $((SECONDS - start + 1)) -le "$max" ]; do
    read -r b0 t0 <<<"$(cpu_ticks)"
    sleep 1
    read -r b1 t1 <<<"$(cpu_ticks)"
    o=$(others_cores $((b1 - b0)) 0 $((t1 - t0)))
    quiet_enough "$o" && break
  done
  waited=$((waited + SECONDS - start))
  echo "# idle-wait $((SECONDS - start))s (max ${max}s, ${waited}s of ${WAIT_BUDGET}s used): others using $o cores" >>"$LOG"
}

# ---- builds -----------------------------------------------------------------------------------

build_mnc() {
  if [ -n "${MNC:-}" ]; then
    mnc=$MNC
    return
  fi
  mnc=$tmp/mnc
  say "building mnc $(git -C "$repo" describe --always --dirty 2>/dev/null || echo '(no git)')"
  local ok=1
  (cd "$repo" && "$GO" build -o "$mnc" ./cmd/mnc) >"$tmp/build.out" 2>&1 || ok=0
  cat "$tmp/build.out" >>"$LOG"
  if [ "$ok" = 0 ]; then
    tail -n 20 "$tmp/build.out" >&2
    die "go build ./cmd/mnc failed (the tree may be mid-edit: retry, or set MNC to a built binary)"
  fi
}

# export_models: `mnc export` of each net in NETS that has no shared ONNX file and no native
# harness (MobileNetV4), written afresh every run so that it matches the mnc being measured.
export_models() {
  local n f
  for n in $NETS; do
    f=$(onnx_file "$n")
    case "$f" in "$PEERS_BIN/models/"*) ;; *) continue ;; esac
    mkdir -p "$PEERS_BIN/models" && "$mnc" export "$(model_name "$n")" -o "$f" >>"$LOG" 2>&1 ||
      die "mnc export $(model_name "$n") -o $f failed (log: $LOG)"
  done
}

# build_native NAME BINARY: build a C/C++ harness with its own build.sh unless already built.
build_native() {
  [ -x "$PEERS_BIN/$2" ] && return 0
  [ -x "$PEERS_DIR/$1/build.sh" ] || { note "no $PEERS_DIR/$1/build.sh"; return 1; }
  say "building $1 (log: $LOG)"
  PEERS_BIN=$PEERS_BIN "$PEERS_DIR/$1/build.sh" >>"$LOG" 2>&1 && [ -x "$PEERS_BIN/$2" ]
}

# install_ort: onnxruntime-node in PEERS_BIN/ort, as ../shared/peers/ort/run.sh installs it
# (its postinstall would fetch GPU binaries; the CPU library ships inside the package).
install_ort() {
  local work=$PEERS_BIN/ort
  command -v node >/dev/null || { note "node is not installed"; return 1; }
  [ -f "$PEERS_DIR/ort/bench.js" ] || { note "no $PEERS_DIR/ort/bench.js"; return 1; }
  if [ ! -d "$work/node_modules/onnxruntime-node" ]; then
    command -v npm >/dev/null || { note "npm is not installed"; return 1; }
    say "installing onnxruntime-node into $work (log: $LOG)"
    mkdir -p "$work" && cp "$PEERS_DIR/ort/package.json" "$PEERS_DIR/ort/package-lock.json" "$work/" &&
      chmod u+w "$work/package.json" "$work/package-lock.json" &&
      (cd "$work" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund) >>"$LOG" 2>&1 || return 1
  fi
  NODE_PATH=$work/node_modules node -e 'require("onnxruntime-node")' >>"$LOG" 2>&1
}

# ---- engines: run_X NET THREADS prints the engine's output; parse_X OUT NET THREADS prints
# "median_ms=… [macs=…] [isa=…]" from it, or fails. ---------------------------------------------

limited() { timeout -k 5 "$TIMEOUT" "$@"; }
mnc_model() { if [ -f "$(onnx_file "$1")" ]; then onnx_file "$1"; else model_name "$1"; fi; }
run_mnc() { limited "$mnc" bench -json -threads "$2" -warmup "$WARMUP" -time "${MIN_TIME}s" "$(mnc_model "$1")"; }
json_field() { sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\} *$/\1/p" "$2" | head -n 1; }
parse_mnc() {
  local m
  m=$(json_field median_ms "$1")
  [ -n "$m" ] && echo "median_ms=$m macs=$(json_field macs "$1") isa=$(json_field isa "$1")"
}

run_xnnpack() {
  limited "$PEERS_BIN/mobilenet_xnnpack" --nets "$1" --threads "$2" --min-time "$MIN_TIME" \
    --min-runs "$MIN_RUNS" --warmup "$WARMUP"
}
# parse_result OUT: median_ms and macs of the harnesses' "RESULT net=… median_ms=…" line.
parse_result() {
  awk '/^RESULT / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                    if (v["median_ms"] != "") { print "median_ms=" v["median_ms"] " macs=" v["macs"]; ok = 1 } }
       END { exit !ok }' "$1"
}
parse_xnnpack() { parse_result "$1"; }

run_onednn() {
  OMP_NUM_THREADS=$2 limited "$PEERS_BIN/mobilenet_onednn" --nets "$1" --min-time "$MIN_TIME" --min-runs "$MIN_RUNS"
}
parse_onednn() { parse_result "$1"; }

# ORT counts runs, not time: aim for MIN_TIME from the latency of the engine measured just before.
ort_runs() {
  awk -v t="$MIN_TIME" -v ms="${last_ms:-}" \
    'BEGIN { n = ms > 0 ? int(1000 * t / ms) + 1 : 100; if (n < 30) n = 30; if (n > 5000) n = 5000; print n }'
}
run_ort() {
  rm -f "$tmp/ort.json"
  NODE_PATH=$PEERS_BIN/ort/node_modules limited node "$PEERS_DIR/ort/bench.js" --threads "$2" --runs "$(ort_runs)" \
    --warmup "$WARMUP" --retries 0 --json "$tmp/ort.json" "$(onnx_file "$1")"
}
parse_ort() {
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const x = r.results[0].threads[process.argv[2]];
    if (!x) process.exit(1);
    console.log("median_ms=" + x.median.toFixed(4));' "$tmp/ort.json" "$3" 2>/dev/null
}

# measure ENGINE NET THREADS ROUND: run one engine (again when others disturbed it, up to TRIES
# times in all) and append its M record to the log.
measure() {
  local e=$1 net=$2 t=$3 r=$4 attempt=1 out=$tmp/run.out b0 t0 c0 b1 t1 c1 rc res o ms
  while :; do
    read -r b0 t0 <<<"$(cpu_ticks)"
    c0=$(child_ticks)
    rc=0
    "run_$e" "$net" "$t" >"$out" 2>&1 || rc=$?
    read -r b1 t1 <<<"$(cpu_ticks)"
    c1=$(child_ticks)
    { echo "### $e net=$net threads=$t round=$r attempt=$attempt"; cat "$out"; } >>"$LOG"
    if [ "$rc" = 124 ]; then
      note "$e on $net threads=$t (round $r) was killed after TIMEOUT=${TIMEOUT}s"
      return 0
    fi
    if [ "$rc" != 0 ] || ! res=$("parse_$e" "$out" "$net" "$t"); then
      note "$e failed on $net threads=$t (round $r, exit status $rc): $(grep -v '^ *$' "$out" | tail -n 1 | cut -c1-160)"
      return 0
    fi
    o=$(others_cores $((b1 - b0)) $((c1 - c0)) $((t1 - t0)))
    if quiet_enough "$o" || [ "$attempt" -ge "$TRIES" ] || ! budget_left; then break; fi
    echo "# disturbed (others using $o cores): trying again" >>"$LOG"
    attempt=$((attempt + 1))
    wait_idle "$IDLE_WAIT"
  done
  echo "M engine=$e net=$net threads=$t round=$r $res others_cores=$o attempt=$attempt" >>"$LOG"
  ms=${res#median_ms=}
  ms=${ms%% *}
  last_ms=$ms
  printf '  round %s  %-4s %2s thr  %-8s %9.3f ms  (others %s cores)\n' "$r" "$net" "$t" "$e" "$ms" "$o"
}

# measure_peak: the FMA peak per ISA and thread count, as PEAK records (best single-thread
# median over the accumulator counts; all cores: the harness's multi-thread total).
measure_peak() {
  local bin=$PEERS_BIN/peak_fma
  build_native peak peak_fma || { note "FMA peak harness could not be built: no % of peak"; return 0; }
  say "measuring the FMA peak (peak_fma $PEAK_ARGS)"
  # shellcheck disable=SC2086 # PEAK_ARGS is a list of words
  if ! "$bin" $PEAK_ARGS >"$tmp/peak.out" 2>&1; then
    cat "$tmp/peak.out" >>"$LOG"
    note "peak_fma failed: no % of peak"
    return 0
  fi
  cat "$tmp/peak.out" >>"$LOG"
  awk '/^RESULT test="AVX/ {
         isa = /test="AVX512/ ? "avx512" : "avx2"
         if (!match($0, / threads=[0-9]+/)) next
         t = substr($0, RSTART + 9, RLENGTH - 9)
         if (match($0, /gflops_median=[0-9.]+/)) g = substr($0, RSTART + 14, RLENGTH - 14) + 0
         else if (match($0, /gflops_total_median=[0-9.]+/)) g = substr($0, RSTART + 20, RLENGTH - 20) + 0
         else next
         k = isa " " t
         if (!(k in best)) order[++n] = k
         if (g > best[k]) best[k] = g
       }
       END { for (i = 1; i <= n; i++) { split(order[i], f, " "); printf "PEAK isa=%s threads=%s gflops=%.1f\n", f[1], f[2], best[order[i]] } }' \
    "$tmp/peak.out" | tee -a "$LOG"
}

# ---- main ---------------------------------------------------------------------------------------

{
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') nproc=$ncpu load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# config quick=$quick ROUNDS=$ROUNDS NETS=\"$NETS\" THREADS=\"$THREADS\" PEERS=\"$PEERS\" MIN_TIME=$MIN_TIME IDLE_WAIT=$IDLE_WAIT QUIET=$QUIET TRIES=$TRIES WAIT_BUDGET=$WAIT_BUDGET"
} | tee -a "$LOG"
build_mnc
export_models
engines=(mnc)
for p in $PEERS; do
  case "$p" in
    xnnpack) ready() { build_native xnnpack mobilenet_xnnpack; } ;;
    onednn) ready() { build_native onednn mobilenet_onednn; } ;;
    ort) ready() { install_ort; } ;;
  esac
  if ready; then engines+=("$p"); else note "skipping $p: it could not be built or loaded (log: $LOG)"; fi
done
for n in $NETS; do
  [ -f "$(onnx_file "$n")" ] || note "$n: no $(onnx_file "$n"): mnc runs its built-in $(model_name "$n"), ort skips it"
done
say "engines: ${engines[*]}"
measure_peak

for ((r = 1; r <= ROUNDS; r++)); do
  for net in $NETS; do
    for t in $THREADS; do
      wait_idle "$IDLE_WAIT"
      last_ms=""
      # Rotate the order every round so that no engine always runs first (or right after ORT's
      # process start-up).
      k=${#engines[@]}
      for ((i = 0; i < k; i++)); do
        e=${engines[$(((i + r - 1) % k))]}
        if [ "$e" = ort ] && [ ! -f "$(onnx_file "$net")" ]; then continue; fi
        if { [ "$e" = xnnpack ] || [ "$e" = onednn ]; } && ! native_net "$net"; then continue; fi
        measure "$e" "$net" "$t" "$r"
      done
    done
  done
done

echo
awk -f "$here/peers_summary.awk" "$LOG" >"$tmp/summary"
tee -a "$LOG" <"$tmp/summary"
say "took $((SECONDS - started)) s; raw log: $LOG"
