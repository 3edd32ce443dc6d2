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
