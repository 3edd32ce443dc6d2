#!/usr/bin/env bash
# scale.sh: how mnc scales with threads, against ONNX Runtime on the same ONNX file.
#
# For each model in MODELS, exports mnc's built-in model to ONNX once (mnc export), then for
# ROUNDS rounds and each thread count in THREADS runs `mnc bench -json` on that ONNX file and,
# right after it, ONNX Runtime (../shared/peers/ort/bench.js) on the same file when node and
# onnxruntime-node are there (interleaved, so a shared machine's drift hits both alike). Prints
# per (model, threads): mnc's median ms per batch (median over rounds; the faster mode's), speed-up over mnc at 1 thread,
# parallel efficiency (speed-up / threads), barriers per run, images/s, and ORT's median and
# mnc / ORT. With BATCH > 1, mnc runs `-mode auto` (splitting every step or whole images per
# thread, whichever is faster: the mode column), and ORT runs through its Python package
# (scripts/ort_bench.py) when that is installed (node's harness runs batch 1 only).
#
# Usage (from anywhere; one command on a fresh 16-core machine, given Go or a prebuilt binary):
#   scripts/scale.sh                                  # MODELS at THREADS="1 2 4 8 16", batch 1
#   THREADS="1 2" ROUNDS=1 MIN_TIME=0.3 scripts/scale.sh   # a quick look on a small machine
#   BATCH=8 MODELS=mobilenet_v2 scripts/scale.sh
#   MNC=./mnc scripts/scale.sh                        # a binary built elsewhere, e.g.
#                                                     #   CGO_ENABLED=0 go build -o mnc ./cmd/mnc
# Output: a table, then one parseable line per (model, threads), e.g.
#   SCALE model=mobilenet_v2 threads=4 batch=1 mnc_ms=1.93 speedup=2.71 efficiency=0.68 barriers=52 images_per_s=518.1 mode=split ort_ms=2.10 ratio=0.92
# ("-" where there is no data). Environment [defaults]:
#   MODELS    built-in models (mnc models)  ["mobilenet_v1 mobilenet_v2 mobilenet_v3_large mobilenet_v3_small"]
#   THREADS   thread counts; 1 is added (the speed-up's base)   ["1 2 4 8 16"]
#   BATCH     batch size                                        [1]
#   ROUNDS    interleaved rounds                                [3]
#   MIN_TIME  seconds of timed runs per measurement             [1]
#   MNC       the mnc binary (built from this checkout when unset, CGO_ENABLED=0)
#   PEERS_DIR ONNX Runtime's harness lives in $PEERS_DIR/ort    [<repo>/../shared/peers]
#   ORT_MODULES  node_modules holding onnxruntime-node          [/tmp/mnc-peers/ort/node_modules, as
#                scripts/peers.sh installs it, or $PEERS_DIR/ort/node_modules]
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
MODELS=${MODELS:-"mobilenet_v1 mobilenet_v2 mobilenet_v3_large mobilenet_v3_small"}
THREADS=${THREADS:-"1 2 4 8 16"}
BATCH=${BATCH:-1}
ROUNDS=${ROUNDS:-3}
MIN_TIME=${MIN_TIME:-1}
PEERS_DIR=${PEERS_DIR:-$repo/../shared/peers}
die() { echo "scale.sh: $*" >&2; exit 1; }
note() { echo "scale.sh: $*" >&2; }

tmp=$(mktemp -d) || die "no temporary directory"
trap 'rm -rf "$tmp"' EXIT
if [ -z "${MNC:-}" ]; then
  MNC=$tmp/mnc
  (cd "$repo" && CGO_ENABLED=0 go build -o "$MNC" ./cmd/mnc) || die "building mnc failed"
fi
[ -x "$MNC" ] || die "MNC=$MNC is not an executable"

# The thread counts, 1 first (the base of the speed-up), without repeats.
ts="1"
for t in $THREADS; do
  case "$t" in '' | *[!0-9]* | 0) die "THREADS: '$t' is not a positive integer" ;; esac
  case " $ts " in *" $t "*) ;; *) ts="$ts $t" ;; esac
done

# ONNX Runtime: node's onnxruntime-node (../shared/peers/ort/bench.js) at batch 1, else the
# onnxruntime Python package (scripts/ort_bench.py, same session settings), which also runs
# batches. ort=node|py|0.
ort=0
PYTHON=${PYTHON:-python3}
if [ "$BATCH" = 1 ] && command -v node >/dev/null && [ -f "$PEERS_DIR/ort/bench.js" ]; then
  for d in ${ORT_MODULES:-} /tmp/mnc-peers/ort/node_modules "$PEERS_DIR/ort/node_modules"; do
    if [ -d "$d/onnxruntime-node" ] && NODE_PATH=$d node -e 'require("onnxruntime-node")' 2>/dev/null; then
      ORT_MODULES=$d ort=node
      break
    fi
  done
fi
if [ "$ort" = 0 ] && command -v "$PYTHON" >/dev/null && "$PYTHON" -c 'import onnxruntime, numpy' 2>/dev/null; then
  ort=py
fi
[ "$ort" = 0 ] && note "neither onnxruntime-node (run scripts/peers.sh once, or set ORT_MODULES) nor Python's onnxruntime found: mnc only"

field() { sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\} *$/\1/p" "$2" | head -n 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'; }

res=$tmp/results # lines: model threads round engine median_ms barriers images_per_s mode
: >"$res"
for m in $MODELS; do
  onnx=$tmp/$m.onnx
  "$MNC" export "$m" -o "$onnx" >/dev/null 2>"$tmp/err" || { note "$m: mnc export failed: $(head -n 1 "$tmp/err")"; continue; }
  for r in $(seq 1 "$ROUNDS"); do
    for t in $ts; do
      mode=split
      [ "$BATCH" != 1 ] && mode=auto
      if "$MNC" bench -json -threads "$t" -batch "$BATCH" -mode "$mode" -time "${MIN_TIME}s" "$onnx" >"$tmp/mnc.json" 2>"$tmp/err"; then
        ms=$(field median_ms "$tmp/mnc.json")
        # the throughput mode won: its time per batch
        [ "$(field mode "$tmp/mnc.json")" = images ] && ms=$(field images_mode_median_ms "$tmp/mnc.json")
        echo "$m $t $r mnc $ms $(field barriers "$tmp/mnc.json") $(field images_per_s "$tmp/mnc.json") $(field mode "$tmp/mnc.json")" >>"$res"
      else
        note "$m, $t threads: mnc bench failed: $(head -n 1 "$tmp/err")"
      fi
      if [ "$ort" != 0 ]; then
        last=$(awk -v m="$m" -v t="$t" '$1 == m && $2 == t && $4 == "mnc" { x = $5 } END { print x }' "$res")
        runs=$(awk -v t="$MIN_TIME" -v ms="${last:-0}" 'BEGIN { n = ms > 0 ? int(1000 * t / ms) + 1 : 100; if (n < 30) n = 30; if (n > 5000) n = 5000; print n }')
        if [ "$ort" = py ]; then
          if "$PYTHON" "$here/ort_bench.py" --threads "$t" --batch "$BATCH" --runs "$runs" --warmup 5 "$onnx" >"$tmp/ort.txt" 2>"$tmp/err"; then
            ms=$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' "$tmp/ort.txt")
            [ -n "$ms" ] && echo "$m $t $r ort $ms - - -" >>"$res"
          else
            note "$m, $t threads: ONNX Runtime (Python) failed: $(tail -n 1 "$tmp/err")"
          fi
        elif NODE_PATH=$ORT_MODULES node "$PEERS_DIR/ort/bench.js" --threads "$t" --runs "$runs" --warmup 5 --retries 0 \
          --json "$tmp/ort.json" "$onnx" >/dev/null 2>"$tmp/err"; then
          ms=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
            const x = r.results[0].threads[process.argv[2]]; if (x) console.log(x.median.toFixed(4));' "$tmp/ort.json" "$t" 2>/dev/null)
          [ -n "$ms" ] && echo "$m $t $r ort $ms - - -" >>"$res"
        else
          note "$m, $t threads: ONNX Runtime failed: $(head -n 1 "$tmp/err")"
        fi
      fi
    done
  done
done

printf '\n%-22s %7s %5s %9s %7s %6s %8s %10s %6s %9s %7s\n' model threads batch mnc_ms speedup eff barriers images/s mode ort_ms mnc/ort
for m in $MODELS; do
  base=$(awk -v m="$m" '$1 == m && $2 == 1 && $4 == "mnc" { print $5 }' "$res" | median)
  for t in $ts; do
    sel() { awk -v m="$m" -v t="$t" -v e="$1" -v c="$2" '$1 == m && $2 == t && $4 == e { print $c }' "$res"; }
    ms=$(sel mnc 5 | median | awk '{ printf($1 == "-" ? "-" : "%.3f", $1) }')
    [ "$ms" = - ] && continue
    bar=$(sel mnc 6 | head -n 1)
    ips=$(sel mnc 7 | median | awk '{ printf($1 == "-" ? "-" : "%.1f", $1) }')
    mode=$(sel mnc 8 | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
    ort_ms=$(sel ort 5 | median)
    # mnc / ORT: the median over rounds of the per-round ratios
    ratio=$(awk -v m="$m" -v t="$t" '$1 == m && $2 == t { v[$3, $4] = $5; r[$3] = 1 }
      END { for (k in r) if (v[k, "mnc"] != "" && v[k, "ort"] != "") printf "%.3f\n", v[k, "mnc"] / v[k, "ort"] }' "$res" | median)
    read -r sp eff <<<"$(awk -v b="$base" -v x="$ms" -v t="$t" 'BEGIN { if (b == "-" || x <= 0) print "- -"; else printf "%.2f %.2f\n", b / x, b / x / t }')"
    printf '%-22s %7s %5s %9s %7s %6s %8s %10s %6s %9s %7s\n' "$m" "$t" "$BATCH" "$ms" "$sp" "$eff" "${bar:--}" "$ips" "${mode:--}" "$ort_ms" "$ratio"
    echo "SCALE model=$m threads=$t batch=$BATCH mnc_ms=$ms speedup=$sp efficiency=$eff barriers=${bar:--} images_per_s=$ips mode=${mode:--} ort_ms=$ort_ms ratio=$ratio" >>"$tmp/lines"
  done
done
echo
cat "$tmp/lines" 2>/dev/null
