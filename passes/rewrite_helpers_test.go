package passes

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// compileRun compiles g at -O2 for the best kernel set of this machine, runs
// the plan on the runtime and checks every output against the reference
// interpreter within 1e-4·max|ref|. It returns the plan for step assertions.
func compileRun(t *testing.T, g *ir.Graph) *plan.Plan {
	t.Helper()
	return compileRunWith(t, g, Options{Level: 2, Verify: true})
}

// compileRunWith is compileRun with other options.
func compileRunWith(t *testing.T, g *ir.Graph, opts Options) *plan.Plan {
	t.Helper()
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	return compileRunSet(t, g, opts, set)
}

// compileRunSet is compileRunWith for the kernel set given.
func compileRunSet(t *testing.T, g *ir.Graph, opts Options, set *kernels.Set) *plan.Plan {
	t.Helper()
	p, _, err := Compile(g, opts, set)
	if err != nil {
		t.Fatalf("Compile -O%d: %v", opts.Level, err)
	}
	e, err := runtime.New(p, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatalf("runtime.New: %v", err)
	}
	defer e.Close()
	in := map[string]*ir.Tensor{}
	for _, v := range g.Inputs {
		in[v.Name] = reference.FixedInput(v.Shape...)
	}
	got, err := e.RunNamed(in)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want, err := reference.Run(g, in, nil)
	if err != nil {
		t.Fatalf("reference.Run: %v", err)
	}
	for _, v := range g.Outputs {
		d, ref, err := reference.MaxAbsDiff(got[v.Name], want[v.Name])
		if err != nil {
			t.Fatalf("output %s: %v\nplan:\n%s", v.Name, err, stepList(p))
		}
		if !(d <= 1e-4*max(ref, 1e-3)) {
			t.Errorf("output %s: max|diff| %.3g (max|ref| %.3g)\nplan:\n%s", v.Name, d, ref, stepList(p))
		}
	}
	return p
}

// stepList describes a plan's steps one per line: kind, op, epilogue
// activation and what was fused.
func stepList(p *plan.Plan) string {
	var b strings.Builder
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "  %s %s %s act=%s fused=%s\n", s.Name, s.Kind, s.Op, s.Attrs.Fused.Act, strings.Join(s.Fused, "+"))
	}
	return b.String()
}

// stepKinds lists the plan's step kinds, with the op for generic steps
// ("generic:Pad"), in order.
func stepKinds(p *plan.Plan) []string {
	var k []string
	for _, s := range p.Steps {
		if s.Kind == plan.KindGeneric {
			k = append(k, "generic:"+s.Op.String())
		} else {
			k = append(k, s.Kind.String())
		}
	}
	return k
}

// wantSteps fails unless the plan's step kinds are exactly want.
func wantSteps(t *testing.T, what string, p *plan.Plan, want ...string) {
	t.Helper()
	if got := stepKinds(p); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s: steps %v, want %v\nplan:\n%s", what, got, want, stepList(p))
	}
}
