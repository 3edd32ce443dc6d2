package runtime_test

import (
	"fmt"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// tolerance is the relative error allowed against the reference:
// max|got−want| ≤ tolerance·max|want|.
const tolerance = 1e-4

// config is one way of compiling and running a graph.
type config struct {
	level, threads, batch int
	isa                   kernels.ISA
}

func (c config) String() string {
	return fmt.Sprintf("O%d/%s/t%d/b%d", c.level, c.isa, c.threads, c.batch)
}

// configs is the cross product the Done-when criteria ask for.
func configs() []config {
	var cs []config
	for _, isa := range kernels.Available() {
		for _, level := range []int{0, 2} {
			for _, threads := range []int{1, 2} {
				for _, batch := range []int{1, 3} {
					cs = append(cs, config{level, threads, batch, isa})
				}
			}
		}
	}
	return cs
}

// batched returns a clone of g with batch n and deterministic inputs for it.
func batched(t testing.TB, g *ir.Graph, n int) (*ir.Graph, []*ir.Tensor) {
	t.Helper()
	h := g.Clone()
	if err := h.SetBatch(n); err != nil {
		t.Fatal(err)
	}
	var ins []*ir.Tensor
	for _, v := range h.Inputs {
		ins = append(ins, reference.FixedInput(v.Shape...))
	}
	return h, ins
}

// referenceOutputs runs the oracle.
func referenceOutputs(t testing.TB, g *ir.Graph, ins []*ir.Tensor) []*ir.Tensor {
	t.Helper()
	m := map[string]*ir.Tensor{}
	for i, v := range g.Inputs {
		m[v.Name] = ins[i]
	}
	got, err := reference.Run(g, m, nil)
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	var outs []*ir.Tensor
	for _, v := range g.Outputs {
		outs = append(outs, got[v.Name])
	}
	return outs
}

func compile(t testing.TB, g *ir.Graph, c config) *plan.Plan {
	t.Helper()
	set, err := kernels.ForISA(c.isa)
	if err != nil {
		t.Fatal(err)
	}
	// Every inverted-residual block is fused, however small, so the random
	// graphs and small models exercise fused blocks too.
	p, _, err := passes.Compile(g, passes.Options{Level: c.level, Batch: c.batch, Verify: true, BlockMinBytes: -1}, set)
	if err != nil {
		t.Fatalf("%v: compile: %v", c, err)
	}
	return p
}

func execute(t testing.TB, p *plan.Plan, threads int, ins []*ir.Tensor) []*ir.Tensor {
	t.Helper()
	e, err := runtime.New(p, runtime.Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	outs := e.NewOutputs()
	if err := e.Run(ins, outs); err != nil {
		t.Fatal(err)
	}
	return outs
}

// checkClose fails unless every output is within tolerance of the reference.
func checkClose(t testing.TB, what string, got, want []*ir.Tensor) {
	t.Helper()
	for i := range want {
		d, ref, err := reference.MaxAbsDiff(got[i], want[i])
		if err != nil {
			t.Fatalf("%s output %d: %v", what, i, err)
		}
		if !(d <= tolerance*ref) {
			t.Errorf("%s output %d: max|diff| %.3g > %.0e·max|ref| (%.3g)", what, i, d, tolerance, ref)
		}
	}
}

// checkGraph compiles g every way configs lists and compares with the oracle.
func checkGraph(t *testing.T, g *ir.Graph, cs []config) {
	t.Helper()
	refs := map[int][2][]*ir.Tensor{}
	for _, c := range cs {
		r, ok := refs[c.batch]
		if !ok {
			h, ins := batched(t, g, c.batch)
			r = [2][]*ir.Tensor{ins, referenceOutputs(t, h, ins)}
			refs[c.batch] = r
		}
		p := compile(t, g, c)
		var before []float32
		for _, in := range r[0] {
			before = append(before, in.Data...)
		}
		checkClose(t, g.Name+" "+c.String(), execute(t, p, c.threads, r[0]), r[1])
		k := 0
		for _, in := range r[0] {
			for _, v := range in.Data {
				if v != before[k] {
					t.Fatalf("%s %v: Run modified its input", g.Name, c)
				}
				k++
			}
		}
	}
}
