# peers_summary.awk: the table and RATIO lines of scripts/peers.sh, from the records in its log:
#   M engine=E net=N threads=T round=R median_ms=X [macs=M] [isa=I] others_cores=O attempt=A
#   PEAK isa=I threads=T gflops=G
# Per (net, threads), in the order first measured: each engine's median over rounds; the best
# peer (lowest such median); ratio = median over rounds of mnc_r / best_peer_r (rounds where both
# ran); mnc's GFLOP/s = 2·MACs / its median, as a % of the FMA peak of mnc's ISA at that thread
# count. Plain POSIX awk (Debian's default is mawk).

function median(a, n,   i, j, t) {
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

# peak_for(isa, t): the measured peak for t threads. Missing thread counts below the largest
# measured are scaled from one thread; above it, capped at it (no more cores to run on).
function peak_for(isa, t) {
  if ((isa, t) in peak) return peak[isa, t]
  if (!((isa, 1) in peak)) return 0
  if (t + 0 < maxpt[isa]) return t * peak[isa, 1]
  return peak[isa, maxpt[isa]]
}

function fmt(x, spec) { return x == "" ? "-" : sprintf(spec, x) }

/^M / {
  delete v
  for (i = 2; i <= NF; i++) { p = index($i, "="); v[substr($i, 1, p - 1)] = substr($i, p + 1) }
  k = v["net"] SUBSEP v["threads"]
  if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
  e = v["engine"]; r = v["round"] + 0
  lat[e, k, r] = v["median_ms"] + 0
  if (r > maxr) maxr = r
  if (v["others_cores"] + 0 > oth[k]) oth[k] = v["others_cores"] + 0
  if (v["macs"] != "") macs[e, k] = v["macs"]
  if (e == "mnc" && v["isa"] != "") isa[k] = v["isa"]
  next
}

/^PEAK / {
  delete v
  for (i = 2; i <= NF; i++) { p = index($i, "="); v[substr($i, 1, p - 1)] = substr($i, p + 1) }
  peak[v["isa"], v["threads"] + 0] = v["gflops"] + 0
  if (v["threads"] + 0 > maxpt[v["isa"]]) maxpt[v["isa"]] = v["threads"] + 0
  if (v["threads"] + 0 == 1) peaks1 = peaks1 sprintf("%s%s %.1f", peaks1 == "" ? "" : ", ", v["isa"], v["gflops"])
  else peaksn = peaksn sprintf("%s%s %.1f (%s thr)", peaksn == "" ? "" : ", ", v["isa"], v["gflops"], v["threads"])
  next
}

END {
  npeer = split("xnnpack onednn ort", peers, " ")
  printf "%-5s %7s %9s %11s %10s %9s %9s %9s %9s %7s %7s  %s\n", "net", "threads", "mnc_ms", "xnnpack_ms",
    "onednn_ms", "ort_ms", "best_peer", "mnc/best", "mnc_GF/s", "%peak", "others", "per-round mnc/best"
  for (j = 1; j <= nk; j++) {
    k = order[j]; split(k, kk, SUBSEP)
    # Each engine's median over the rounds it ran.
    for (q = 0; q <= npeer; q++) {
      e = q == 0 ? "mnc" : peers[q]
      n = 0; delete a
      for (r = 1; r <= maxr; r++) if ((e, k, r) in lat) a[++n] = lat[e, k, r]
      med[e] = n ? median(a, n) : ""
    }
    best = ""
    for (q = 1; q <= npeer; q++) if (med[peers[q]] != "" && (best == "" || med[peers[q]] < med[best])) best = peers[q]
    # Ratio: median of the per-round ratios against that peer.
    n = 0; delete a; list = ""
    if (best != "") for (r = 1; r <= maxr; r++) if (("mnc", k, r) in lat && (best, k, r) in lat) {
      a[++n] = lat["mnc", k, r] / lat[best, k, r]; list = list sprintf("%s%.3f", n > 1 ? " " : "", a[n])
    }
    ratio = n ? median(a, n) : ""
    gf = ""; pct = ""
    if (med["mnc"] != "" && macs["mnc", k] + 0 > 0) {
      gf = 2 * macs["mnc", k] / (med["mnc"] * 1e6)
      pk = peak_for(isa[k], kk[2])
      if (pk > 0) pct = 100 * gf / pk
    }
    printf "%-5s %7s %9s %11s %10s %9s %9s %9s %9s %7s %7.2f  %s\n", kk[1], kk[2], fmt(med["mnc"], "%.3f"),
      fmt(med["xnnpack"], "%.3f"), fmt(med["onednn"], "%.3f"), fmt(med["ort"], "%.3f"), best == "" ? "-" : best,
      fmt(ratio, "%.3f"), fmt(gf, "%.1f"), fmt(pct, "%.1f"), oth[k], list == "" ? "-" : list
    line[j] = sprintf("RATIO net=%s threads=%s mnc_ms=%s best_peer=%s best_ms=%s ratio=%s mnc_gflops=%s peak_pct=%s others_max=%.2f",
      kk[1], kk[2], fmt(med["mnc"], "%.3f"), best == "" ? "-" : best, best == "" ? "-" : fmt(med[best], "%.3f"),
      fmt(ratio, "%.3f"), fmt(gf, "%.1f"), fmt(pct, "%.1f"), oth[k])
    # Same architecture means the same MAC count: say so loudly when a peer counts otherwise.
    for (q = 1; q <= npeer; q++) if (macs[peers[q], k] != "" && macs["mnc", k] != "" && macs[peers[q], k] != macs["mnc", k])
      warn = warn sprintf("warning: %s: mnc counts %s MACs, %s %s: not the same network\n", kk[1], macs["mnc", k], peers[q], macs[peers[q], k])
  }
  if (nk == 0) print "(no measurements in the log)"
  if (peaks1 != "") printf "FMA peak GFLOP/s: 1 thread: %s; all cores: %s\n", peaks1, peaksn == "" ? "-" : peaksn
  printf "%s", warn
  for (j = 1; j <= nk; j++) print line[j]
}
