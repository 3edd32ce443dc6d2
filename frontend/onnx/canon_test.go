package onnx

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/reference"
	"google.golang.org/protobuf/proto"
)

// loadBoth imports a model twice: as written (the importer translates
// only) and canonical (passes.Canonicalize: the compiler's canonicalisation
// passes), so tests can compare the canonical graph with the literal
// semantics of what the exporter wrote. These are the pipeline's
// canon-activations, sink-transposes and merge-reshapes on the exporter
// spellings they exist for.
func loadBoth(t *testing.T, b *modelBuilder) (literal, canon *ir.Graph) {
	t.Helper()
	m := b.proto()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if literal, err = importModel(m, ""); err != nil {
		t.Fatal(err)
	}
	if canon, err = Read("canon.onnx", data, ""); err != nil {
		t.Fatal(err)
	}
	if err := passes.Canonicalize(canon); err != nil {
		t.Fatalf("Canonicalize: %v", err)
	}
	return literal, canon
}

// sameSemantics runs both graphs on x: the canonical graph must compute
// what the exporter wrote within rel (exporters round 1/6 to 0.16666,
// a 4e-5 relative change, so pattern tests allow 1e-4).
func sameSemantics(t *testing.T, literal, canon *ir.Graph, x *ir.Tensor, rel float64) {
	t.Helper()
	want := run(t, literal, x)
	got := run(t, canon, x)
	if ok, msg := reference.Close(got, want, rel); !ok {
		t.Error(msg)
	}
}

// hsPattern builds one exporter spelling of an activation on x (input
// "x", output "y").
type hsPattern struct {
	name  string
	build func(b *modelBuilder)
	want  ir.Op
}

var activationPatterns = []hsPattern{
	{"x*HardSigmoid(x)", func(b *modelBuilder) {
		b.node("HardSigmoid", []string{"x"}, "hs", attrFloat("alpha", 1.0/6), attrFloat("beta", 0.5)).
			node("Mul", []string{"x", "hs"}, "y")
	}, ir.OpHardSwish},
	{"x*(Clip(x+3,0,6)/6)", func(b *modelBuilder) {
		b.node("Add", []string{"x", "three"}, "a").node("Clip", []string{"a", "zero", "six"}, "c").
			node("Div", []string{"c", "six"}, "hs").node("Mul", []string{"hs", "x"}, "y")
	}, ir.OpHardSwish},
	{"(x*Clip(x+3,0,6))/6", func(b *modelBuilder) {
		b.node("Add", []string{"three", "x"}, "a").node("Clip", []string{"a", "zero", "six"}, "c").
			node("Mul", []string{"x", "c"}, "m").node("Div", []string{"m", "six"}, "y")
	}, ir.OpHardSwish},
	{"x*Relu6(x+3)*0.16666", func(b *modelBuilder) {
		b.node("Add", []string{"x", "three"}, "a").node("Clip", []string{"a", "zero", "six"}, "c").
			node("Mul", []string{"x", "c"}, "m").node("Mul", []string{"m", "sixth"}, "y")
	}, ir.OpHardSwish},
	{"Clip(x+3,0,6)/6", func(b *modelBuilder) {
		b.node("Add", []string{"x", "three"}, "a").node("Clip", []string{"a", "zero", "six"}, "c").
			node("Div", []string{"c", "six"}, "y")
	}, ir.OpHardSigmoid},
	{"Relu6(x+3)*(1/6)", func(b *modelBuilder) {
		b.node("Add", []string{"x", "three"}, "a").node("Clip", []string{"a", "zero", "six"}, "c").
			node("Mul", []string{"sixth", "c"}, "y")
	}, ir.OpHardSigmoid},
	{"x*Sigmoid(x)", func(b *modelBuilder) {
		b.node("Sigmoid", []string{"x"}, "s").node("Mul", []string{"x", "s"}, "y")
	}, ir.OpSwish},
}

func activationModel(p hsPattern) *modelBuilder {
	b := newModel(13).input("x", 1, 4, 3, 3).output("y").
		scalar("three", 3).scalar("zero", 0).scalar("six", 6).scalar("sixth", 0.16666)
	p.build(b)
	return b
}

