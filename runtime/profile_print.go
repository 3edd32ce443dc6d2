package runtime

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// PrintProfile writes a per-step table, slowest first (top > 0 limits the
// rows), with each step's share of the total, then totals per step kind:
// what `mnc bench -per-layer` shows.
func PrintProfile(w io.Writer, steps []StepTime, top int) {
	var total time.Duration
	for _, s := range steps {
		total += s.Mean()
	}
	if total == 0 {
		fmt.Fprintln(w, "no profile recorded (SetProfiling(true), then Run)")
		return
	}
	sorted := append([]StepTime(nil), steps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Total > sorted[j].Total })
	if top > 0 && top < len(sorted) {
		sorted = sorted[:top]
	}
	fmt.Fprintf(w, "%5s  %-10s %-8s %10s %6s  %s\n", "step", "kind", "algo", "time", "share", "name")
	for _, s := range sorted {
		fmt.Fprintf(w, "%5d  %-10s %-8s %10s %5.1f%%  %s\n", s.Index, s.Kind, s.Algo, s.Mean().Round(100*time.Nanosecond), 100*float64(s.Mean())/float64(total), s.Name)
	}
	byKind := map[string]time.Duration{}
	for _, s := range steps {
		byKind[s.Kind.String()] += s.Mean()
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return byKind[kinds[i]] > byKind[kinds[j]] })
	fmt.Fprintf(w, "total %s per run:", total.Round(time.Microsecond))
	for _, k := range kinds {
		fmt.Fprintf(w, " %s %.1f%%", k, 100*float64(byKind[k])/float64(total))
	}
	fmt.Fprintln(w)
}
