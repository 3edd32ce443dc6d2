package onnx

import (
	"strings"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
	"google.golang.org/protobuf/proto"
)

// split adds a Split node with the given outputs.
func (b *modelBuilder) split(in []string, outs []string, at ...*pb.AttributeProto) *modelBuilder {
	b.g.Node = append(b.g.Node, &pb.NodeProto{OpType: proto.String("Split"), Name: proto.String(outs[0] + "_node"),
		Input: in, Output: outs, Attribute: at})
	return b
}

// TestSplitImport: Split of an activation in each opset's spelling becomes
// IR Slices with the right channel ranges (opset 18's num_outputs leaves
// the last part smaller), bad sizes are refused by name, and at -O2 the
// parts feeding 1×1 convs cost no step (slice-in-place) and match the
// reference; Slice of an activation imports too, and both export.
func TestSplitImport(t *testing.T) {
	w := func(n, c int) *ir.Tensor { return seq(n, c, 1, 1) }
	for _, c := range []struct {
		name  string
		b     *modelBuilder
		sizes []int
	}{
		{"opset 18 num_outputs", newModel(18).input("x", 1, 7, 3, 4).split([]string{"x"}, []string{"a", "b", "c"}, attrInt("axis", 1), attrInt("num_outputs", 3)), []int{3, 3, 1}},
		{"opset 11 attribute", newModel(11).input("x", 1, 7, 3, 4).split([]string{"x"}, []string{"a", "b", "c"}, attrInt("axis", -3), attrInts("split", []int{2, 4, 1})), []int{2, 4, 1}},
		{"opset 13 input", newModel(13).input("x", 1, 7, 3, 4).ints("s", 5, 1, 1).split([]string{"x", "s"}, []string{"a", "b", "c"}, attrInt("axis", 1)), []int{5, 1, 1}},
		{"opset 13 equal", newModel(13).input("x", 1, 6, 3, 4).split([]string{"x"}, []string{"a", "b", "c"}, attrInt("axis", 1)), []int{2, 2, 2}},
	} {
		b := c.b
		for k, o := range []string{"a", "b", "c"} {
			b = b.weight("w"+o, w(2+k, c.sizes[k])).node("Conv", []string{o, "w" + o}, "y"+o)
		}
		g := b.output("ya", "yb", "yc").load(t)
		if n := countOps(g)[ir.OpSlice]; n != 3 {
			t.Fatalf("%s: %d Slice nodes, want 3", c.name, n)
		}
		for k, n := range g.Nodes[:3] {
			if got := n.Output().Shape[1]; got != c.sizes[k] {
				t.Errorf("%s: part %d has %d channels, want %d", c.name, k, got, c.sizes[k])
			}
		}
		p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: 1, Verify: true}, mustSet(t))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, s := range p.Steps {
			if s.Op == ir.OpSlice {
				t.Errorf("%s: a Slice step is left (%s)", c.name, s.Name)
			}
		}
		x := seq(g.Inputs[0].Shape...)
		want, err := reference.Run(g, map[string]*ir.Tensor{"x": x}, nil)
		if err != nil {
			t.Fatal(err)
		}
		e, err := runtime.New(p, runtime.Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		outs := e.NewOutputs()
		if err := e.Run([]*ir.Tensor{x}, outs); err != nil {
			t.Fatal(err)
		}
		e.Close()
		for k, o := range g.Outputs {
			if ok, msg := reference.Close(outs[k], want[o.Name], 1e-5); !ok {
				t.Errorf("%s: %s: %s", c.name, o.Name, msg)
			}
		}
		expectIdentical(t, g, roundTrip(t, g))
	}
	for _, c := range []struct {
		name, want string
		b          *modelBuilder
	}{
		{"sizes", "add up to 6", newModel(13).input("x", 1, 7, 3, 4).ints("s", 5, 1).split([]string{"x", "s"}, []string{"a", "b"}, attrInt("axis", 1))},
		{"uneven", "does not split into 2 equal parts", newModel(13).input("x", 1, 7, 3, 4).split([]string{"x"}, []string{"a", "b"}, attrInt("axis", 1))},
		{"num_outputs", "num_outputs", newModel(18).input("x", 1, 7, 3, 4).split([]string{"x"}, []string{"a", "b"}, attrInt("axis", 1))},
		{"count", "3 split sizes", newModel(11).input("x", 1, 7, 3, 4).split([]string{"x"}, []string{"a", "b"}, attrInts("split", []int{2, 4, 1}))},
	} {
		_, err := Read("test.onnx", c.b.output("a", "b").bytes(t), "")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "Split") {
			t.Errorf("%s: %v, want an error naming the Split with %q", c.name, err, c.want)
		}
	}
	// Slice of an activation (opset 13, constant bounds): channels 1… of x.
	g := newModel(13).input("x", 1, 7, 3, 4).ints("st", 1).ints("en", 1<<40).ints("ax", 1).
		node("Slice", []string{"x", "st", "en", "ax"}, "s").weight("w", w(3, 6)).node("Conv", []string{"s", "w"}, "y").output("y").load(t)
	if n := countOps(g)[ir.OpSlice]; n != 1 || !g.Nodes[0].Output().Shape.Equal(ir.Shape{1, 6, 3, 4}) {
		t.Fatalf("Slice import: %d nodes, shape %v", n, g.Nodes[0].Output().Shape)
	}
	expectIdentical(t, g, roundTrip(t, g))
}

func mustSet(t *testing.T) *kernels.Set {
	t.Helper()
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	return set
}
