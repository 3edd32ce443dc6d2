package onnx

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"google.golang.org/protobuf/proto"
)

// mapT applies f to each element: an independent expected value.
func mapT(x *ir.Tensor, f func(float32) float32) *ir.Tensor {
	y := x.Clone()
	for k, v := range y.Data {
		y.Data[k] = f(v)
	}
	return y
}

func clamp(v, lo, hi float32) float32 {
	return float32(math.Min(math.Max(float64(v), float64(lo)), float64(hi)))
}

// TestClipAcrossOpsets: Clip bounds are attributes before opset 11 and
// inputs from 11; both give min(max(x, 0), 6).
func TestClipAcrossOpsets(t *testing.T) {
	x := seq(1, 3, 4, 4)
	want := mapT(x, func(v float32) float32 { return clamp(v, -1, 2) })
	old := newModel(10).input("x", 1, 3, 4, 4).output("y").
		node("Clip", []string{"x"}, "y", attrFloat("min", -1), attrFloat("max", 2))
	expectClose(t, run(t, old.load(t), x), want)
	nw := newModel(13).input("x", 1, 3, 4, 4).output("y").scalar("lo", -1).scalar("hi", 2).
		node("Clip", []string{"x", "lo", "hi"}, "y")
	expectClose(t, run(t, nw.load(t), x), want)
	onlyMax := newModel(13).input("x", 1, 3, 4, 4).output("y").scalar("hi", 2).
		node("Clip", []string{"x", "", "hi"}, "y")
	expectClose(t, run(t, onlyMax.load(t), x), mapT(x, func(v float32) float32 { return clamp(v, float32(math.Inf(-1)), 2) }))
}

// TestSqueezeUnsqueezeAcrossOpsets: axes are an attribute before 13 and an
// input from 13; both become one IR Reshape.
func TestSqueezeUnsqueezeAcrossOpsets(t *testing.T) {
	for _, opset := range []int64{11, 13} {
		b := newModel(opset).input("x", 2, 5, 1, 1).output("y")
		if opset < 13 {
			b.node("Squeeze", []string{"x"}, "s", attrInts("axes", []int{2, 3})).
				node("Unsqueeze", []string{"s"}, "y", attrInts("axes", []int{0}))
		} else {
			b.ints("sq", 2, 3).ints("usq", 0).
				node("Squeeze", []string{"x", "sq"}, "s").node("Unsqueeze", []string{"s", "usq"}, "y")
		}
		g := b.load(t)
		if got := g.Outputs[0].Shape; !got.Equal(ir.Shape{1, 2, 5}) {
			t.Errorf("opset %d: output shape %v, want [1 2 5]", opset, got)
		}
		x := seq(2, 5, 1, 1)
		y := run(t, g, x)
		expectClose(t, y, ir.FromData(x.Data, 1, 2, 5))
	}
}

// softmaxRef normalises groups of n consecutive elements (float64).
func softmaxRef(x *ir.Tensor, n int) *ir.Tensor {
	y := x.Clone()
	for o := 0; o < len(x.Data); o += n {
		var m, s float64 = math.Inf(-1), 0
		for k := o; k < o+n; k++ {
			m = math.Max(m, float64(x.Data[k]))
		}
		for k := o; k < o+n; k++ {
			s += math.Exp(float64(x.Data[k]) - m)
		}
		for k := o; k < o+n; k++ {
			y.Data[k] = float32(math.Exp(float64(x.Data[k])-m) / s)
		}
	}
	return y
}

// TestSoftmaxCoercedBeforeOpset13: before 13, Softmax(axis=1) on [2,3,2,2]
// normalises all 12 values of each batch item; from 13 only the 3 channels
// at each position.
func TestSoftmaxCoercedBeforeOpset13(t *testing.T) {
	x := seq(2, 3, 2, 2)
	old := newModel(11).input("x", 2, 3, 2, 2).output("y").node("Softmax", []string{"x"}, "y", attrInt("axis", 1))
	expectClose(t, run(t, old.load(t), x), softmaxRef(x, 12))
	// Default axis before 13 is 1, so the same with no attribute.
	def := newModel(11).input("x", 2, 3, 2, 2).output("y").node("Softmax", []string{"x"}, "y")
	expectClose(t, run(t, def.load(t), x), softmaxRef(x, 12))
	// From 13 the default is -1: groups of the last axis (2 values).
	nw := newModel(13).input("x", 2, 3, 2, 2).output("y").node("Softmax", []string{"x"}, "y")
	expectClose(t, run(t, nw.load(t), x), softmaxRef(x, 2))
	// Symbolic batch: the coerced form must not bake a batch size in.
	sym := newModel(11).input("x", -1, 3, 2, 2).output("y").node("Softmax", []string{"x"}, "y", attrInt("axis", 1))
	g := sym.load(t)
	if err := g.SetBatch(2); err != nil {
		t.Fatal(err)
	}
	expectClose(t, run(t, g, x), softmaxRef(x, 12))
}

