package frontend

import (
	"math"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// torchvision's _make_divisible on values the models use.
func TestMakeDivisible(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want int
	}{
		{32 * 0.35, 16}, {16 * 0.35, 8}, {24 * 0.35, 8}, {96 * 0.35, 32}, {160 * 0.35, 56}, {320 * 0.35, 112},
		{32 * 1.4, 48}, {24 * 1.4, 32}, {1280 * 1.4, 1792}, {72.0 / 4, 24}, {120.0 / 4, 32}, {960.0 / 4, 240},
		{16 * 0.75, 16}, {88 * 0.75, 64}, {3, 8}, {100, 104}, {91, 88},
	} {
		if got := MakeDivisible(c.v, 8); got != c.want {
			t.Errorf("MakeDivisible(%v, 8) = %d, want %d", c.v, got, c.want)
		}
	}
	// Never more than 10% below v.
	for v := 1.0; v < 2000; v += 0.7 {
		if got := MakeDivisible(v, 8); float64(got) < 0.9*v || got%8 != 0 {
			t.Fatalf("MakeDivisible(%v, 8) = %d", v, got)
		}
	}
}

func TestParseActivation(t *testing.T) {
	for s, want := range map[string]Activation{"RE": ReLU, "re6": ReLU6, "HS": HSwish, "hsig": HSigmoid, "none": Linear, "linear": Linear} {
		if got, err := ParseActivation(s); err != nil || got != want {
			t.Errorf("ParseActivation(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseActivation("gelu"); err == nil {
		t.Error("gelu: no error")
	}
}

func build(t *testing.T, f func(b *Builder, x *ir.Value) *ir.Value) *ir.Graph {
	t.Helper()
	b := NewBuilder("t", Options{Seed: 3, BNEps: 1e-3})
	x := b.Input("input", 16, 8, 8)
	g, err := b.Finish(f(b, x), "out")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func ops(g *ir.Graph) string {
	var s []string
	for _, n := range g.Nodes {
		s = append(s, n.Name+":"+n.Op.String())
	}
	return strings.Join(s, " ")
}

func TestBlockLayouts(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func(b *Builder, x *ir.Value) *ir.Value
		want string
	}{
		{"ConvBNAct", func(b *Builder, x *ir.Value) *ir.Value { return b.ConvBNAct("f.0", x, 8, 3, 2, 1, HSwish) },
			"f.0.0:Conv f.0.1:BatchNormalization f.0.2:HardSwish"},
		{"DepthwiseSeparable", func(b *Builder, x *ir.Value) *ir.Value { return b.DepthwiseSeparable("f.1", x, 32, 3, 1, ReLU6) },
			"f.1.dw.0:Conv f.1.dw.1:BatchNormalization f.1.dw.2:Clip f.1.pw.0:Conv f.1.pw.1:BatchNormalization f.1.pw.2:Clip"},
		{"V2 residual", func(b *Builder, x *ir.Value) *ir.Value {
			return b.InvertedResidual("f.2", x, InvertedResidual{Expansion: 6, Out: 16, Stride: 1, Kernel: 3, Act: ReLU6})
		}, "f.2.conv.0.0:Conv f.2.conv.0.1:BatchNormalization f.2.conv.0.2:Clip f.2.conv.1.0:Conv f.2.conv.1.1:BatchNormalization f.2.conv.1.2:Clip f.2.conv.2:Conv f.2.conv.3:BatchNormalization f.2.add:Add"},
		{"V2 t=1 stride 2", func(b *Builder, x *ir.Value) *ir.Value {
			return b.InvertedResidual("f.1", x, InvertedResidual{Expansion: 1, Out: 8, Stride: 2, Kernel: 3, Act: ReLU6})
		}, "f.1.conv.0.0:Conv f.1.conv.0.1:BatchNormalization f.1.conv.0.2:Clip f.1.conv.1:Conv f.1.conv.2:BatchNormalization"},
		{"V3 SE", func(b *Builder, x *ir.Value) *ir.Value {
			return b.InvertedResidual("f.4", x, InvertedResidual{Expand: 72, Out: 16, Stride: 1, Kernel: 5, SE: true, Act: ReLU, Style: StyleV3})
		}, "f.4.block.0.0:Conv f.4.block.0.1:BatchNormalization f.4.block.0.2:Relu f.4.block.1.0:Conv f.4.block.1.1:BatchNormalization f.4.block.1.2:Relu " +
			"f.4.block.2.avgpool:GlobalAveragePool f.4.block.2.fc1:Conv f.4.block.2.activation:Relu f.4.block.2.fc2:Conv f.4.block.2.scale_activation:HardSigmoid f.4.block.2.mul:Mul " +
			"f.4.block.3.0:Conv f.4.block.3.1:BatchNormalization f.4.add:Add"},
		{"UIB ExtraDW", func(b *Builder, x *ir.Value) *ir.Value {
			return b.UIB("f.5", x, UIB{Start: 5, Mid: 3, Expand: 48, Out: 16, Stride: 1, Act: ReLU})
		}, "f.5.dw_start.0:Conv f.5.dw_start.1:BatchNormalization f.5.pw_exp.0:Conv f.5.pw_exp.1:BatchNormalization f.5.pw_exp.2:Relu " +
			"f.5.dw_mid.0:Conv f.5.dw_mid.1:BatchNormalization f.5.dw_mid.2:Relu f.5.pw_proj.0:Conv f.5.pw_proj.1:BatchNormalization f.5.add:Add"},
		{"UIB IB stride 2", func(b *Builder, x *ir.Value) *ir.Value {
			return b.UIB("f.6", x, UIB{Mid: 3, Expand: 32, Out: 16, Stride: 2, Act: ReLU})
		}, "f.6.pw_exp.0:Conv f.6.pw_exp.1:BatchNormalization f.6.pw_exp.2:Relu f.6.dw_mid.0:Conv f.6.dw_mid.1:BatchNormalization f.6.dw_mid.2:Relu " +
			"f.6.pw_proj.0:Conv f.6.pw_proj.1:BatchNormalization"},
		{"UIB FFN", func(b *Builder, x *ir.Value) *ir.Value {
			return b.UIB("f.7", x, UIB{Expand: 32, Out: 16, Stride: 1, Act: ReLU6})
		}, "f.7.pw_exp.0:Conv f.7.pw_exp.1:BatchNormalization f.7.pw_exp.2:Clip f.7.pw_proj.0:Conv f.7.pw_proj.1:BatchNormalization f.7.add:Add"},
		{"FusedIB", func(b *Builder, x *ir.Value) *ir.Value { return b.FusedIB("f.8", x, 64, 16, 3, 1, ReLU) },
			"f.8.conv_exp.0:Conv f.8.conv_exp.1:BatchNormalization f.8.conv_exp.2:Relu f.8.conv_pwl.0:Conv f.8.conv_pwl.1:BatchNormalization f.8.add:Add"},
		{"head", func(b *Builder, x *ir.Value) *ir.Value {
			return b.Classifier(b.Pool(x), []HeadLayer{{Out: 20, Act: HSwish}, {Dropout: true}, {Out: 5}})
		}, "avgpool:GlobalAveragePool flatten:Flatten classifier.0:Gemm classifier.1:HardSwish classifier.3:Gemm"},
		{"single fc", func(b *Builder, x *ir.Value) *ir.Value { return b.Classifier(b.Pool(x), []HeadLayer{{Out: 5}}) },
			"avgpool:GlobalAveragePool flatten:Flatten classifier:Gemm"},
	} {
		if got := ops(build(t, c.f)); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
	}
}

func TestSEAndConvAttributes(t *testing.T) {
	g := build(t, func(b *Builder, x *ir.Value) *ir.Value {
		return b.InvertedResidual("f", x, InvertedResidual{Expand: 72, Out: 24, Stride: 2, Kernel: 5, SE: true, Act: HSwish, Style: StyleV3})
	})
	byName := map[string]*ir.Node{}
	for _, n := range g.Nodes {
		byName[n.Name] = n
	}
	dw := byName["f.block.1.0"]
	if dw.Attrs.Group != 72 || dw.Attrs.Pads != [4]int{2, 2, 2, 2} || dw.Attrs.Strides != [2]int{2, 2} || !dw.Output().Shape.Equal(ir.Shape{1, 72, 4, 4}) {
		t.Errorf("depthwise: %+v %v", dw.Attrs, dw.Output().Shape)
	}
	if len(dw.Inputs) != 2 {
		t.Errorf("depthwise conv has %d inputs; MobileNet convs have no bias", len(dw.Inputs))
	}
	fc1 := byName["f.block.2.fc1"]
	if len(fc1.Inputs) != 3 || !fc1.Input(1).Shape.Equal(ir.Shape{24, 72, 1, 1}) {
		t.Errorf("SE fc1: %d inputs, weight %v; want bias and [24×72×1×1] (make_divisible(72/4, 8))", len(fc1.Inputs), fc1.Input(1).Shape)
	}
	hs := byName["f.block.2.scale_activation"]
	if hs.Op != ir.OpHardSigmoid || hs.Attrs.Alpha != float32(1.0/6) || hs.Attrs.Beta != 0.5 {
		t.Errorf("h-sigmoid: %v %+v", hs.Op, hs.Attrs)
	}
	mul := byName["f.block.2.mul"]
	if mul.Input(0) != byName["f.block.1.2"].Output() || mul.Input(1) != hs.Output() {
		t.Error("SE Mul does not scale the depthwise output by the h-sigmoid")
	}
	bn := byName["f.block.1.1"]
	if bn.Attrs.Epsilon != 1e-3 {
		t.Errorf("BN epsilon %v, want the builder's 1e-3", bn.Attrs.Epsilon)
	}
	if _, ok := byName["f.add"]; ok {
		t.Error("stride-2 block has a residual add")
	}
}

// A UIB's stride goes to the middle depthwise conv, or to the start one
// when there is no middle (a strided ConvNeXt-like block); the start
// depthwise has no activation.
func TestUIBStrides(t *testing.T) {
	for _, c := range []struct {
		name    string
		c       UIB
		strided string
	}{
		{"ExtraDW", UIB{Start: 3, Mid: 5, Expand: 32, Out: 24, Stride: 2, Act: ReLU}, "f.dw_mid.0"},
		{"ConvNeXt-like", UIB{Start: 5, Expand: 32, Out: 24, Stride: 2, Act: ReLU}, "f.dw_start.0"},
	} {
		g := build(t, func(b *Builder, x *ir.Value) *ir.Value { return b.UIB("f", x, c.c) })
		for _, n := range g.Nodes {
			if n.Op == ir.OpConv && n.Attrs.Strides != [2]int{1, 1} && n.Name != c.strided {
				t.Errorf("%s: %s has stride %v; only %s should", c.name, n.Name, n.Attrs.Strides, c.strided)
			}
			if n.Name == "f.dw_start.0" && (n.Attrs.Group != 16 || n.Attrs.Pads[0] != c.c.Start/2) {
				t.Errorf("%s: start depthwise %+v", c.name, n.Attrs)
			}
			if n.Name == "f.dw_start.2" {
				t.Errorf("%s: the start depthwise has an activation", c.name)
			}
		}
		if out := g.Outputs[0].Shape; !out.Equal(ir.Shape{1, 24, 4, 4}) {
			t.Errorf("%s: output %v, want [1 24 4 4]", c.name, out)
		}
	}
}

func TestRandomWeightStatistics(t *testing.T) {
	b := NewBuilder("w", Options{Seed: 9})
	x := b.Input("input", 64, 4, 4)
	y := b.Conv("c", x, 256, 3, 1, 1, false, 2)
	y = b.BatchNorm("bn", y)
	g, err := b.Finish(y, "")
	if err != nil {
		t.Fatal(err)
	}
	w := constNamed(g, "c.weight").Data
	var s, s2 float64
	for _, v := range w {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(w))
	want := math.Sqrt(2.0 / (64 * 9))
	if mean, std := s/n, math.Sqrt(s2/n); math.Abs(mean) > 0.01*want*10 || math.Abs(std-want) > 0.02*want {
		t.Errorf("He weights: mean %.4g std %.4g, want 0 and %.4g", mean, std, want)
	}
	for _, v := range constNamed(g, "bn.weight").Data {
		if v < 0.5 || v >= 1.5 {
			t.Fatalf("γ %v outside [0.5, 1.5)", v)
		}
	}
	for _, v := range constNamed(g, "bn.running_var").Data {
		if v != 1 {
			t.Fatalf("uncalibrated variance %v, want 1", v)
		}
	}
}

// Mistakes in Go builder calls come back from Finish, naming the layer.
func TestBuilderErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func(b *Builder, x *ir.Value) *ir.Value
		want string
	}{
		{"groups", func(b *Builder, x *ir.Value) *ir.Value { return b.Conv("c", x, 8, 3, 1, 3, false, 2) }, `conv "c": 3 groups do not divide 16 input and 8 output channels`},
		{"channels", func(b *Builder, x *ir.Value) *ir.Value { return b.Conv("c", x, 0, 3, 1, 1, false, 2) }, `conv "c": output channels 0`},
		{"fc on 4-D", func(b *Builder, x *ir.Value) *ir.Value { return b.FC("fc", x, 10, 1) }, `fc "fc": input "input" must be 2-D`},
		{"residual mismatch", func(b *Builder, x *ir.Value) *ir.Value {
			y := b.ConvBNAct("a", x, 8, 3, 2, 1, ReLU)
			return b.Add("add", x, y)
		}, `node "add" (Add): cannot broadcast`},
		{"kernel", func(b *Builder, x *ir.Value) *ir.Value { return b.Conv("k0", x, 8, 0, 1, 1, false, 2) }, `conv "k0": kernel 0 and stride 1 must be positive`},
		{"no layers", func(b *Builder, x *ir.Value) *ir.Value { return x }, `model "t" has no layers`},
		{"UIB stride without depthwise", func(b *Builder, x *ir.Value) *ir.Value {
			return b.UIB("u", x, UIB{Expand: 32, Out: 16, Stride: 2, Act: ReLU})
		}, `block "u": stride 2 needs a start or middle depthwise conv`},
		{"UIB expand", func(b *Builder, x *ir.Value) *ir.Value { return b.UIB("u", x, UIB{Mid: 3, Out: 16, Stride: 1}) },
			`block "u": expanded channels 0 must be positive`},
	} {
		b := NewBuilder("t", Options{Weights: ZeroWeights})
		x := b.Input("input", 16, 8, 8)
		_, err := b.Finish(c.f(b, x), "out")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
