package onnx

import (
	"math"
	"strings"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"google.golang.org/protobuf/proto"
)

// int2d is an int64 initializer of any shape.
func intND(name string, shape []int, v ...int) *pb.TensorProto {
	t := intTensor(name, v)
	t.Dims = nil
	for _, d := range shape {
		t.Dims = append(t.Dims, int64(d))
	}
	return t
}

// foldModel is a model whose output y is computed from constants alone by
// the given nodes (the input x is only there to make it a model).
func foldModel(inits []*pb.TensorProto, nodes ...*pb.NodeProto) *modelBuilder {
	b := newModel(17).input("x", 1, 2)
	b.g.Initializer = append(b.g.Initializer, inits...)
	b.g.Node = nodes
	return b.output("y")
}

func node(op string, in []string, out string, at ...*pb.AttributeProto) *pb.NodeProto {
	return &pb.NodeProto{OpType: proto.String(op), Name: proto.String(out + "_node"), Input: in, Output: []string{out}, Attribute: at}
}

// TestFoldShapeArithmetic: every shape-arithmetic op folds at import to
// the value ONNX defines (integers and floats, broadcasting, booleans as
// 0/1); the graph output is that constant.
func TestFoldShapeArithmetic(t *testing.T) {
	i := func(name string, v ...int) *pb.TensorProto { return intTensor(name, v) }
	f := func(name string, v ...float32) *pb.TensorProto { return floatTensor(name, []int{len(v)}, v) }
	cases := []struct {
		name  string
		inits []*pb.TensorProto
		nodes []*pb.NodeProto
		shape ir.Shape
		want  []float32
	}{
		{"Ceil", []*pb.TensorProto{f("a", -1.5, 1.2, 2)}, []*pb.NodeProto{node("Ceil", []string{"a"}, "y")}, ir.Shape{3}, []float32{-1, 2, 2}},
		{"Floor", []*pb.TensorProto{f("a", -1.5, 1.7, 2)}, []*pb.NodeProto{node("Floor", []string{"a"}, "y")}, ir.Shape{3}, []float32{-2, 1, 2}},
		{"Round half to even", []*pb.TensorProto{f("a", 0.5, 1.5, 2.5, -0.5, 1.4)}, []*pb.NodeProto{node("Round", []string{"a"}, "y")}, ir.Shape{5}, []float32{0, 2, 2, 0, 1}},
		{"Sqrt", []*pb.TensorProto{f("a", 4, 2.25)}, []*pb.NodeProto{node("Sqrt", []string{"a"}, "y")}, ir.Shape{2}, []float32{2, 1.5}},
		{"Neg int", []*pb.TensorProto{i("a", 3, -4)}, []*pb.NodeProto{node("Neg", []string{"a"}, "y")}, ir.Shape{2}, []float32{-3, 4}},
		{"Abs", []*pb.TensorProto{i("a", 3, -4)}, []*pb.NodeProto{node("Abs", []string{"a"}, "y")}, ir.Shape{2}, []float32{3, 4}},
		{"Pow", []*pb.TensorProto{f("a", 2, 3), f("b", 3)}, []*pb.NodeProto{node("Pow", []string{"a", "b"}, "y")}, ir.Shape{2}, []float32{8, 27}},
		{"Pow int", []*pb.TensorProto{i("a", 2, -3), i("b", 3)}, []*pb.NodeProto{node("Pow", []string{"a", "b"}, "y")}, ir.Shape{2}, []float32{8, -27}},
		{"Div int truncates", []*pb.TensorProto{i("a", 7, -7), i("b", 2)}, []*pb.NodeProto{node("Div", []string{"a", "b"}, "y")}, ir.Shape{2}, []float32{3, -3}},
		{"Div float", []*pb.TensorProto{f("a", 7, -7), f("b", 2)}, []*pb.NodeProto{node("Div", []string{"a", "b"}, "y")}, ir.Shape{2}, []float32{3.5, -3.5}},
		{"Sub Mul broadcast", []*pb.TensorProto{intND("a", []int{2, 1}, 1, 2), i("b", 10, 20, 30)},
			[]*pb.NodeProto{node("Mul", []string{"a", "b"}, "m"), node("Sub", []string{"m", "b"}, "y")}, ir.Shape{2, 3}, []float32{0, 0, 0, 10, 20, 30}},
		{"Mod python", []*pb.TensorProto{i("a", 7, -7, 7, -7), i("b", 3, 3, -3, -3)}, []*pb.NodeProto{node("Mod", []string{"a", "b"}, "y")}, ir.Shape{4}, []float32{1, 2, -2, -1}},
		{"Mod fmod", []*pb.TensorProto{f("a", 7, -7), f("b", 3, 3)}, []*pb.NodeProto{node("Mod", []string{"a", "b"}, "y", attrInt("fmod", 1))}, ir.Shape{2}, []float32{1, -1}},
		{"Max of three", []*pb.TensorProto{i("a", 1, 5), i("b", 4), i("c", 0, 7)}, []*pb.NodeProto{node("Max", []string{"a", "b", "c"}, "y")}, ir.Shape{2}, []float32{4, 7}},
		{"Min float", []*pb.TensorProto{f("a", 1, 5), f("b", 4)}, []*pb.NodeProto{node("Min", []string{"a", "b"}, "y")}, ir.Shape{2}, []float32{1, 4}},
		{"Cast float to int", []*pb.TensorProto{f("a", 2.7, -2.7)}, []*pb.NodeProto{node("Cast", []string{"a"}, "y", attrInt("to", int(pb.TensorProto_INT64)))}, ir.Shape{2}, []float32{2, -2}},
		{"Cast to bool", []*pb.TensorProto{f("a", 0, -2.5)}, []*pb.NodeProto{node("Cast", []string{"a"}, "y", attrInt("to", int(pb.TensorProto_BOOL)))}, ir.Shape{2}, []float32{0, 1}},
		{"Equal Less Greater And Or Not", []*pb.TensorProto{i("a", 1, 2, 3), i("b", 2)}, []*pb.NodeProto{
			node("Equal", []string{"a", "b"}, "e"), node("Less", []string{"a", "b"}, "l"), node("Greater", []string{"a", "b"}, "g"),
			node("Or", []string{"e", "l"}, "le"), node("Not", []string{"le"}, "gt"), node("And", []string{"gt", "g"}, "y"),
		}, ir.Shape{3}, []float32{0, 0, 1}},
		{"Where", []*pb.TensorProto{i("a", 0, 5, 0), i("b", 9)}, []*pb.NodeProto{
			node("Equal", []string{"a", "b"}, "never"), node("Cast", []string{"a"}, "c", attrInt("to", int(pb.TensorProto_BOOL))),
			node("Where", []string{"c", "a", "b"}, "w"), node("Where", []string{"never", "b", "w"}, "y"),
		}, ir.Shape{3}, []float32{9, 5, 9}},
		{"Range ConstantOfShape", []*pb.TensorProto{i("s", 3)}, []*pb.NodeProto{
			node("ConstantOfShape", []string{"s"}, "z"), node("Shape", []string{"z"}, "n"), node("Squeeze", []string{"n"}, "n0"),
			node("Constant", nil, "one", &pb.AttributeProto{Name: proto.String("value"), Type: pb.AttributeProto_TENSOR.Enum(), T: intND("", nil, 1)}),
			node("Constant", nil, "zero", &pb.AttributeProto{Name: proto.String("value"), Type: pb.AttributeProto_TENSOR.Enum(), T: intND("", nil, 0)}),
			node("Range", []string{"zero", "n0", "one"}, "y"),
		}, ir.Shape{3}, []float32{0, 1, 2}},
		{"Expand", []*pb.TensorProto{intND("a", []int{2, 1}, 1, 2), i("s", 2, 3)}, []*pb.NodeProto{node("Expand", []string{"a", "s"}, "y")}, ir.Shape{2, 3}, []float32{1, 1, 1, 2, 2, 2}},
		{"Tile", []*pb.TensorProto{intND("a", []int{1, 2}, 1, 2), i("r", 2, 2)}, []*pb.NodeProto{node("Tile", []string{"a", "r"}, "y")}, ir.Shape{2, 4}, []float32{1, 2, 1, 2, 1, 2, 1, 2}},
		{"Unsqueeze Squeeze inputs", []*pb.TensorProto{i("a", 4, 5), i("ax", 0)}, []*pb.NodeProto{
			node("Unsqueeze", []string{"a", "ax"}, "u"), node("Squeeze", []string{"u", "ax"}, "y"),
		}, ir.Shape{2}, []float32{4, 5}},
		{"Size", []*pb.TensorProto{intND("a", []int{2, 3}, 1, 2, 3, 4, 5, 6)}, []*pb.NodeProto{node("Size", []string{"a"}, "y")}, ir.Shape{}, []float32{6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := Read("fold.onnx", foldModel(c.inits, c.nodes...).bytes(t), "")
			if err != nil {
				t.Fatal(err)
			}
			y := g.Outputs[0]
			for y.Producer != nil && y.Producer.Op == ir.OpIdentity {
				y = y.Producer.Input(0)
			}
			if !y.IsConst() {
				t.Fatalf("output is computed by %v, not folded", y.Producer)
			}
			if !y.Const.Shape.Equal(c.shape) || len(y.Const.Data) != len(c.want) {
				t.Fatalf("folded to %v %v, want %v %v", y.Const.Shape, y.Const.Data, c.shape, c.want)
			}
			for k := range c.want {
				if y.Const.Data[k] != c.want[k] {
					t.Fatalf("folded to %v, want %v", y.Const.Data, c.want)
				}
			}
		})
	}
}