// TestCanonActivationPatterns: each spelling becomes a single op that
// computes what was written.
func TestCanonActivationPatterns(t *testing.T) {
	x := seq(1, 4, 3, 3)
	for _, p := range activationPatterns {
		t.Run(p.name, func(t *testing.T) {
			literal, canon := loadBoth(t, activationModel(p))
			if len(canon.Nodes) != 1 || canon.Nodes[0].Op != p.want {
				t.Fatalf("canonical graph %v, want one %s", canon.Nodes, p.want)
			}
			if canon.Outputs[0].Name != "y" {
				t.Errorf("output renamed to %q", canon.Outputs[0].Name)
			}
			sameSemantics(t, literal, canon, x, 1e-4)
		})
	}
}

// TestCanonLeavesNearMisses: patterns with the wrong constants or inputs
// keep their meaning and are not rewritten.
func TestCanonLeavesNearMisses(t *testing.T) {
	cases := []hsPattern{
		{"Clip(x+3,0,6)/7", func(b *modelBuilder) {
			b.node("Add", []string{"x", "three"}, "a").node("Clip", []string{"a", "zero", "six"}, "c").
				node("Div", []string{"c", "seven"}, "y")
		}, ir.OpDiv},
		{"x*HardSigmoid(x) alpha 0.2", func(b *modelBuilder) {
			b.node("HardSigmoid", []string{"x"}, "hs").node("Mul", []string{"x", "hs"}, "y")
		}, ir.OpMul},
		{"relu(x)*HardSigmoid(x)", func(b *modelBuilder) {
			b.node("Relu", []string{"x"}, "r").
				node("HardSigmoid", []string{"x"}, "hs", attrFloat("alpha", 1.0/6), attrFloat("beta", 0.5)).
				node("Mul", []string{"r", "hs"}, "y")
		}, ir.OpMul},
		{"6/Clip(x+3,0,6)", func(b *modelBuilder) {
			b.node("Add", []string{"x", "three"}, "a").node("Clip", []string{"a", "zero", "six"}, "c").
				node("Div", []string{"six", "c"}, "y")
		}, ir.OpDiv},
	}
	x := seq(1, 4, 3, 3)
	for _, p := range cases {
		t.Run(p.name, func(t *testing.T) {
			b := activationModel(p).scalar("seven", 7)
			literal, canon := loadBoth(t, b)
			if last := canon.Nodes[len(canon.Nodes)-1]; last.Op != p.want {
				t.Errorf("last node %s, want %s", last, p.want)
			}
			sameSemantics(t, literal, canon, x, 1e-6)
		})
	}
}

// TestCanonSEBlock: a V3 squeeze-and-excitation block as PyTorch < 1.9
// exported it (gate = Relu6(x+3)/6 spelled out) keeps its structure with
// the gate as one HardSigmoid, and computes the same.
func TestCanonSEBlock(t *testing.T) {
	b := newModel(13).input("x", 1, 4, 3, 3).output("y").
		scalar("three", 3).scalar("zero", 0).scalar("six", 6).
		weight("w1", seq(2, 4, 1, 1)).weight("b1", seq(2)).weight("w2", seq(4, 2, 1, 1)).weight("b2", seq(4)).
		node("GlobalAveragePool", []string{"x"}, "p").
		node("Conv", []string{"p", "w1", "b1"}, "s1").node("Relu", []string{"s1"}, "r").
		node("Conv", []string{"r", "w2", "b2"}, "s2").
		node("Add", []string{"s2", "three"}, "a").node("Clip", []string{"a", "zero", "six"}, "c").
		node("Div", []string{"c", "six"}, "gate").
		node("Mul", []string{"x", "gate"}, "y")
	literal, canon := loadBoth(t, b)
	ops := countOps(canon)
	if ops[ir.OpHardSigmoid] != 1 || ops[ir.OpMul] != 1 || ops[ir.OpClip] != 0 || ops[ir.OpDiv] != 0 || ops[ir.OpAdd] != 0 {
		t.Errorf("canonical SE block has ops %v", ops)
	}
	sameSemantics(t, literal, canon, seq(1, 4, 3, 3), 1e-5)
}

