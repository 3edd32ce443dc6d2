#!/usr/bin/env bash
# rss.sh: the peak resident memory (VmHWM, via /usr/bin/time -v or, without
# it, the programs' own report) of running a plan once on one thread, with
# and without fused blocks, for the `mnc` command and for `mncrun` (the
# plan-only runner), plus `mnc run MODEL` compiling from scratch.
#
# Usage: scripts/rss.sh [MODEL...]     (default: mobilenet_v2)
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
  for i in 1 2 3; do
    printf '  round %d: mncrun fused %s KiB, unfused %s KiB; mnc run fused %s KiB, unfused %s KiB; mnc run %s from scratch %s KiB\n' "$i" \
      "$(peak "$dir/mncrun" -threads 1 "$dir/f.plan")" "$(peak "$dir/mncrun" -threads 1 "$dir/u.plan")" \
      "$(peak "$dir/mnc" run -threads 1 "$dir/f.plan")" "$(peak "$dir/mnc" run -threads 1 "$dir/u.plan")" \
      "$m" "$(peak "$dir/mnc" run -threads 1 "$m")"
  done
done