// TestFoldOpsOldForms: Squeeze/Unsqueeze with the axes attribute (opset
// 11) fold too.
func TestFoldOpsOldForms(t *testing.T) {
	b := newModel(11).input("x", 1, 2)
	b.g.Initializer = append(b.g.Initializer, intTensor("a", []int{4, 5}))
	b.g.Node = []*pb.NodeProto{
		node("Unsqueeze", []string{"a"}, "u", attrInts("axes", []int{0})),
		node("Squeeze", []string{"u"}, "y", attrInts("axes", []int{0})),
	}
	g, err := Read("old.onnx", b.output("y").bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if y := g.Outputs[0].Producer.Input(0); !y.IsConst() || !y.Const.Shape.Equal(ir.Shape{2}) {
		t.Errorf("output %v, want a folded [2]", y)
	}
}

// TestFoldErrors: a fold-only op on the runtime tensor (data-dependent)
// and bad operands are errors naming the node.
func TestFoldErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		inits []*pb.TensorProto
		nodes []*pb.NodeProto
		want  []string
	}{
		{"data-dependent Ceil", nil, []*pb.NodeProto{node("Ceil", []string{"x"}, "y")}, []string{`"y_node" (Ceil)`, `"x"`, "runtime tensor"}},
		{"data-dependent Where", []*pb.TensorProto{intTensor("a", []int{1})}, []*pb.NodeProto{node("Where", []string{"a", "x", "x"}, "y")}, []string{`"y_node" (Where)`, "runtime tensor"}},
		{"Expand growing x", []*pb.TensorProto{intTensor("s", []int{3, 2})}, []*pb.NodeProto{node("Expand", []string{"x", "s"}, "y")}, []string{`"y_node" (Expand)`, "[3×2]"}},
		{"Mod by zero", []*pb.TensorProto{intTensor("a", []int{1}), intTensor("b", []int{0})}, []*pb.NodeProto{node("Mod", []string{"a", "b"}, "y")}, []string{"(Mod)", "modulo by zero"}},
		{"Tile too large", []*pb.TensorProto{intTensor("a", []int{1}), intTensor("r", []int{1 << 31})}, []*pb.NodeProto{node("Tile", []string{"a", "r"}, "y")}, []string{"(Tile)", "too large"}},
		{"Expand too large", []*pb.TensorProto{intTensor("a", []int{1}), intTensor("s", []int{1 << 20, 1 << 20})}, []*pb.NodeProto{node("Expand", []string{"a", "s"}, "y")}, []string{"(Expand)", "too large"}},
		{"Tile over the budget", []*pb.TensorProto{intTensor("a", []int{1}), intTensor("r", []int{1 << 27})}, []*pb.NodeProto{node("Tile", []string{"a", "r"}, "y")}, []string{"(Tile)", "folding it at import would make a constant of 134217728 elements"}},
		{"Expand over the budget", []*pb.TensorProto{intTensor("a", []int{1}), intTensor("s", []int{1 << 14, 1 << 13})}, []*pb.NodeProto{node("Expand", []string{"a", "s"}, "y")}, []string{"(Expand)", "folding it at import"}},
		{"Neg overflow", []*pb.TensorProto{intTensor("a", []int{math.MinInt64})}, []*pb.NodeProto{node("Neg", []string{"a"}, "y")}, []string{"(Neg)", "overflows int64"}},
		{"Pow overflow", []*pb.TensorProto{intTensor("a", []int{3}), intTensor("b", []int{50})}, []*pb.NodeProto{node("Pow", []string{"a", "b"}, "y")}, []string{"(Pow)", "Pow(3, 50) overflows int64"}},
		{"Where shapes", []*pb.TensorProto{intTensor("c", []int{1, 0}), intTensor("a", []int{1, 2, 3})}, []*pb.NodeProto{node("Where", []string{"c", "a", "a"}, "y")}, []string{"(Where)", "broadcast"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read("bad.onnx", foldModel(c.inits, c.nodes...).bytes(t), "")
			if err == nil {
				t.Fatal("imported without an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