// TestReduceMeanAcrossOpsets: axes attribute (<18) and input (≥18).
func TestReduceMeanAcrossOpsets(t *testing.T) {
	x := seq(1, 2, 3, 3)
	want := ir.NewTensor(1, 2, 1, 1)
	for c := 0; c < 2; c++ {
		for k := 0; k < 9; k++ {
			want.Data[c] += x.Data[c*9+k] / 9
		}
	}
	old := newModel(17).input("x", 1, 2, 3, 3).output("y").node("ReduceMean", []string{"x"}, "y", attrInts("axes", []int{2, 3}))
	expectClose(t, run(t, old.load(t), x), want)
	nw := newModel(18).input("x", 1, 2, 3, 3).output("y").ints("axes", -2, -1).node("ReduceMean", []string{"x", "axes"}, "y")
	expectClose(t, run(t, nw.load(t), x), want)
}

// TestPadAcrossOpsets: pads attribute (<11), input (≥11), axes input (≥18).
func TestPadAcrossOpsets(t *testing.T) {
	x := seq(1, 1, 2, 2)
	want := ir.NewTensor(1, 1, 3, 4) // one row on top, one column each side, value 7
	for k := range want.Data {
		want.Data[k] = 7
	}
	for i := 0; i < 2; i++ {
		for j := 0; j < 2; j++ {
			want.Data[(i+1)*4+j+1] = x.Data[i*2+j]
		}
	}
	pads := []int{0, 0, 1, 1, 0, 0, 0, 1}
	old := newModel(10).input("x", 1, 1, 2, 2).output("y").node("Pad", []string{"x"}, "y", attrInts("pads", pads), attrFloat("value", 7))
	expectClose(t, run(t, old.load(t), x), want)
	nw := newModel(13).input("x", 1, 1, 2, 2).output("y").ints("p", pads...).scalar("v", 7).node("Pad", []string{"x", "p", "v"}, "y")
	expectClose(t, run(t, nw.load(t), x), want)
	ax := newModel(18).input("x", 1, 1, 2, 2).output("y").ints("p", 1, 1, 0, 1).scalar("v", 7).ints("a", 2, 3).
		node("Pad", []string{"x", "p", "v", "a"}, "y")
	expectClose(t, run(t, ax.load(t), x), want)
}

// TestSymbolicBatchShapeArithmetic: the PyTorch flatten idiom
// Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) on a symbolic
// batch folds to a Reshape target [0, 8] (no batch size baked in).
func TestSymbolicBatchShapeArithmetic(t *testing.T) {
	b := newModel(13).input("x", -1, 8, 1, 1).output("y")
	b.g.Initializer = append(b.g.Initializer, &pb.TensorProto{Name: proto.String("zero"),
		DataType: proto.Int32(int32(pb.TensorProto_INT64)), Int64Data: []int64{0}}) // a scalar index
	b.ints("minus1", -1).ints("ax0", 0).
		node("Shape", []string{"x"}, "shape").
		node("Gather", []string{"shape", "zero"}, "batch").
		node("Unsqueeze", []string{"batch", "ax0"}, "batch1").
		node("Concat", []string{"batch1", "minus1"}, "target", attrInt("axis", 0)).
		node("Reshape", []string{"x", "target"}, "y")
	g := b.load(t)
	if len(g.Nodes) != 1 || g.Nodes[0].Op != ir.OpReshape {
		t.Fatalf("want a single Reshape, got %v", g.Nodes)
	}
	// The batch stays a 0 (copied, never baked in); the -1 is resolved to
	// the known inner size.
	if got := g.Nodes[0].Attrs.Shape; len(got) != 2 || got[0] != 0 || got[1] != 8 {
		t.Errorf("Reshape target %v, want [0 8]", got)
	}
	if err := g.SetBatch(3); err != nil {
		t.Fatal(err)
	}
	if got := g.Outputs[0].Shape; !got.Equal(ir.Shape{3, 8}) {
		t.Errorf("output shape %v after SetBatch(3), want [3 8]", got)
	}
	x := seq(3, 8, 1, 1)
	expectClose(t, run(t, g, x), ir.FromData(x.Data, 3, 8))

	// Shape → Slice [1:] → Concat([-1], ...): the channel count is known.
	b2 := newModel(13).input("x", -1, 8, 1, 1).output("y").ints("s", 1).ints("e", 2).ints("minus1", -1).
		node("Shape", []string{"x"}, "shape").
		node("Slice", []string{"shape", "s", "e"}, "c").
		node("Concat", []string{"minus1", "c"}, "target", attrInt("axis", 0)).
		node("Reshape", []string{"x", "target"}, "y")
	g2 := b2.load(t)
	if got := g2.Nodes[0].Attrs.Shape; len(got) != 2 || got[0] != -1 || got[1] != 8 {
		t.Errorf("Reshape target %v, want [-1 8]", got)
	}
}

