package runtime

import (
	"math"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

func TestSigmoidRowMatchesApplyAct(t *testing.T) {
	var xs []float32
	for v := float32(-120); v <= 120; v += 0.0137 {
		xs = append(xs, v)
	}
	xs = append(xs, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, -0.5, 1e-30)
	got := append([]float32(nil), xs...)
	sigmoidRow(got)
	for i, v := range xs {
		want := ir.ApplyAct(ir.ActSigmoid, v, 0, 0, 0, 0)
		if want != want {
			if got[i] == got[i] {
				t.Fatalf("sigmoid(%g) = %g, want NaN", v, got[i])
			}
			continue
		}
		if d := math.Abs(float64(got[i] - want)); d > 2e-7*math.Abs(float64(want)) && d > 1e-30 {
			t.Fatalf("sigmoid(%g) = %g, want %g", v, got[i], want)
		}
	}
}
