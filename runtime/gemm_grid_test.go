package runtime_test

import (
	"fmt"
	"testing"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// TestGemmGrid: 1×1 convs whose GEMMs have too few column panels for the
// threads and too few rows to go by rows alone are cut into a grid of row
// blocks × column panels (more chunks than panels), and give what one
// thread computes, on every ISA, at thread counts that leave ragged
// blocks (3, 7, 16), batch 1 and 2.
func TestGemmGrid(t *testing.T) {
	shapes := []struct{ cin, cout, hw int }{
		{384, 64, 14},  // V2's 14² projection: two AVX-512 panels
		{960, 160, 7},  // V2's 7² projection
		{96, 40, 13},   // a ragged panel, ragged rows
		{200, 100, 9},  // both ragged
		{512, 512, 14}, // V1's 14² layers: panels enough on few threads
	}
	for _, isa := range kernels.Available() {
		set, err := kernels.ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range shapes {
			gg, x := newGen("grid", int64(sh.cin*sh.cout), sh.cin, sh.hw, sh.hw)
			g := gg.finish(gg.conv(x, sh.cout, 1, 1, 1, true))
			for _, batch := range []int{1, 2} {
				_, ins := batched(t, g, batch)
				p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true}, set)
				if err != nil {
					t.Fatal(err)
				}
				want := execute(t, p, 1, ins)
				grid := false
				for _, nt := range []int{3, 7, 16} {
					what := fmt.Sprintf("%s %dx%d→%d at %d² batch %d, %d threads", isa, sh.cin, 1, sh.cout, sh.hw, batch, nt)
					e, err := runtime.New(p, runtime.Options{Threads: nt})
					if err != nil {
						t.Fatal(err)
					}
					for i, c := range e.Chunks() {
						if p.Steps[i].Kind == plan.KindGemm && set.NR > 0 && c > (sh.cout+set.NR-1)/set.NR {
							grid = true
						}
					}
					e.Close()
					got := execute(t, p, nt, ins)
					for i := range want {
						d, ref, err := reference.MaxAbsDiff(got[i], want[i])
						if err != nil {
							t.Fatal(err)
						}
						if d > 1e-6*ref {
							t.Errorf("%s: output %d differs by %g (max %g)", what, i, d, ref)
						}
					}
				}
				if sh.cout <= 160 && batch == 1 && set.NR >= 16 && !grid {
					t.Errorf("%s %d→%d at %d²: no thread count cut the GEMM into more chunks than column panels", isa, sh.cin, sh.cout, sh.hw)
				}
			}
		}
	}
}
