package runtime_test

import (
	"strings"
	"testing"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// TestDWBlockRunDoesNotAllocate: plans for one thread whose blocks end in
// their depthwise conv (GEMM and dense-conv producers, padded pitches)
// make no heap allocation per Run, on the thread they were compiled for
// and on two (TestRunDoesNotAllocate's plans have no such blocks).
func TestDWBlockRunDoesNotAllocate(t *testing.T) {
	awkward, err := frontend.Parse("dwblock_awkward", strings.NewReader(dwBlockDesc))
	if err != nil {
		t.Fatal(err)
	}
	v1, set := buildModel(t, modelSpecs[0]), mustSet(t)
	for _, g := range []*ir.Graph{awkward, v1} {
		p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: 1, Threads: 1, DWBlockMinBytes: 1}, set)
		if err != nil {
			t.Fatal(err)
		}
		blocks := 0
		for i := range p.Steps {
			if plan.IsDWBlock(&p.Steps[i]) {
				blocks++
			}
		}
		if blocks == 0 {
			t.Fatalf("%s: no block ends in its depthwise conv", g.Name)
		}
		for _, threads := range []int{1, 2} {
			e, err := runtime.New(p, runtime.Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
			out := e.NewOutputs()
			if a := testing.AllocsPerRun(5, func() {
				if err := e.Run(in, out); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Errorf("%s, %d threads: %.1f allocations per Run, want 0", g.Name, threads, a)
			}
			e.Close()
		}
	}
}
