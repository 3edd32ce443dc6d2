package models

import (
	"math"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

func TestSpecParsing(t *testing.T) {
	for spec, want := range map[string]Spec{
		"mobilenet_v1":         {Name: "mobilenet_v1", Alpha: 1, Res: 224, Classes: 1000},
		"v2:alpha=0.5,res=160": {Name: "mobilenet_v2", Alpha: 0.5, Res: 160, Classes: 1000},
		"mobilenet_v1:alpha=0.75,res=192,classes=1001": {Name: "mobilenet_v1", Alpha: 0.75, Res: 192, Classes: 1001},
		"v3l":                 {Name: "mobilenet_v3_large", Alpha: 1, Res: 224, Classes: 1000},
		"V3_Large":            {Name: "mobilenet_v3_large", Alpha: 1, Res: 224, Classes: 1000},
		"v3s:alpha=0.75":      {Name: "mobilenet_v3_small", Alpha: 0.75, Res: 224, Classes: 1000},
		"v3_small: softmax=1": {Name: "mobilenet_v3_small", Alpha: 1, Res: 224, Classes: 1000, Softmax: true},
		"mobilenet_v1_conv":   {Name: "mobilenet_v1_conv", Alpha: 1, Res: 224, Classes: 1000},
		"v4s:alpha=0.5":       {Name: "mobilenet_v4_conv_small", Alpha: 0.5, Res: 224, Classes: 1000},
		"v4m:res=256":         {Name: "mobilenet_v4_conv_medium", Alpha: 1, Res: 256, Classes: 1000},
		"v4l":                 {Name: "mobilenet_v4_conv_large", Alpha: 1, Res: 224, Classes: 1000},
	} {
		got, err := ParseSpec(spec)
		if err != nil || got != want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	if s, _ := ParseSpec("v2:res=160,alpha=0.5"); s.String() != "mobilenet_v2:alpha=0.5,res=160" {
		t.Errorf("canonical spec %q", s.String())
	}
	for spec, want := range map[string][]string{
		"mobilenet_v4":         {`unknown model "mobilenet_v4"`, "mobilenet_v1, mobilenet_v1_conv, mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small", "v3s"},
		"v2:beta=1":            {`unknown option "beta"`, "alpha, res, classes, softmax"},
		"v2:alpha=x":           {`option "alpha"`, `got "x"`},
		"v2:alpha=0":           {`option "alpha"`, "(0, 4]"},
		"v2:res=16":            {`option "res"`, "32 to 4096"},
		"v2:classes=-3":        {`option "classes"`},
		"v2:alpha":             {`"alpha" is not key=value`},
		"v2:alpha=1,alpha=0.5": {"given twice"},
		"v3s:softmax=maybe":    {`option "softmax"`, "0 or 1"},
	} {
		_, err := BuildSpec(spec, BuildOptions{NoWeights: true})
		if err == nil {
			t.Errorf("BuildSpec(%q): no error", spec)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("BuildSpec(%q): error %q lacks %q", spec, err, w)
			}
		}
	}
	if n := Names(); len(n) != 10 || n[0] != "lraspp_mobilenet_v3_large" || n[6] != "mobilenet_v4_conv_large" || n[9] != "ssdlite320_mobilenet_v3_large" {
		t.Errorf("Names() = %v", n)
	}
}

func TestGraphInterface(t *testing.T) {
	for _, c := range []struct {
		spec     string
		res, cls int
		out      string
		nodes    int
	}{
		{"mobilenet_v1", 224, 1000, "logits", 84},
		{"mobilenet_v1:alpha=0.75,res=192,classes=1001", 192, 1001, "logits", 84},
		{"mobilenet_v1_conv", 224, 1000, "logits", 45},
		{"mobilenet_v2:alpha=0.5,res=160", 160, 1000, "logits", 152},
		{"mobilenet_v3_large", 224, 1000, "logits", 186},
		{"mobilenet_v3_small:alpha=0.75,softmax=1", 224, 1000, "probs", 157},
		{"mobilenet_v4_conv_small:res=160,classes=10", 160, 10, "logits", 135},
	} {
		g, err := BuildSpec(c.spec, BuildOptions{NoWeights: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Inputs) != 1 || g.Inputs[0].Name != "input" || !g.Inputs[0].Shape.Equal(ir.Shape{1, 3, c.res, c.res}) {
			t.Errorf("%s: inputs %v", c.spec, g.Inputs)
		}
		if len(g.Outputs) != 1 || g.Outputs[0].Name != c.out || !g.Outputs[0].Shape.Equal(ir.Shape{1, c.cls}) {
			t.Errorf("%s: output %s %v, want %s [1×%d]", c.spec, g.Outputs[0].Name, g.Outputs[0].Shape, c.out, c.cls)
		}
		if len(g.Nodes) != c.nodes {
			t.Errorf("%s: %d nodes, want %d", c.spec, len(g.Nodes), c.nodes)
		}
		if err := g.Verify(); err != nil {
			t.Errorf("%s: %v", c.spec, err)
		}
		for _, v := range g.Values() {
			if v.Const != nil {
				for _, x := range v.Const.Data {
					if x != 0 {
						t.Fatalf("%s: NoWeights constant %s has %v", c.spec, v.Name, x)
					}
				}
			}
		}
	}
}

// V2's torchvision layout: 17 bottlenecks, residuals where stride 1 and
// widths match; V3-Small's SE placement and widths.
func TestStructure(t *testing.T) {
	count := func(spec string, op ir.Op) int {
		g, err := BuildSpec(spec, BuildOptions{NoWeights: true})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range g.Nodes {
			if x.Op == op {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		spec string
		op   ir.Op
		n    int
	}{
		{"v2", ir.OpAdd, 10}, {"v2", ir.OpBatchNorm, 52}, {"v1", ir.OpClip, 27},
		{"v3l", ir.OpMul, 8}, {"v3l", ir.OpAdd, 10}, {"v3s", ir.OpMul, 9}, {"v3s", ir.OpAdd, 6},
		{"v3s", ir.OpHardSigmoid, 9}, {"v3l", ir.OpGemm, 2}, {"v1", ir.OpGemm, 1},
		// V4-Conv-S: residuals on the 4 IBs and the ConvNeXt-like block at
		// 14² and the 5 blocks after the stride at 7²; BNs on 7 plain convs
		// (stem, 5 cn, head), 12 expands, 12 projections, 4 start and 11
		// middle depthwise convs; ReLU on the 7 convs, 12 expands, 11 middles.
		{"v4s", ir.OpAdd, 10}, {"v4s", ir.OpBatchNorm, 46}, {"v4s", ir.OpRelu, 30}, {"v4s", ir.OpGemm, 1},
	} {
		if got := count(c.spec, c.op); got != c.n {
			t.Errorf("%s: %d %s nodes, want %d", c.spec, got, c.op, c.n)
		}
	}
}

func constByName(g *ir.Graph, name string) *ir.Tensor {
	for _, v := range g.Values() {
		if v.Name == name && v.Const != nil {
			return v.Const
		}
	}
	return nil
}

func TestWeightsDeterministicAndCalibrated(t *testing.T) {
	a, err := Build("v3s:res=96")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build("mobilenet_v3_small:res=96")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Build("v3s:res=96,classes=10")
	if err != nil {
		t.Fatal(err)
	}
	wa, wb, wc := constByName(a, "features.3.block.1.0.weight"), constByName(b, "features.3.block.1.0.weight"), constByName(c, "features.3.block.1.0.weight")
	same := func(x, y *ir.Tensor) bool {
		for i := range x.Data {
			if x.Data[i] != y.Data[i] {
				return false
			}
		}
		return true
	}
	if !same(wa, wb) {
		t.Error("the same spec built twice gives different weights")
	}
	if same(wa, wc) {
		t.Error("different specs give the same weights (the seed ignores the spec)")
	}
	// He fan-in: std sqrt(2/9) for a 3×3 depthwise kernel.
	var s2 float64
	for _, x := range wa.Data {
		s2 += float64(x) * float64(x)
	}
	if std := math.Sqrt(s2 / float64(len(wa.Data))); math.Abs(std-math.Sqrt(2.0/9)) > 0.1 {
		t.Errorf("depthwise weight std %.3f, want ≈ %.3f", std, math.Sqrt(2.0/9))
	}
	bn := func(suffix string) *ir.Tensor { return constByName(a, "features.5.block.1.1."+suffix) }
	for _, x := range bn("weight").Data {
		if x < 0.5 || x >= 1.5 {
			t.Fatalf("γ %v outside [0.5, 1.5)", x)
		}
	}
	for _, x := range bn("bias").Data {
		if x < -0.25 || x >= 0.25 {
			t.Fatalf("β %v outside [-0.25, 0.25)", x)
		}
	}
	ones := 0
	for _, x := range bn("running_var").Data {
		if x <= 0 {
			t.Fatalf("running variance %v not positive", x)
		}
		if x == 1 {
			ones++
		}
	}
	if ones == len(bn("running_var").Data) {
		t.Error("running variances are all 1: not calibrated")
	}
}

// Every activation of the calibrated models at 224 stays O(1) on the fixed
// input: RMS within [1e-2, 1e2], and the logits are finite.
func TestActivationsStayBounded(t *testing.T) {
	specs := []string{"mobilenet_v3_small", "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v4_conv_small", "mobilenet_v4_conv_medium"}
	if testing.Short() {
		specs = specs[:1]
	}
	for _, spec := range specs {
		g, err := Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := math.Inf(1), 0.0
		var loName, hiName string
		out, err := reference.Run(g, map[string]*ir.Tensor{"input": reference.FixedInput(1, 3, 224, 224)}, &reference.Options{
			AfterNode: func(n *ir.Node, y *ir.Tensor) error {
				var s float64
				for _, v := range y.Data {
					s += float64(v) * float64(v)
				}
				r := math.Sqrt(s / float64(len(y.Data)))
				if r < lo || r != r {
					lo, loName = r, n.Name
				}
				if r > hi {
					hi, hiName = r, n.Name
				}
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out["logits"].Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s: logit %v", spec, v)
			}
		}
		if lo < 1e-2 || hi > 1e2 || lo != lo {
			t.Errorf("%s: activation RMS from %.3g (%s) to %.3g (%s), want within [1e-2, 1e2]", spec, lo, loName, hi, hiName)
		}
		t.Logf("%s: activation RMS %.3g (%s) .. %.3g (%s)", spec, lo, loName, hi, hiName)
	}
}

// Builds share no state: concurrent builds of one spec agree bit for bit.
func TestConcurrentBuildsAgree(t *testing.T) {
	const spec = "mobilenet_v2:alpha=0.35,res=64"
	gs := make([]*ir.Graph, 3)
	errs := make(chan error, len(gs))
	for i := range gs {
		go func() {
			g, err := Build(spec)
			gs[i] = g
			errs <- err
		}()
	}
	for range gs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"features.5.conv.1.0.weight", "features.5.conv.1.1.running_mean", "features.5.conv.1.1.running_var", "classifier.1.weight"} {
		a := constByName(gs[0], name)
		for _, g := range gs[1:] {
			b := constByName(g, name)
			for i := range a.Data {
				if a.Data[i] != b.Data[i] {
					t.Fatalf("%s[%d] differs between concurrent builds: %v vs %v", name, i, a.Data[i], b.Data[i])
				}
			}
		}
	}
}