// TestAutoPad checks the pads auto_pad resolves to (ONNX: the extra pad
// goes at the end for SAME_UPPER, at the beginning for SAME_LOWER).
func TestAutoPad(t *testing.T) {
	cases := []struct {
		mode string
		want [4]int
	}{
		{"SAME_UPPER", [4]int{0, 0, 1, 1}},
		{"SAME_LOWER", [4]int{1, 1, 0, 0}},
		{"VALID", [4]int{}},
	}
	for _, c := range cases {
		b := newModel(13).input("x", 1, 2, 6, 6).output("y").weight("w", seq(4, 2, 3, 3)).
			node("Conv", []string{"x", "w"}, "y", attrString("auto_pad", c.mode), attrInts("strides", []int{2, 2}))
		g := b.load(t)
		if got := g.Nodes[0].Attrs.Pads; got != c.want {
			t.Errorf("%s: pads %v, want %v", c.mode, got, c.want)
		}
	}
}

// TestConstantForms: every Constant attribute form, and folding of float
// arithmetic on constants into a single weight.
func TestConstantForms(t *testing.T) {
	b := newModel(13).input("x", 1, 3).output("y").
		node("Constant", []string{}, "a", &pb.AttributeProto{Name: proto.String("value_floats"), Type: pb.AttributeProto_FLOATS.Enum(), Floats: []float32{1, 2, 3}}).
		node("Constant", []string{}, "b", attrFloat("value_float", 0.5)).
		node("Constant", []string{}, "c", &pb.AttributeProto{Name: proto.String("value"), Type: pb.AttributeProto_TENSOR.Enum(), T: floatTensor("", []int{1, 3}, []float32{10, 20, 30})}).
		node("Mul", []string{"a", "b"}, "ab").
		node("Add", []string{"ab", "c"}, "abc").
		node("Add", []string{"x", "abc"}, "y")
	g := b.load(t)
	if len(g.Nodes) != 1 {
		t.Fatalf("constant arithmetic was not folded: %v", g.Nodes)
	}
	got := run(t, g, ir.FromData([]float32{0, 0, 0}, 1, 3))
	expectClose(t, got, ir.FromData([]float32{10.5, 21, 31.5}, 1, 3))
}

// TestOutputNamesKept: graph outputs keep their ONNX names, also when they
// come out of an Identity or are the same tensor twice.
func TestOutputNamesKept(t *testing.T) {
	b := newModel(13).input("x", 1, 4).output("out1", "out2", "out3", "r").
		node("Relu", []string{"x"}, "r").
		node("Identity", []string{"r"}, "out1").
		node("Identity", []string{"r"}, "out2").
		node("Identity", []string{"x"}, "out3")
	g := b.load(t)
	var names []string
	for _, v := range g.Outputs {
		names = append(names, v.Name)
	}
	if strings.Join(names, ",") != "out1,out2,out3,r" || g.Inputs[0].Name != "x" {
		t.Errorf("inputs %q outputs %v", g.Inputs[0].Name, names)
	}
}

