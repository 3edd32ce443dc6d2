package frontend

import "github.com/mnc-go/mnc/ir"

// ResizeBilinear resizes x's H and W to h×w bilinearly with
// align_corners=False (PyTorch's F.interpolate(size=..., mode="bilinear"),
// ONNX's half_pixel).
func (b *Builder) ResizeBilinear(name string, x *ir.Value, h, w int) *ir.Value {
	if b.err != nil {
		return x
	}
	return b.node(ir.OpResize, name, ir.Attrs{ResizeMode: "linear", CoordMode: "half_pixel", ResizeSizes: [2]int{h, w}}, x)
}

// Sigmoid adds a logistic sigmoid.
func (b *Builder) Sigmoid(name string, x *ir.Value) *ir.Value {
	if b.err != nil {
		return x
	}
	return b.node(ir.OpSigmoid, name, ir.Attrs{}, x)
}

// Dilate makes the stride-1 convolution producing v dilated by d, with
// padding d·(k−1)/2 so its output keeps its size (torchvision's dilated
// MobileNetV3 stages).
func (b *Builder) Dilate(v *ir.Value, d int) {
	n := v.Producer
	if b.err != nil || n == nil {
		return
	}
	if n.Op != ir.OpConv || n.Attrs.Strides != [2]int{1, 1} || d < 1 {
		b.Failf("dilate %q: want a stride-1 Conv and a positive dilation", v.Name)
		return
	}
	w := n.Input(1).Shape
	ph, pw := d*(w[2]-1)/2, d*(w[3]-1)/2
	n.Attrs.Dilations = [2]int{d, d}
	n.Attrs.Pads = [4]int{ph, pw, ph, pw}
	s, err := ir.InferNode(n)
	if err != nil || !s.Equal(v.Shape) {
		b.Failf("dilate %q: output %v changes to %v (%v)", v.Name, v.Shape, s, err)
	}
}
