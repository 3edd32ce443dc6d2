package models

import (
	"testing"

	"github.com/mnc-go/mnc/analysis"
	"github.com/mnc-go/mnc/ir"
)

// torchvision's lraspp_mobilenet_v3_large: 3,221,538 parameters (its
// weights' num_params) and 2.09 G multiply-adds at 520² (its "GFLOPS"
// column counts MACs); low features 40×65×65 (stride 8), high 960×33×33
// (stride 16: the last stage dilated), output [1, 21, 520, 520].
func TestLRASPPArchitecture(t *testing.T) {
	g, err := BuildSpec("lraspp", BuildOptions{NoWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "lraspp_mobilenet_v3_large" || len(g.Outputs) != 1 || g.Outputs[0].Name != "out" || !g.Outputs[0].Shape.Equal(ir.Shape{1, 21, 520, 520}) {
		t.Fatalf("graph %q outputs %v %v", g.Name, g.Outputs, g.Outputs[0].Shape)
	}
	r, err := analysis.Analyze(g)
	if err != nil {
		t.Fatal(err)
	}
	if r.Params != 3221538 || r.MACs != 2086219688 {
		t.Errorf("params %d MACs %d, want 3221538 and 2086219688", r.Params, r.MACs)
	}
	shapes := map[string]ir.Shape{}
	dilated := 0
	for _, n := range g.Nodes {
		shapes[n.Name] = n.Output().Shape
		if n.Name == "classifier.low_classifier" {
			shapes["low"] = n.Input(0).Shape
		}
		if n.Op == ir.OpConv && n.Attrs.Dilations == [2]int{2, 2} {
			dilated++
			if n.Attrs.Group != n.Output().Shape[1] || n.Attrs.Pads != [4]int{4, 4, 4, 4} {
				t.Errorf("dilated conv %s: group %d pads %v", n.Name, n.Attrs.Group, n.Attrs.Pads)
			}
		}
	}
	if dilated != 3 {
		t.Errorf("%d dilated convs, want the last stage's 3 depthwise", dilated)
	}
	for name, want := range map[string]ir.Shape{"low": {1, 40, 65, 65}, "backbone.16.2": {1, 960, 33, 33}, "classifier.interpolate": {1, 128, 65, 65}} {
		if !shapes[name].Equal(want) {
			t.Errorf("%s: %v, want %v", name, shapes[name], want)
		}
	}
	// Any H×W: keys h and w, and Specialize rebuilds for a new shape.
	g, err = BuildSpec("lraspp:h=100,w=132,classes=3", BuildOptions{NoWeights: true})
	if err != nil || !g.Outputs[0].Shape.Equal(ir.Shape{1, 3, 100, 132}) {
		t.Fatalf("h=100,w=132: %v %v", err, g)
	}
	h, err := g.Specialize(map[string]ir.Shape{"input": {2, 3, 64, 96}})
	if err != nil || !h.Outputs[0].Shape.Equal(ir.Shape{2, 3, 64, 96}) {
		t.Fatalf("Specialize to 2×3×64×96: %v", err)
	}
	if _, err := ParseSpec("mobilenet_v2:h=100"); err == nil {
		t.Error("h= accepted by a square-input classifier")
	}
}