// TestExternalData: a weight stored in a separate file at an offset.
func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	w := []float32{1, -2, 3, -4}
	raw := floatTensor("w", []int{1, 4}, w).RawData
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), append([]byte("pad!"), raw...), 0o644); err != nil {
		t.Fatal(err)
	}
	ext := &pb.TensorProto{Name: proto.String("w"), Dims: []int64{1, 4}, DataType: proto.Int32(int32(pb.TensorProto_FLOAT)),
		DataLocation: pb.TensorProto_EXTERNAL.Enum(), ExternalData: []*pb.StringStringEntryProto{
			{Key: proto.String("location"), Value: proto.String("weights.bin")},
			{Key: proto.String("offset"), Value: proto.String("4")},
			{Key: proto.String("length"), Value: proto.String("16")}}}
	b := newModel(13).input("x", 1, 4).output("y").node("Mul", []string{"x", "w"}, "y")
	b.g.Initializer = append(b.g.Initializer, ext)
	path := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(path, b.bytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, run(t, g, ir.FromData([]float32{1, 1, 1, 1}, 1, 4)), ir.FromData(w, 1, 4))

	ext.ExternalData[2].Value = proto.String("20") // past the end of the file
	if err := os.WriteFile(path, b.bytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), `tensor "w"`) {
		t.Errorf("external data past the end: error %v, want one naming tensor \"w\"", err)
	}
}

// TestGemmMatMulFlatten: a classifier head GlobalAveragePool → Flatten →
// Gemm(transB) against a hand computation.
func TestGemmMatMulFlatten(t *testing.T) {
	x := seq(1, 3, 2, 2)
	w := seq(2, 3)
	b := newModel(13).input("x", 1, 3, 2, 2).output("y").weight("w", w).weight("b", ir.FromData([]float32{0.5, -0.5}, 2)).
		node("GlobalAveragePool", []string{"x"}, "p").
		node("Flatten", []string{"p"}, "f").
		node("Gemm", []string{"f", "w", "b"}, "y", attrInt("transB", 1))
	want := ir.NewTensor(1, 2)
	for o := 0; o < 2; o++ {
		acc := float64([]float32{0.5, -0.5}[o])
		for c := 0; c < 3; c++ {
			m := float64(x.Data[4*c]+x.Data[4*c+1]+x.Data[4*c+2]+x.Data[4*c+3]) / 4
			acc += m * float64(w.Data[3*o+c])
		}
		want.Data[o] = float32(acc)
	}
	expectClose(t, run(t, b.load(t), x), want)
}

// TestBatchNormAcrossOpsets: the inference form at opset 7 (with the
// spatial attribute), 9 and 15 (training_mode 0) computes
// scale·(x−mean)/√(var+eps) + bias.
func TestBatchNormAcrossOpsets(t *testing.T) {
	x := seq(1, 2, 2, 2)
	scale, bias, mean, vr := []float32{0.5, 2}, []float32{1, -1}, []float32{0.25, -0.5}, []float32{4, 0.25}
	want := x.Clone()
	for c := 0; c < 2; c++ {
		for k := 0; k < 4; k++ {
			i := c*4 + k
			want.Data[i] = float32(float64(scale[c])*(float64(x.Data[i])-float64(mean[c]))/math.Sqrt(float64(vr[c])+1e-3) + float64(bias[c]))
		}
	}
	for _, opset := range []int64{7, 9, 15} {
		b := newModel(opset).input("x", 1, 2, 2, 2).output("y").
			weight("s", ir.FromData(scale, 2)).weight("b", ir.FromData(bias, 2)).
			weight("m", ir.FromData(mean, 2)).weight("v", ir.FromData(vr, 2))
		at := []*pb.AttributeProto{attrFloat("epsilon", 1e-3)}
		switch opset {
		case 7:
			at = append(at, attrInt("spatial", 1))
		case 15:
			at = append(at, attrInt("training_mode", 0))
		}
		b.node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, "y", at...)
		g := b.load(t)
		if ops := countOps(g); ops[ir.OpBatchNorm] != 1 {
			t.Errorf("opset %d: ops %v", opset, ops)
		}
		expectClose(t, run(t, g, x), want)
	}
}

// TestDropoutRatioInput: from opset 12 Dropout takes ratio and
// training_mode inputs; in inference it is the identity (and vanishes).
func TestDropoutRatioInput(t *testing.T) {
	b := newModel(13).input("x", 1, 4).output("y").scalar("ratio", 0.3).
		node("Constant", nil, "train", &pb.AttributeProto{Name: proto.String("value"), Type: pb.AttributeProto_TENSOR.Enum(),
			T: &pb.TensorProto{DataType: proto.Int32(int32(pb.TensorProto_BOOL)), Int32Data: []int32{0}}}).
		node("Dropout", []string{"x", "ratio", "train"}, "d").
		node("Relu", []string{"d"}, "y")
	g := b.load(t)
	if len(g.Nodes) != 1 || g.Nodes[0].Op != ir.OpRelu {
		t.Errorf("want a single Relu, got %v", g.Nodes)
	}
	// training_mode=true is refused, naming the node.
	b.g.Node[0].Attribute[0].T.Int32Data = []int32{1}
	if _, err := Read("m.onnx", b.bytes(t), ""); err == nil || !strings.Contains(err.Error(), "(Dropout): training_mode") {
		t.Errorf("training Dropout: error %v", err)
	}
}