// nhwcModel is what tf2onnx writes for two NHWC conv layers: Transposes
// around each Conv, NHWC-native bias add, ReLU6, padding and a global
// mean over axes 1, 2.
func nhwcModel() *modelBuilder {
	toNCHW := attrInts("perm", []int{0, 3, 1, 2})
	toNHWC := attrInts("perm", []int{0, 2, 3, 1})
	return newModel(13).input("x", 1, 6, 6, 3).output("y").
		weight("w1", seq(4, 3, 3, 3)).weight("bias1", seq(4)).weight("w2", seq(5, 4, 1, 1)).
		weight("bias2", ir.FromData([]float32{0.1, -0.2, 0.3, -0.4, 0.5}, 1, 1, 1, 5)).
		scalar("zero", 0).scalar("six", 6).ints("pads", 0, 1, 1, 0, 0, 0, 0, 0).
		node("Transpose", []string{"x"}, "t0", toNCHW).
		node("Conv", []string{"t0", "w1"}, "c1", attrInts("strides", []int{2, 2}), attrInts("pads", []int{1, 1, 1, 1})).
		node("Transpose", []string{"c1"}, "t1", toNHWC).
		node("Add", []string{"t1", "bias1"}, "a1").
		node("Clip", []string{"a1", "zero", "six"}, "r1").
		node("Pad", []string{"r1", "pads"}, "p1").
		node("Transpose", []string{"p1"}, "t2", toNCHW).
		node("Conv", []string{"t2", "w2"}, "c2").
		node("Transpose", []string{"c2"}, "t3", toNHWC).
		node("Add", []string{"t3", "bias2"}, "a2").
		node("Relu", []string{"a2"}, "r2").
		node("ReduceMean", []string{"r2"}, "y", attrInts("axes", []int{1, 2}), attrInt("keepdims", 0))
}

// TestCanonNHWCTransposes: after canonicalisation only the input's
// Transpose is left (no Transpose per layer), and the outputs match.
func TestCanonNHWCTransposes(t *testing.T) {
	literal, canon := loadBoth(t, nhwcModel())
	if n := countOps(literal)[ir.OpTranspose]; n != 4 {
		t.Fatalf("literal graph has %d Transposes, want 4", n)
	}
	ops := countOps(canon)
	if ops[ir.OpTranspose] != 1 || canon.Nodes[0].Op != ir.OpTranspose {
		t.Errorf("canonical graph keeps %d Transposes (want only the input one): %v", ops[ir.OpTranspose], canon.Nodes)
	}
	if canon.Outputs[0].Name != "y" || !canon.Outputs[0].Shape.Equal(ir.Shape{1, 5}) {
		t.Errorf("output %q %v, want y [1 5]", canon.Outputs[0].Name, canon.Outputs[0].Shape)
	}
	sameSemantics(t, literal, canon, seq(1, 6, 6, 3), 1e-6)
}

// TestCanonTransposeKeepDims: a keepdims reduction and a Transpose that
// only moves size-1 axes (becoming a Reshape) at the output.
func TestCanonTransposeKeepDims(t *testing.T) {
	b := newModel(13).input("x", -1, 3, 4, 4).output("y").
		node("Transpose", []string{"x"}, "t", attrInts("perm", []int{0, 2, 3, 1})).
		node("Sigmoid", []string{"t"}, "s").
		node("ReduceMean", []string{"s"}, "m", attrInts("axes", []int{1, 2})).
		node("Transpose", []string{"m"}, "y", attrInts("perm", []int{0, 3, 1, 2}))
	literal, canon := loadBoth(t, b)
	if ops := countOps(canon); ops[ir.OpTranspose] != 0 {
		t.Errorf("canonical graph keeps Transposes: %v", canon.Nodes)
	}
	for _, g := range []*ir.Graph{literal, canon} {
		if err := g.SetBatch(2); err != nil {
			t.Fatal(err)
		}
	}
	sameSemantics(t, literal, canon, seq(2, 3, 4, 4), 1e-6)
}

