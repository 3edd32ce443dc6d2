#!/usr/bin/env bash
# rss.sh: the peak resident memory (VmHWM, via /usr/bin/time -v or, without
# it, the programs' own report) of running a plan once on one thread, with
# and without fused blocks, for the `mnc` command and for `mncrun` (the
# plan-only runner), plus `mnc run MODEL` compiling from scratch; then the
# min, median and max over the rounds of `mnc run -threads 1` of the fused
# plan, against issue 15's 20 MiB (20480 KiB).
#
# Usage: ROUNDS=5 scripts/rss.sh [MODEL...]     (default: mobilenet_v2, 5 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/mnc" ./cmd/mnc
go build -o "$dir/mncrun" ./cmd/mncrun
peak() { # peak KiB of a command
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1
  else
    "$@" | sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1 MiB/p'
  fi
}
for m in "${@:-mobilenet_v2}"; do
  "$dir/mnc" compile -o "$dir/f.plan" "$m" | grep -E '^plan|memory:' | sed 's/^/  /'
  "$dir/mnc" compile -disable fuse-blocks -o "$dir/u.plan" "$m" >/dev/null
  w=$(stat -c %s "$dir/f.plan")
  printf '%s (plan file %.2f MiB)\n' "$m" "$(echo "$w / 1048576" | bc -l)"
  runs=()
  for i in $(seq "${ROUNDS:-5}"); do
    f=$(peak "$dir/mnc" run -threads 1 "$dir/f.plan")
    runs+=("${f% *}")
    printf '  round %d: mncrun fused %s KiB, unfused %s KiB; mnc run fused %s KiB, unfused %s KiB; mnc run %s from scratch %s KiB\n' "$i" \
      "$(peak "$dir/mncrun" -threads 1 "$dir/f.plan")" "$(peak "$dir/mncrun" -threads 1 "$dir/u.plan")" \
      "$f" "$(peak "$dir/mnc" run -threads 1 "$dir/u.plan")" \
      "$m" "$(peak "$dir/mnc" run -threads 1 "$m")"
  done
  sorted=($(printf '%s\n' "${runs[@]}" | sort -n))
  printf '  mnc run -threads 1 of the fused plan: min-median-max %s-%s-%s KiB over %d rounds (20 MiB = 20480 KiB)\n' \
    "${sorted[0]}" "${sorted[$(( ${#sorted[@]} / 2 ))]}" "${sorted[-1]}" "${#sorted[@]}"
done
