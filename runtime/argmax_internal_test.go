package runtime

import (
	"math"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// TestArgMaxRow: the row scan picks what ir.ArgMaxBetter's definition
// picks on every row of length 1–6 over {NaN, 0, 1, 2} (ties, NaN first,
// last, several), for both tie rules.
func TestArgMaxRow(t *testing.T) {
	vals := []float32{float32(math.NaN()), 0, 1, 2}
	for n := 1; n <= 6; n++ {
		idx := make([]int, n)
		row := make([]float32, n)
		for {
			for i, k := range idx {
				row[i] = vals[k]
			}
			for _, last := range []bool{false, true} {
				best, want := row[0], 0
				for j := 1; j < n; j++ {
					if ir.ArgMaxBetter(row[j], best, last) {
						best, want = row[j], j
					}
				}
				if got := argMaxRow(row, last); got != want {
					t.Fatalf("argMaxRow(%v, last=%v) = %d, want %d", row, last, got, want)
				}
			}
			i := 0
			for ; i < n; i++ {
				if idx[i]++; idx[i] < len(vals) {
					break
				}
				idx[i] = 0
			}
			if i == n {
				break
			}
		}
	}
}
