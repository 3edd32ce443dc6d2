package passes

import (
	"bytes"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/plan"
)

// TestReleaseWeights: compiling with ReleaseWeights gives the same plan
// as without, and leaves none of the graph's constants holding values.
func TestReleaseWeights(t *testing.T) {
	set, _ := kernels.ForISA(kernels.Generic)
	build := func() *ir.Graph {
		g, err := models.Build("mobilenet_v2:res=64,alpha=0.35,classes=5")
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	want, _, err := Compile(build(), Options{Level: 2, Verify: true}, set)
	if err != nil {
		t.Fatal(err)
	}
	g := build()
	got, _, err := Compile(g, Options{Level: 2, Verify: true, ReleaseWeights: true}, set)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := plan.Encode(&a, want); err != nil {
		t.Fatal(err)
	}
	if err := plan.Encode(&b, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the plan compiled with ReleaseWeights differs")
	}
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			if v.IsConst() && v.Const.Data != nil {
				t.Errorf("constant %q of node %q was not released", v.Name, n.Name)
			}
		}
	}
}

// TestFoldBNReleasesAsItGoes: with ReleaseWeights, fold-bn releases each
// conv weight it replaces inside the pass (before the sweep after it), so
// the pass never holds the original and the scaled weights of the whole
// network at once; weights with another reader are kept.
func TestFoldBNReleasesAsItGoes(t *testing.T) {
	set, _ := kernels.ForISA(kernels.Generic)
	g, err := models.Build("mobilenet_v2:res=64,alpha=0.35,classes=5")
	if err != nil {
		t.Fatal(err)
	}
	convW := map[*ir.Tensor]bool{}
	for _, n := range g.Nodes {
		if n.Op == ir.OpConv && n.Input(1).IsConst() {
			convW[n.Input(1).Const] = true
		}
	}
	// A second reader keeps one weight alive.
	var kept *ir.Tensor
	for _, n := range g.Nodes {
		if n.Op == ir.OpConv {
			kept = n.Input(1).Const
			g.Outputs = append(g.Outputs, n.Input(1))
			break
		}
	}
	s := newState(g, Options{Level: 2, ReleaseWeights: true}, set)
	if err := foldBN(s); err != nil {
		t.Fatal(err)
	}
	released := 0
	for w := range convW {
		if w.Data == nil {
			released++
		}
	}
	if released < len(convW)-1 {
		t.Errorf("fold-bn released %d of %d conv weights", released, len(convW))
	}
	if kept.Data == nil {
		t.Error("fold-bn released a weight that is also a graph output")
	}
	// Without ReleaseWeights nothing is released.
	g2, _ := models.Build("mobilenet_v2:res=64,alpha=0.35,classes=5")
	s2 := newState(g2, Options{Level: 2}, set)
	if err := foldBN(s2); err != nil {
		t.Fatal(err)
	}
	for _, n := range g2.Nodes {
		for _, v := range n.Inputs {
			if v.Const != nil && v.Const.Data == nil {
				t.Fatalf("constant %q released without ReleaseWeights", v.Name)
			}
		}
	}
}
