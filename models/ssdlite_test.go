package models

import (
	"strings"
	"testing"

	"github.com/mnc-go/mnc/analysis"
	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// torchvision's ssdlite320_mobilenet_v3_large: 583,171,904 MACs at 320² (the
// count of its own export, BatchNorm folded), 3,440,060 parameters (its
// weights' num_params), outputs cls_logits [N,3234,91] and bbox_regression
// [N,3234,4].
func TestSSDLiteArchitecture(t *testing.T) {
	s, err := ParseSpec("ssdlite")
	if err != nil || s != (Spec{Name: "ssdlite320_mobilenet_v3_large", Alpha: 1, Res: 320, Classes: 91}) || s.String() != "ssdlite320_mobilenet_v3_large" {
		t.Fatalf("ParseSpec(ssdlite) = %+v %q, %v", s, s.String(), err)
	}
	g, err := BuildSpec("ssdlite", BuildOptions{NoWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "ssdlite320_mobilenet_v3_large" || len(g.Outputs) != 2 ||
		g.Outputs[0].Name != "cls_logits" || !g.Outputs[0].Shape.Equal(ir.Shape{1, 3234, 91}) ||
		g.Outputs[1].Name != "bbox_regression" || !g.Outputs[1].Shape.Equal(ir.Shape{1, 3234, 4}) {
		t.Fatalf("graph %q outputs %v %v %v", g.Name, g.Outputs, g.Outputs[0].Shape, g.Outputs[len(g.Outputs)-1].Shape)
	}
	r, err := analysis.Analyze(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Outputs) != 2 || r.Outputs[1].Name != "bbox_regression" || !ir.Shape(r.Outputs[1].Shape).Equal(ir.Shape{1, 3234, 4}) {
		t.Errorf("analysis outputs %+v", r.Outputs)
	}
	if r.MACs != 583171904 || r.Params != 3440060 {
		t.Errorf("MACs %d params %d, want 583171904 and 3440060", r.MACs, r.Params)
	}
	// The six maps the heads read: C4 (expansion of features[13]), the
	// backbone's end and the four extra blocks.
	maps := map[string]ir.Shape{}
	for _, n := range g.Nodes {
		if strings.HasPrefix(n.Name, "head.regression_head.module_list.") && strings.HasSuffix(n.Name, ".0.0") {
			maps[n.Input(0).Producer.Name] = n.Input(0).Shape
		}
	}
	want := map[string]ir.Shape{
		"backbone.features.0.13.2": {1, 672, 20, 20}, "backbone.features.1.3.2": {1, 480, 10, 10},
		"backbone.extra.0.2.2": {1, 512, 5, 5}, "backbone.extra.1.2.2": {1, 256, 3, 3},
		"backbone.extra.2.2.2": {1, 256, 2, 2}, "backbone.extra.3.2.2": {1, 128, 1, 1},
	}
	for name, sh := range want {
		if !maps[name].Equal(sh) {
			t.Errorf("feature map %s: %v, want %v (maps: %v)", name, maps[name], sh, maps)
		}
	}
	if len(maps) != 6 {
		t.Errorf("%d feature maps, want 6: %v", len(maps), maps)
	}

	g, err = BuildSpec("ssdlite:classes=3,res=160", BuildOptions{NoWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	// 10², 5², 3², 2², 1², 1² maps × 6 anchors.
	if a := 6 * (100 + 25 + 9 + 4 + 1 + 1); !g.Outputs[0].Shape.Equal(ir.Shape{1, a, 3}) || !g.Outputs[1].Shape.Equal(ir.Shape{1, a, 4}) {
		t.Errorf("classes=3,res=160: outputs %v %v", g.Outputs[0].Shape, g.Outputs[1].Shape)
	}
	if _, err := BuildSpec("ssdlite:softmax=1", BuildOptions{NoWeights: true}); err == nil || !strings.Contains(err.Error(), "classifiers only") {
		t.Errorf("softmax=1 on a detector: %v", err)
	}
}

// AnchorsLast's Transpose+Reshape is torchvision's view(N, A, K, H, W) →
// permute(0, 3, 4, 1, 2) → reshape(N, -1, K): out[n, (h·W+w)·A + a, k] =
// x[n, a·K + k, h, w].
func TestAnchorsLastIsTorchvisions(t *testing.T) {
	const n, a, k, h, w = 2, 3, 5, 2, 4
	b := frontend.NewBuilder("t", frontend.Options{})
	x := b.Input("x", a*k, h, w)
	x.Shape[0] = n
	g, err := b.FinishOutputs([]*ir.Value{b.AnchorsLast("head", x, k)}, []string{"y"})
	if err != nil {
		t.Fatal(err)
	}
	in := ir.NewTensor(n, a*k, h, w)
	for i := range in.Data {
		in.Data[i] = float32(i)
	}
	out, err := reference.Run(g, map[string]*ir.Tensor{"x": in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	y := out["y"]
	if !y.Shape.Equal(ir.Shape{n, h * w * a, k}) {
		t.Fatalf("shape %v", y.Shape)
	}
	for ni := range n {
		for ai := range a {
			for ki := range k {
				for hi := range h {
					for wi := range w {
						got := y.Data[(ni*h*w*a+(hi*w+wi)*a+ai)*k+ki]
						want := in.Data[((ni*a*k+ai*k+ki)*h+hi)*w+wi]
						if got != want {
							t.Fatalf("n%d a%d k%d h%d w%d: %v, want %v", ni, ai, ki, hi, wi, got, want)
						}
					}
				}
			}
		}
	}
}