// TestCanonRelu6Spellings: ReLU6 written with Min/Max or as Clip(Relu)
// becomes one Clip(0, 6); Max(x, 0) alone is a Relu.
func TestCanonRelu6Spellings(t *testing.T) {
	cases := []hsPattern{
		{"Min(Max(x,0),6)", func(b *modelBuilder) {
			b.node("Max", []string{"x", "zero"}, "m").node("Min", []string{"m", "six"}, "y")
		}, ir.OpClip},
		{"Max(0,Min(6,x))", func(b *modelBuilder) {
			b.node("Min", []string{"six", "x"}, "m").node("Max", []string{"zero", "m"}, "y")
		}, ir.OpClip},
		{"Clip(Relu(x),-1,6)", func(b *modelBuilder) {
			b.scalar("minus1", -1).node("Relu", []string{"x"}, "r").node("Clip", []string{"r", "minus1", "six"}, "y")
		}, ir.OpClip},
		{"Max(x,0)", func(b *modelBuilder) { b.node("Max", []string{"x", "zero"}, "y") }, ir.OpRelu},
	}
	x := seq(1, 4, 3, 3)
	for _, p := range cases {
		t.Run(p.name, func(t *testing.T) {
			literal, canon := loadBoth(t, activationModel(p))
			if len(canon.Nodes) != 1 || canon.Nodes[0].Op != p.want {
				t.Fatalf("canonical graph %v, want one %s", canon.Nodes, p.want)
			}
			if a := canon.Nodes[0].Attrs; p.want == ir.OpClip && (a.Min != 0 || a.Max != 6) {
				t.Errorf("Clip(%g, %g), want Clip(0, 6)", a.Min, a.Max)
			}
			sameSemantics(t, literal, canon, x, 0)
		})
	}
}

// TestCanonNHWCHead: tf2onnx's NHWC classifier head, ReduceMean(axes 1,2,
// keepdims) → Squeeze → MatMul, loses its Transposes and keeps one Reshape.
func TestCanonNHWCHead(t *testing.T) {
	b := newModel(13).input("x", 1, 4, 3, 3).output("y").weight("w", seq(4, 2)).ints("sq", 1, 2).
		node("Transpose", []string{"x"}, "t", attrInts("perm", []int{0, 2, 3, 1})).
		node("Relu", []string{"t"}, "r").
		node("ReduceMean", []string{"r"}, "m", attrInts("axes", []int{1, 2})).
		node("Squeeze", []string{"m", "sq"}, "s").
		node("MatMul", []string{"s", "w"}, "y")
	literal, canon := loadBoth(t, b)
	ops := countOps(canon)
	if ops[ir.OpTranspose] != 0 || ops[ir.OpReshape] != 1 || len(canon.Nodes) != 4 {
		t.Errorf("canonical head %v (ops %v), want Relu, ReduceMean, one Reshape, MatMul", canon.Nodes, ops)
	}
	sameSemantics(t, literal, canon, seq(1, 4, 3, 3), 1e-6)
}

// TestCanonNHWCResidual: in a tf2onnx residual block the NHWC skip tensor
// feeds both the next layer's Transpose and the Add; the Transposes still
// cancel, leaving one at the input and one at the (NHWC) output.
func TestCanonNHWCResidual(t *testing.T) {
	toNCHW := attrInts("perm", []int{0, 3, 1, 2})
	toNHWC := attrInts("perm", []int{0, 2, 3, 1})
	b := newModel(13).input("x", 1, 4, 4, 3).output("y").
		weight("w1", seq(3, 3, 1, 1)).weight("w2", seq(3, 3, 3, 3)).
		node("Transpose", []string{"x"}, "t0", toNCHW).
		node("Conv", []string{"t0", "w1"}, "c1").
		node("Transpose", []string{"c1"}, "t1", toNHWC).
		node("Relu", []string{"t1"}, "a").
		node("Transpose", []string{"a"}, "t2", toNCHW).
		node("Conv", []string{"t2", "w2"}, "c2", attrInts("pads", []int{1, 1, 1, 1})).
		node("Transpose", []string{"c2"}, "t3", toNHWC).
		node("Add", []string{"a", "t3"}, "y")
	literal, canon := loadBoth(t, b)
	ops := countOps(canon)
	if ops[ir.OpTranspose] != 2 || canon.Nodes[0].Op != ir.OpTranspose || canon.Nodes[len(canon.Nodes)-1].Op != ir.OpTranspose {
		t.Errorf("canonical graph %v: want Transposes only at the input and the output", canon.Nodes)
	}
	if canon.Outputs[0].Name != "y" {
		t.Errorf("output renamed to %q", canon.Outputs[0].Name)
	}
	sameSemantics(t, literal, canon, seq(1, 4, 4, 3), 1e-6)
}

