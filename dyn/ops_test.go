package dyn

import (
	"reflect"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

func tn(dt DType, shape []int, v ...float64) *Tensor { return &Tensor{DT: dt, Shape: shape, V: v} }
func f32(shape []int, v ...float64) *Tensor          { return tn(Float, shape, v...) }
func i64(shape []int, v ...float64) *Tensor          { return tn(Int64, shape, v...) }

func attrI(name string, v int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}
func attrInts(name string, v ...int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_INTS.Enum(), Ints: v}
}
func attrG(name string, g *pb.GraphProto) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_GRAPH.Enum(), G: g}
}

func node(op string, in, out []string, attrs ...*pb.AttributeProto) *pb.NodeProto {
	return &pb.NodeProto{OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
}

func vi(names ...string) []*pb.ValueInfoProto {
	var r []*pb.ValueInfoProto
	for _, n := range names {
		r = append(r, &pb.ValueInfoProto{Name: proto.String(n)})
	}
	return r
}

// runNode runs one node on inputs a, b, c... and returns its outputs.
func runNode(t *testing.T, n *pb.NodeProto, ins ...*Tensor) []*Tensor {
	t.Helper()
	feed := map[string]*Tensor{}
	for i, x := range ins {
		if x != nil {
			name := string(rune('a' + i))
			feed[name] = x
			n.Input = append(n.Input, name)
		} else {
			n.Input = append(n.Input, "")
		}
	}
	out, err := Run(Graph{G: &pb.GraphProto{Node: []*pb.NodeProto{n}, Output: vi(n.Output...)}, Opset: 17}, feed)
	if err != nil {
		t.Fatalf("%s: %v", n.GetOpType(), err)
	}
	return out
}

func same(t *testing.T, what string, got, want *Tensor) {
	t.Helper()
	if got.DT != want.DT || !reflect.DeepEqual(got.Shape, want.Shape) || !reflect.DeepEqual(got.V, want.V) && len(want.V)+len(got.V) > 0 {
		t.Errorf("%s: got %v %v, want %v %v", what, got, got.V, want, want.V)
	}
}

// Hand-worked cases for the operators the NMS model does not exercise.
func TestOps(t *testing.T) {
	x := f32([]int{2, 3}, 1.5, -2.5, 3, 0, 7, -1)
	same(t, "Ceil", runNode(t, node("Ceil", nil, []string{"y"}), x)[0], f32([]int{2, 3}, 2, -2, 3, 0, 7, -1))
	same(t, "Floor", runNode(t, node("Floor", nil, []string{"y"}), x)[0], f32([]int{2, 3}, 1, -3, 3, 0, 7, -1))
	same(t, "Cast", runNode(t, node("Cast", nil, []string{"y"}, attrI("to", int64(Int64))), x)[0], i64([]int{2, 3}, 1, -2, 3, 0, 7, -1))
	same(t, "ReduceProd", runNode(t, node("ReduceProd", nil, []string{"y"}, attrInts("axes", 1), attrI("keepdims", 0)), x)[0], f32([]int{2}, -11.25, 0))
	same(t, "ReduceMin", runNode(t, node("ReduceMin", nil, []string{"y"}), x)[0], f32([]int{1, 1}, -2.5))
	same(t, "ReduceMax axes input", runNode(t, node("ReduceMax", nil, []string{"y"}), x, i64([]int{1}, 0))[0], f32([]int{1, 3}, 1.5, 7, 3))
	b := tn(Bool, []int{3}, 1, 0, 1)
	c := tn(Bool, []int{3}, 1, 1, 0)
	same(t, "And", runNode(t, node("And", nil, []string{"y"}), b, c)[0], tn(Bool, []int{3}, 1, 0, 0))
	same(t, "Or", runNode(t, node("Or", nil, []string{"y"}), b, c)[0], tn(Bool, []int{3}, 1, 1, 1))
	same(t, "Not", runNode(t, node("Not", nil, []string{"y"}), b)[0], tn(Bool, []int{3}, 0, 1, 0))
	same(t, "Where broadcast", runNode(t, node("Where", nil, []string{"y"}), b, f32([]int{2, 1}, 10, 20), f32([]int{}, -1))[0],
		f32([]int{2, 3}, 10, -1, 10, 20, -1, 20))
	same(t, "Max variadic", runNode(t, node("Max", nil, []string{"y"}), f32([]int{3}, 1, 5, 2), f32([]int{1}, 3), f32([]int{3}, 0, 0, 4))[0], f32([]int{3}, 3, 5, 4))
	same(t, "Min variadic", runNode(t, node("Min", nil, []string{"y"}), f32([]int{3}, 1, 5, 2), f32([]int{1}, 3))[0], f32([]int{3}, 1, 3, 2))
	sp := runNode(t, node("Split", nil, []string{"p", "q"}, attrI("axis", 1)), f32([]int{2, 4}, 0, 1, 2, 3, 4, 5, 6, 7), i64([]int{2}, 1, 3))
	same(t, "Split 0", sp[0], f32([]int{2, 1}, 0, 4))
	same(t, "Split 1", sp[1], f32([]int{2, 3}, 1, 2, 3, 5, 6, 7))
	same(t, "Expand", runNode(t, node("Expand", nil, []string{"y"}), f32([]int{2, 1}, 1, 2), i64([]int{2}, 2, 3))[0], f32([]int{2, 3}, 1, 1, 1, 2, 2, 2))
	same(t, "Tile", runNode(t, node("Tile", nil, []string{"y"}), f32([]int{1, 2}, 1, 2), i64([]int{2}, 2, 2))[0], f32([]int{2, 4}, 1, 2, 1, 2, 1, 2, 1, 2))
	same(t, "ConstantOfShape", runNode(t, node("ConstantOfShape", nil, []string{"y"}), i64([]int{2}, 1, 2))[0], f32([]int{1, 2}, 0, 0))
	same(t, "Range float", runNode(t, node("Range", nil, []string{"y"}), f32([]int{}, 1), f32([]int{}, 2), f32([]int{}, 0.25))[0], f32([]int{4}, 1, 1.25, 1.5, 1.75))
	same(t, "Range empty", runNode(t, node("Range", nil, []string{"y"}), i64([]int{}, 5), i64([]int{}, 2), i64([]int{}, 1))[0], i64([]int{0}))
	same(t, "Slice negative step", runNode(t, node("Slice", nil, []string{"y"}), f32([]int{5}, 0, 1, 2, 3, 4), i64([]int{1}, -1), i64([]int{1}, -1e18), i64([]int{1}, 0), i64([]int{1}, -2))[0], f32([]int{3}, 4, 2, 0))
	same(t, "NonZero", runNode(t, node("NonZero", nil, []string{"y"}), f32([]int{2, 2}, 0, 3, 4, 0))[0], i64([]int{2, 2}, 0, 1, 1, 0))
	same(t, "NonZero none", runNode(t, node("NonZero", nil, []string{"y"}), f32([]int{2}, 0, 0))[0], i64([]int{1, 0}))
	// GatherND with a batch dim: data [2,2,2], indices [2,1] → [2,2].
	same(t, "GatherND batch_dims", runNode(t, node("GatherND", nil, []string{"y"}, attrI("batch_dims", 1)), f32([]int{2, 2, 2}, 0, 1, 2, 3, 4, 5, 6, 7), i64([]int{2, 1}, 1, 0))[0], f32([]int{2, 2}, 2, 3, 4, 5))
	same(t, "ScatterND", runNode(t, node("ScatterND", nil, []string{"y"}), f32([]int{4}, 1, 2, 3, 4), i64([]int{2, 1}, 3, 0), f32([]int{2}, 9, 8))[0], f32([]int{4}, 8, 2, 3, 9))
	tk := runNode(t, node("TopK", nil, []string{"v", "i"}, attrI("largest", 0)), f32([]int{5}, 3, 1, 2, 1, 5), i64([]int{1}, 3))
	same(t, "TopK smallest values", tk[0], f32([]int{3}, 1, 1, 2))
	same(t, "TopK ties: lower index first", tk[1], i64([]int{3}, 1, 3, 2))
	// NMS, centre boxes: 0 and 1 overlap (IoU 80/120 > 0.5), 2 is apart.
	// Class 0: box 1 suppresses box 0; box 2 would stay but the cap is 1.
	// Class 1: boxes 2 (0.8) and 0 (0.5) score above 0.3; the cap keeps box 2.
	boxes := f32([]int{1, 3, 4}, 5, 5, 10, 10, 7, 5, 10, 10, 50, 50, 10, 10)
	scores := f32([]int{1, 2, 3}, 0.9, 0.95, 0.7, 0.5, 0.1, 0.8)
	sel := runNode(t, node("NonMaxSuppression", nil, []string{"y"}, attrI("center_point_box", 1)), boxes, scores, i64([]int{1}, 1), f32([]int{1}, 0.5), f32([]int{1}, 0.3))[0]
	same(t, "NonMaxSuppression cap 1", sel, i64([]int{2, 3}, 0, 0, 1, 0, 1, 2))
	sel = runNode(t, node("NonMaxSuppression", nil, []string{"y"}, attrI("center_point_box", 1)), boxes, scores, i64([]int{1}, 5), f32([]int{1}, 0.5), f32([]int{1}, 0.3))[0]
	same(t, "NonMaxSuppression", sel, i64([]int{4, 3}, 0, 0, 1, 0, 0, 2, 0, 1, 2, 0, 1, 0))
}

// If and Loop read the outer scope; Loop carries a value and stacks a
// scan output, stopping on the body's condition.
func TestControlFlow(t *testing.T) {
	then := &pb.GraphProto{Node: []*pb.NodeProto{node("Add", []string{"a", "a"}, []string{"t"})}, Output: vi("t")}
	els := &pb.GraphProto{Node: []*pb.NodeProto{node("Neg", []string{"a"}, []string{"e"})}, Output: vi("e")}
	g := &pb.GraphProto{Node: []*pb.NodeProto{node("If", []string{"c"}, []string{"y"}, attrG("then_branch", then), attrG("else_branch", els))}, Output: vi("y")}
	for c, want := range map[float64]float64{1: 6, 0: -3} {
		out, err := Run(Graph{G: g, Opset: 17}, map[string]*Tensor{"a": f32([]int{1}, 3), "c": tn(Bool, []int{}, c)})
		if err != nil || out[0].V[0] != want {
			t.Errorf("If(%v): %v %v, want %v", c, out, err, want)
		}
	}
	// body(i, cond, acc): acc' = acc + i·a; cond' = acc' < 10; scan i.
	body := &pb.GraphProto{
		Input: vi("i", "cin", "acc"),
		Node: []*pb.NodeProto{
			node("Cast", []string{"i"}, []string{"fi"}, attrI("to", int64(Float))),
			node("Mul", []string{"fi", "a"}, []string{"ia"}),
			node("Add", []string{"acc", "ia"}, []string{"acc2"}),
			node("Less", []string{"acc2", "ten"}, []string{"cout"}),
			node("Identity", []string{"fi"}, []string{"scan"}),
		},
		Output: vi("cout", "acc2", "scan"),
	}
	lg := &pb.GraphProto{Node: []*pb.NodeProto{node("Loop", []string{"m", "", "acc0"}, []string{"acc", "scans"}, attrG("body", body))}, Output: vi("acc", "scans")}
	out, err := Run(Graph{G: lg, Opset: 17}, map[string]*Tensor{"m": i64([]int{}, 100), "acc0": f32([]int{1}, 0), "a": f32([]int{1}, 2), "ten": f32([]int{}, 10)})
	if err != nil {
		t.Fatal(err)
	}
	// acc: 0, 2, 6, 12 (stops after i=3).
	same(t, "Loop carried", out[0], f32([]int{1}, 12))
	same(t, "Loop scan", out[1], f32([]int{4}, 0, 1, 2, 3))
}

// Bad inputs give one error naming the node, never a panic.
func TestOpErrors(t *testing.T) {
	for _, c := range []struct {
		n   *pb.NodeProto
		ins []*Tensor
	}{
		{node("Range", nil, []string{"y"}), []*Tensor{i64([]int{0}), i64([]int{}, 3), i64([]int{}, 1)}},
		{node("Expand", nil, []string{"y"}), []*Tensor{f32([]int{1}, 1), i64([]int{1}, -2)}},
		{node("Gather", nil, []string{"y"}), []*Tensor{f32([]int{2}, 1, 2), i64([]int{1}, 5)}},
		{node("TopK", nil, []string{"v", "i"}), []*Tensor{f32([]int{2}, 1, 2), i64([]int{1}, 3)}},
		{node("Reshape", nil, []string{"y"}), []*Tensor{f32([]int{2}, 1, 2), i64([]int{1}, 3)}},
		{node("Split", nil, []string{"p"}, attrI("num_outputs", 0)), []*Tensor{f32([]int{2}, 1, 2)}},
		{node("Concat", nil, []string{"y"}, attrI("axis", 3)), []*Tensor{f32([]int{2}, 1, 2)}},
		{node("GatherND", nil, []string{"y"}), []*Tensor{f32([]int{2}, 1, 2), i64([]int{1, 3}, 0, 0, 0)}},
		{node("Transpose", nil, []string{"y"}, attrInts("perm", 0, 0)), []*Tensor{f32([]int{1, 1}, 1)}},
		{node("NonMaxSuppression", nil, []string{"y"}), []*Tensor{f32([]int{1, 1, 3}, 1, 2, 3), f32([]int{1, 1, 1}, 1)}},
	} {
		feed := map[string]*Tensor{}
		for i, x := range c.ins {
			name := string(rune('a' + i))
			feed[name] = x
			c.n.Input = append(c.n.Input, name)
		}
		_, err := Run(Graph{G: &pb.GraphProto{Node: []*pb.NodeProto{c.n}, Output: vi(c.n.Output...)}, Opset: 17}, feed)
		if err == nil {
			t.Errorf("%s: no error", c.n.GetOpType())
		}
	}
}
