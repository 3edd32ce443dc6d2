package onnx

import (
	"strings"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// TestResizeRefusals: every Resize/Upsample feature mnc does not compute is
// refused with an error naming the node and the attribute.
func TestResizeRefusals(t *testing.T) {
	scales := func(b *modelBuilder) *modelBuilder {
		b.g.Initializer = append(b.g.Initializer, floatTensor("scales", []int{4}, []float32{1, 1, 2, 2}))
		return b
	}
	for _, c := range []struct {
		opset int64
		at    []*pb.AttributeProto
		in    []string
		want  string
	}{
		{13, []*pb.AttributeProto{attrString("mode", "cubic")}, []string{"x", "", "scales"}, `attribute mode="cubic" is not supported`},
		{18, []*pb.AttributeProto{attrInt("antialias", 1), attrString("mode", "linear")}, []string{"x", "", "scales"}, `attribute antialias=1 is not supported`},
		{13, []*pb.AttributeProto{attrString("coordinate_transformation_mode", "tf_crop_and_resize")}, []string{"x", "", "scales"},
			`attribute coordinate_transformation_mode="tf_crop_and_resize" is not supported`},
		{13, []*pb.AttributeProto{attrString("nearest_mode", "nearest")}, []string{"x", "", "scales"}, `attribute nearest_mode="nearest" is not one of`},
		{13, []*pb.AttributeProto{attrString("coordinate_transformation_mode", "half_pixel_symmetric")}, []string{"x", "", "scales"}, `needs opset 19`},
		{13, nil, []string{"x", "", "x"}, `scales: input 2 ("x") must be a constant`},
	} {
		b := scales(newModel(c.opset).input("x", 1, 2, 3, 3).output("y")).node("Resize", c.in, "y", c.at...)
		_, err := Read("m.onnx", b.bytes(t), "")
		if err == nil || !strings.Contains(err.Error(), `node "y_node" (Resize)`) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v\nwant one naming the node and containing %s", err, c.want)
		}
	}
	// Resizing the channels is refused too.
	b := newModel(13).input("x", 1, 2, 3, 3).output("y")
	b.g.Initializer = append(b.g.Initializer, floatTensor("scales", []int{4}, []float32{1, 2, 2, 2}))
	b.node("Resize", []string{"x", "", "scales"}, "y")
	if _, err := Read("m.onnx", b.bytes(t), ""); err == nil || !strings.Contains(err.Error(), "axis 1") {
		t.Errorf("channel resize: error %v", err)
	}
}

// TestResizeSizesFromShapeChain: sizes computed by Shape → Slice → Concat on
// static shapes (as PyTorch exports F.interpolate(size=...)) fold at import.
func TestResizeSizesFromShapeChain(t *testing.T) {
	b := newModel(13).input("x", 1, 2, 3, 5).input("ref", 1, 4, 6, 7).output("y").
		ints("s0", 0).ints("s2", 2).ints("s4", 4).
		node("Shape", []string{"x"}, "shx").
		node("Slice", []string{"shx", "s0", "s2"}, "nc").
		node("Shape", []string{"ref"}, "shr").
		node("Slice", []string{"shr", "s2", "s4"}, "hw").
		node("Concat", []string{"nc", "hw"}, "sizes", attrInt("axis", 0)).
		node("Resize", []string{"x", "", "", "sizes"}, "r", attrString("mode", "linear"), attrString("coordinate_transformation_mode", "align_corners")).
		node("Identity", []string{"r"}, "y")
	g, err := Read("m.onnx", b.bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	var rs *ir.Node
	for _, n := range g.Nodes {
		if n.Op == ir.OpResize {
			rs = n
		}
	}
	if rs == nil || rs.Attrs.ResizeSizes != [2]int{6, 7} || !g.Outputs[0].Shape.Equal(ir.Shape{1, 2, 6, 7}) {
		t.Fatalf("resize %v, output %v", rs, g.Outputs[0].Shape)
	}
	// align_corners maps the corners onto each other.
	x := reference.FixedInput(1, 2, 3, 5)
	out, err := reference.Run(g, map[string]*ir.Tensor{"x": x, "ref": reference.FixedInput(1, 4, 6, 7)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	y := out[g.Outputs[0].Name]
	if y.Data[0] != x.Data[0] || y.Data[6*7-1] != x.Data[3*5-1] {
		t.Errorf("corners %g %g, want %g %g", y.Data[0], y.Data[6*7-1], x.Data[0], x.Data[3*5-1])
	}
}
