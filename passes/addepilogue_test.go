package passes

import (
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// TestAddEpilogueInIR: fuse-activation puts the activation after a plain
// Add into the Add's epilogue in the graph (the activation node goes, its
// name stays on the Add's output); the dump shows it, Verify refuses an
// Add epilogue the kernels' Add cannot compute, and when the operands'
// layouts differ (forced here: no pass makes them differ today) the plan
// runs a generic Add and the activation as its own step.
func TestAddEpilogueInIR(t *testing.T) {
	b, x := newBuilder(1, 3, 6, 6)
	c1 := b.conv(x, 4, 3, 1, 1, true)
	a := b.add(ir.OpSub, ir.Attrs{}, b.rand(0.5, 1, 1), c1) // a generic step (c − conv does not fold), layout free to choose
	c2 := b.conv(x, 4, 1, 1, 1, true)
	y := b.add(ir.OpClip, ir.Relu6Attrs(), b.add(ir.OpAdd, ir.Attrs{}, a, c2))
	g := b.finish(y)
	opts := Options{Level: 2, Verify: true, Disable: []string{"fuse-add"}}

	st := runPasses(t, g, "fuse-activation")
	var add *ir.Node
	for _, n := range st.G.Nodes {
		if n.Op == ir.OpClip {
			t.Errorf("the Clip is still a node: %s", n)
		}
		if n.Op == ir.OpAdd {
			add = n
		}
	}
	if add == nil || add.Attrs.Fused.Label() != "relu6" || add.Output().Name != y.Name {
		t.Fatalf("Add %v: want one with a relu6 epilogue, output named %q", add, y.Name)
	}
	var dump strings.Builder
	st.G.Dump(&dump)
	if !strings.Contains(dump.String(), "Add(") || !strings.Contains(dump.String(), "fused=+clip(0,6)") {
		t.Errorf("the dump does not show the Add's epilogue:\n%s", dump.String())
	}
	add.Attrs.Fused.Residual = true
	if err := st.G.Verify(); err == nil || !strings.Contains(err.Error(), "Add") {
		t.Errorf("an Add with a fused residual: error %v", err)
	}
	add.Attrs.Fused.Residual = false

	p := compileRunWith(t, g, opts)
	if k := stepKinds(p); !strings.Contains(strings.Join(k, " "), "add") {
		t.Errorf("steps %v: want the kernels' Add", k)
	}
	for _, s := range p.Steps {
		if s.Kind == plan.KindAdd && (s.Attrs.Fused.Label() != "relu6" || s.Name != y.Name) {
			t.Errorf("Add step %s act %s, want %s with relu6", s.Name, s.Attrs.Fused.Label(), y.Name)
		}
	}

	opts.AfterPass = func(pass string, st *State) {
		if pass != "choose-layout" {
			return
		}
		for _, n := range st.G.Nodes {
			if n.Op == ir.OpSub {
				n.Output().NHWC = false
			}
		}
	}
	p = compileRunWith(t, g, opts)
	wantSteps(t, "layouts differ", p, "to-nhwc", "conv", "generic:Sub", "gemm", "generic:Add", "act", "to-nchw")
}
