package ir

import (
	"strings"
	"testing"
)

const tinyDump = `graph tiny
  input x [1×3×8×8]
  %conv = Conv(%x, $conv.weight[4×3×3×3]) k=3x3 s=1x1 p=1,1,1,1 -> [1×4×8×8]
  %relu = Relu(%conv) -> [1×4×8×8]
  %pool = GlobalAveragePool(%relu) -> [1×4×1×1]
  %flatten = Flatten(%pool) axis=1 -> [1×4]
  %fc = Gemm(%flatten, $fc.weight[2×4], $fc.bias[2]) alpha=1 beta=1 transB -> [1×2]
  return %fc
`

// The text form is pinned: golden tests elsewhere depend on it.
func TestDumpGolden(t *testing.T) {
	g := tiny(t)
	if got := g.String(); got != tinyDump {
		t.Errorf("Dump:\n%s\nwant:\n%s", got, tinyDump)
	}
	// Stable: the same graph dumps the same, and so does its clone.
	if a, b := g.String(), g.Clone().String(); a != b {
		t.Errorf("clone dumps differently:\n%s\n%s", a, b)
	}
}

func TestAttrString(t *testing.T) {
	for _, c := range []struct {
		n    *Node
		want string
	}{
		{&Node{Op: OpConv, Inputs: []*Value{nil, {Shape: Shape{8, 1, 5, 5}}}, Attrs: ConvAttrs(2, 2, 8)}, " k=5x5 s=2x2 p=2,2,2,2 g=8"},
		{&Node{Op: OpConv, Inputs: []*Value{nil, {Shape: Shape{8, 8, 3, 3}}}, Attrs: Attrs{Strides: [2]int{1, 1}, Dilations: [2]int{2, 2}, Group: 1, Fused: Epilogue{Act: ActClip, Max: 6, Residual: true}}}, " k=3x3 s=1x1 p=0,0,0,0 d=2x2 fused=+residual+clip(0,6)"},
		{&Node{Op: OpGemm, Attrs: Attrs{Alpha: 1, Beta: 1, TransA: true, Fused: Epilogue{Act: ActHardSwish}}}, " alpha=1 beta=1 transA fused=+hardswish"},
		{&Node{Op: OpConv, Inputs: []*Value{nil, {Shape: Shape{8, 8, 1, 1}}}, Attrs: Attrs{Strides: [2]int{1, 1}, Dilations: [2]int{1, 1}, Group: 1, Fused: Epilogue{Act: ActHardSigmoid, Alpha: 0.2, Beta: 0.5}}}, " k=1x1 s=1x1 p=0,0,0,0 fused=+hardsigmoid(0.2,0.5)"},
		{&Node{Op: OpMaxPool, Attrs: Attrs{Kernel: [2]int{3, 3}, Strides: [2]int{2, 2}, Pads: [4]int{1, 1, 1, 1}, CeilMode: true}}, " k=3x3 s=2x2 p=1,1,1,1 ceil"},
		{&Node{Op: OpAveragePool, Attrs: Attrs{Kernel: [2]int{2, 2}, Strides: [2]int{2, 2}, CountIncludePad: true}}, " k=2x2 s=2x2 p=0,0,0,0 count_include_pad"},
		{&Node{Op: OpBatchNorm, Attrs: Attrs{Epsilon: 0.001}}, " eps=0.001"},
		{&Node{Op: OpClip, Attrs: Relu6Attrs()}, " min=0 max=6"},
		{&Node{Op: OpHardSigmoid, Attrs: HardSigmoidAttrs()}, " alpha=0.16666667 beta=0.5"},
		{&Node{Op: OpReshape, Attrs: Attrs{Shape: []int{1, -1}}}, " shape=[1 -1]"},
		{&Node{Op: OpTranspose, Attrs: Attrs{Perm: []int{0, 2, 3, 1}}}, " perm=[0 2 3 1]"},
		{&Node{Op: OpReduceMean, Attrs: Attrs{Axes: []int{2, 3}, KeepDims: true}}, " axes=[2 3] keepdims=true"},
		{&Node{Op: OpPad, Attrs: Attrs{PadAmounts: []int{0, 1, 0, 1}}}, " pads=[0 1 0 1] mode=constant value=0"},
		{&Node{Op: OpRelu}, ""},
	} {
		if got := c.n.AttrString(); got != c.want {
			t.Errorf("%s: AttrString() = %q, want %q", c.n.Op, got, c.want)
		}
	}
}

func TestWriteDOT(t *testing.T) {
	g := tiny(t)
	nodeNamed(g, "relu").Name = `re"lu`
	var b strings.Builder
	if err := g.WriteDOT(&b); err != nil {
		t.Fatal(err)
	}
	dot := b.String()
	for _, want := range []string{
		`digraph "tiny" {`,
		`"in:x" [shape=ellipse, label="x\n[1×3×8×8]"];`,
		`"n:conv" [label="conv\nConv k=3x3 s=1x1 p=1,1,1,1\n[1×4×8×8]"];`,
		`"in:x" -> "n:conv";`,
		`"n:conv" -> "n:re\"lu";`,
		`"n:fc" -> "out:0";`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %s:\n%s", want, dot)
		}
	}
	if strings.Contains(dot, "conv.weight") {
		t.Error("DOT shows constants as nodes")
	}
	if !strings.HasSuffix(dot, "}\n") || strings.Count(dot, "->") != 6 {
		t.Errorf("DOT has %d edges, want 6:\n%s", strings.Count(dot, "->"), dot)
	}
}

func TestOpNames(t *testing.T) {
	for i := int(OpConv); i < numOps; i++ {
		o := Op(i)
		if o.Info() == nil {
			continue // an unassigned number
		}
		back, ok := OpByName(o.String())
		if !ok || back != o {
			t.Errorf("OpByName(%q) = %v, %v", o.String(), back, ok)
		}
	}
	if _, ok := OpByName("Invalid"); ok {
		t.Error("OpByName(Invalid) succeeded")
	}
	if s := Op(200).String(); s != "Op(200)" {
		t.Errorf("Op(200) = %q", s)
	}
}
