package runtime

import (
	"math"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// TestFastSoftmaxSpecials: rows with a NaN, +Inf, −Inf everywhere, a −Inf
// among finite values, huge and tiny logits, and 1- and 17-element rows
// give what the generic softmax gives (NaN where it does, else within
// 1e-6), on every ISA and split over 3 chunks.
func TestFastSoftmaxSpecials(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, n := range []int{1, 5, 17} {
		rows := [][]float32{}
		for _, special := range []float32{0, nan, inf, -inf, 1e30, -1e30} {
			r := make([]float32, n)
			for j := range r {
				r[j] = float32(j%5) - 2.5
			}
			r[n/2] = special
			rows = append(rows, r)
		}
		allNegInf := make([]float32, n)
		for j := range allNegInf {
			allNegInf[j] = -inf
		}
		rows = append(rows, allNegInf)
		x := make([]float32, 0, len(rows)*n)
		for _, r := range rows {
			x = append(x, r...)
		}
		shape := ir.Shape{1, len(rows), n}
		s := &plan.Step{Op: ir.OpSoftmax, Kind: plan.KindGeneric, Attrs: ir.Attrs{Axis: -1}, ConstIn: []int{plan.NoBlob},
			In: []plan.Operand{{Shape: shape}}, Out: plan.Operand{Shape: shape}}
		want := make([]float32, len(x))
		softmax(newView(x, shape, false), newView(want, shape, false), 2)
		for _, isa := range kernels.Available() {
			set, err := kernels.ForISA(isa)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, len(x))
			f := fastSoftmax(s, []view{newView(x, shape, false)}, newView(got, shape, false), set)
			if f == nil {
				t.Fatal("fastSoftmax declined a last-axis softmax")
			}
			for c := 0; c < 3; c++ {
				f(0, c, 3)
			}
			for i := range want {
				w, g := want[i], got[i]
				if w != w {
					if g == g {
						t.Errorf("%s n=%d row %d: got %v, want NaN", isa, n, i/n, g)
					}
					continue
				}
				if math.Abs(float64(g-w)) > 1e-6 {
					t.Errorf("%s n=%d row %d: got %v, want %v", isa, n, i/n, g, w)
				}
			}
		}
	}
}