// TestCanonNHWCPreprocessAndSE: tf2onnx's NHWC input preprocessing
// (x·2 − 1, Pad) before the first Transpose is done after a Transpose
// hoisted to the input, and an NHWC squeeze-and-excitation block, whose
// input feeds both the pool and the scale, loses its Transposes.
func TestCanonNHWCPreprocessAndSE(t *testing.T) {
	toNCHW := attrInts("perm", []int{0, 3, 1, 2})
	toNHWC := attrInts("perm", []int{0, 2, 3, 1})
	b := newModel(13).input("x", 2, 6, 6, 3).output("y").
		scalar("two", 2).scalar("minus1", -1).ints("pads", 0, 0, 0, 0, 0, 1, 1, 0).
		weight("w", seq(4, 3, 3, 3)).weight("w1", seq(2, 4, 1, 1)).weight("w2", seq(4, 2, 1, 1)).
		node("Mul", []string{"x", "two"}, "m").
		node("Add", []string{"m", "minus1"}, "a").
		node("Pad", []string{"a", "pads"}, "p").
		node("Transpose", []string{"p"}, "t0", toNCHW).
		node("Conv", []string{"t0", "w"}, "c", attrInts("strides", []int{2, 2})).
		node("Transpose", []string{"c"}, "h", toNHWC).
		node("ReduceMean", []string{"h"}, "sq", attrInts("axes", []int{1, 2})).
		node("Transpose", []string{"sq"}, "s0", toNCHW).
		node("Conv", []string{"s0", "w1"}, "s1").
		node("Transpose", []string{"s1"}, "s2", toNHWC).
		node("Relu", []string{"s2"}, "s3").
		node("Transpose", []string{"s3"}, "s4", toNCHW).
		node("Conv", []string{"s4", "w2"}, "s5").
		node("Transpose", []string{"s5"}, "s6", toNHWC).
		node("HardSigmoid", []string{"s6"}, "gate", attrFloat("alpha", 1.0/6), attrFloat("beta", 0.5)).
		node("Mul", []string{"h", "gate"}, "y")
	literal, canon := loadBoth(t, b)
	ops := countOps(canon)
	if ops[ir.OpTranspose] != 2 || canon.Nodes[0].Op != ir.OpTranspose || canon.Nodes[0].Input(0) != canon.Inputs[0] {
		t.Errorf("canonical graph %v: want one Transpose at the input and one at the output", canon.Nodes)
	}
	sameSemantics(t, literal, canon, seq(2, 6, 6, 3), 1e-6)
}

// TestCanonUnfoldedBatchNorm: Conv → Mul by [1,C,1,1] → Add of [C,1,1]
// (tf2onnx's unfolded BatchNorm) is not canonicalisation's business (the
// graph keeps it as written); fold-affine folds it into the conv's weights
// and bias at -O2, and a scalar Mul and a per-channel Add on the graph
// input are left alone.
func TestCanonUnfoldedBatchNorm(t *testing.T) {
	b := newModel(13).input("x", 1, 3, 4, 4).output("y").
		weight("pre", seq(3, 1, 1)).weight("w", seq(4, 3, 1, 1)).
		weight("s", ir.FromData([]float32{0.5, 2, -1, 3}, 1, 4, 1, 1)).
		weight("t", ir.FromData([]float32{1, -1, 0.25, 0}, 4, 1, 1)).scalar("k", 2).
		node("Add", []string{"x", "pre"}, "xp").
		node("Conv", []string{"xp", "w"}, "c").
		node("Mul", []string{"c", "s"}, "cs").
		node("Add", []string{"t", "cs"}, "bn").
		node("Conv", []string{"bn", "w2"}, "c2").
		node("Mul", []string{"c2", "k"}, "y")
	b.weight("w2", seq(4, 4, 1, 1))
	literal, canon := loadBoth(t, b)
	if ops := countOps(canon); ops[ir.OpAdd] != 2 || ops[ir.OpMul] != 2 || len(canon.Nodes) != 6 {
		t.Errorf("canonical graph %v (ops %v): want it as written", canon.Nodes, ops)
	}
	set, err := kernels.ForISA(kernels.Generic)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := passes.Compile(literal, passes.Options{Level: 2}, set)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for i := range p.Steps {
		st := &p.Steps[i]
		steps = append(steps, fmt.Sprintf("%s%v", st.Op, st.Fused))
	}
	if got, want := strings.Join(steps, " "), "Add[] Conv[scale shift] Conv[scale]"; !strings.Contains(got, want) {
		t.Errorf("-O2 steps %s, want %s in them", got, want)
	}
}