// TestPyTorchPadExport: PyTorch's opset-11 export of F.pad computes ONNX
// pads from its own (last axis first, begin/end pairs) order with Size,
// ConstantOfShape, Concat, Reshape, a reversing Slice, Transpose and Cast;
// all of it folds to one Pad.
func TestPyTorchPadExport(t *testing.T) {
	b := newModel(11).input("x", 1, 1, 2, 2).output("y").
		ints("torchpads", 1, 1, 1, 0). // (left, right, top, bottom)
		ints("rank2", 8).ints("pairs", -1, 2).ints("flat", -1).
		ints("s", -1).ints("e", math.MinInt32).ints("ax", 0).ints("st", -1).scalar("v", 7).
		node("Size", []string{"torchpads"}, "n").
		node("Sub", []string{"rank2", "n"}, "ext").
		node("ConstantOfShape", []string{"ext"}, "zeros", &pb.AttributeProto{Name: proto.String("value"), Type: pb.AttributeProto_TENSOR.Enum(), T: intTensor("", []int{0})}).
		node("Concat", []string{"torchpads", "zeros"}, "all", attrInt("axis", 0)).
		node("Reshape", []string{"all", "pairs"}, "pp").
		node("Slice", []string{"pp", "s", "e", "ax", "st"}, "rev").
		node("Transpose", []string{"rev"}, "tr", attrInts("perm", []int{1, 0})).
		node("Reshape", []string{"tr", "flat"}, "onnxpads").
		node("Cast", []string{"onnxpads"}, "pads", attrInt("to", int(pb.TensorProto_INT64))).
		node("Pad", []string{"x", "pads", "v"}, "y")
	// The ConstantOfShape value must be a one-element tensor.
	b.g.Node[2].Attribute[0].T.Dims = []int64{1}
	g := b.load(t)
	if len(g.Nodes) != 1 || g.Nodes[0].Op != ir.OpPad {
		t.Fatalf("want one Pad, got %v", g.Nodes)
	}
	// ONNX order: begins (N, C, H, W) then ends: top 1, left 1, bottom 0, right 1.
	if got := g.Nodes[0].Attrs.PadAmounts; fmt.Sprint(got) != "[0 0 1 1 0 0 0 1]" {
		t.Errorf("pads %v, want [0 0 1 1 0 0 0 1]", got)
	}
}

// TestScalarConstantsBecome1D: a 0-d constant operand of Add/Sub/Mul/Div
// beside a tensor becomes shape [1] (same broadcast), so no rank-0 tensor
// reaches the IR; the result is unchanged.
func TestScalarConstantsBecome1D(t *testing.T) {
	b := newModel(13).input("x", 1, 3).output("y").scalar("six", 6).scalar("half", 0.5).
		node("Mul", []string{"x", "six"}, "m").
		node("Sub", []string{"half", "m"}, "y")
	g := b.load(t)
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			if v.IsConst() && len(v.Shape) == 0 {
				t.Errorf("node %s reads 0-d constant %q", n, v.Name)
			}
		}
	}
	expectClose(t, run(t, g, ir.FromData([]float32{1, -2, 0.25}, 1, 3)), ir.FromData([]float32{-5.5, 12.5, -1}, 1, 3))
}

// TestReshapeZeroMinusOneOnSymbolicBatch: Reshape(x, [0, -1]) on a
// symbolic batch (tf2onnx's Flatten) keeps the 0 and resolves the -1, so
// the inner size stays known before the batch is bound.
func TestReshapeZeroMinusOneOnSymbolicBatch(t *testing.T) {
	b := newModel(13).input("x", -1, 3, 3, 4).output("y").ints("t", 0, -1).weight("w", seq(36, 2)).
		node("Reshape", []string{"x", "t"}, "r").
		node("MatMul", []string{"r", "w"}, "y")
	g := b.load(t)
	if got := g.Nodes[0].Attrs.Shape; fmt.Sprint(got) != "[0 36]" {
		t.Errorf("Reshape target %v, want [0 36]", got)
	}
	if got := g.Outputs[0].Shape; !got.Equal(ir.Shape{-1, 2}) {
		t.Errorf("output shape %v, want [? 2]", got)
	}
}
