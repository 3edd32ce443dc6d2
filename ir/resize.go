package ir

import (
	"fmt"
	"math"
	"slices"
)

// Resize modes mnc computes (ONNX Resize and Upsample, on H and W of a 4-D
// NCHW tensor). The reference executor and the runtime both build their
// index tables with ResizeTable, so the coordinate arithmetic is written once.
var (
	ResizeModes  = []string{"nearest", "linear"}
	CoordModes   = []string{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "half_pixel_symmetric"}
	NearestModes = []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
)

func init() {
	RegisterOp(OpResize, OpInfo{Name: "Resize", Attrs: "ResizeMode, CoordMode, NearestMode, ResizeScales, ResizeSizes, Fused.Residual (input 1 added)",
		Infer: inferResize, Eval: "reference/dense.go resize"})
	RegisterOp(OpConvTranspose, OpInfo{Name: "ConvTranspose", MinInputs: 2, Attrs: "Strides, Pads, Dilations, Group, OutputPadding",
		Infer: inferConvTranspose, Eval: "reference/dense.go convTranspose"})
	// ConvTranspose also reads Fused (an activation; no residual) once fusion passes set it.
}

// ResizeOutSize is the output length along one axis: the given size, or
// floor(in·scale).
func ResizeOutSize(in int, scale float32, size int) int {
	if size > 0 {
		return size
	}
	if in < 0 {
		return -1
	}
	return int(math.Floor(float64(in) * float64(scale)))
}

// ResizeScale is the scale the coordinate transformation divides by: the
// given scale, or out/in when the output was given by its size.
func ResizeScale(scale float32, in, out int) float64 {
	if scale > 0 {
		return float64(scale)
	}
	return float64(out) / float64(in)
}

// ResizeSource maps output coordinate x of an axis resized from in to out
// (with scale s) to a coordinate in the input, as ONNX's
// coordinate_transformation_mode defines it. Like ONNX's reference, the
// resized length in align_corners and pytorch_half_pixel is in·scale, not
// rounded, when the output was given by a scale (given true).
func ResizeSource(coord string, x, in, out int, s float64, given bool) float64 {
	xf := float64(x)
	length := float64(out)
	if given {
		length = s * float64(in)
	}
	switch coord {
	case "pytorch_half_pixel":
		if length > 1 {
			return (xf+0.5)/s - 0.5
		}
		return 0
	case "align_corners":
		if length > 1 {
			return xf * float64(in-1) / (length - 1)
		}
		return 0
	case "asymmetric":
		return xf / s
	case "half_pixel_symmetric":
		adj := float64(out) / (s * float64(in))
		center := float64(in) / 2
		return center*(1-adj) + (xf+0.5)/s - 0.5
	}
	return (xf+0.5)/s - 0.5 // half_pixel, the default
}

// ResizeTable returns, for each output position along one axis, the two
// input positions and the weight of the second: the value is
// (1−w)·x[i0] + w·x[i1]. Nearest modes give i1 = i0 and w = 0. Positions
// outside the input are clamped to its edge (ONNX pads with edge values).
func ResizeTable(a *Attrs, axis, in, out int) (i0, i1 []int, w []float64) {
	s := ResizeScale(a.ResizeScales[axis], in, out)
	i0, i1, w = make([]int, out), make([]int, out), make([]float64, out)
	clamp := func(p int) int { return min(max(p, 0), in-1) }
	for x := 0; x < out; x++ {
		src := ResizeSource(a.CoordMode, x, in, out, s, a.ResizeScales[axis] > 0)
		if a.ResizeMode == "linear" {
			f := math.Floor(src)
			i0[x], i1[x], w[x] = clamp(int(f)), clamp(int(f)+1), src-f
			continue
		}
		var p float64
		switch a.NearestMode {
		case "floor":
			p = math.Floor(src)
		case "ceil":
			p = math.Ceil(src)
		case "round_prefer_ceil":
			p = math.Floor(src + 0.5)
		default: // round_prefer_floor
			p = math.Ceil(src - 0.5)
		}
		i0[x] = clamp(int(p))
		i1[x] = i0[x]
	}
	return i0, i1, w
}

func inferResize(n *Node) (Shape, error) {
	fail := func(f string, args ...any) (Shape, error) { return fail(n, f, args...) }
	a, x := &n.Attrs, n.Input(0).Shape
	if len(x) != 4 {
		return fail("input must be 4-D NCHW, got %v", x)
	}
	if !slices.Contains(ResizeModes, a.ResizeMode) {
		return fail("mode %q is not supported (nearest, linear)", a.ResizeMode)
	}
	if !slices.Contains(CoordModes, a.CoordMode) {
		return fail("coordinate_transformation_mode %q is not supported", a.CoordMode)
	}
	if a.ResizeMode == "nearest" && !slices.Contains(NearestModes, a.NearestMode) {
		return fail("nearest_mode %q is not supported", a.NearestMode)
	}
	out := x.Clone()
	for k := 0; k < 2; k++ {
		sc, sz := a.ResizeScales[k], a.ResizeSizes[k]
		if sz < 0 || sc < 0 || sc != sc || sz == 0 && sc == 0 || sc > 1<<20 || sz > 1<<30 {
			return fail("scale %g and size %d of axis %d: one must be positive", sc, sz, k+2)
		}
		out[k+2] = ResizeOutSize(x[k+2], sc, sz)
		if x[k+2] == 0 || out[k+2] == 0 {
			return fail("axis %d resizes %d to %d", k+2, x[k+2], out[k+2])
		}
	}
	if a.Fused.Act != ActNone {
		return fail("a fused activation is not supported on Resize")
	}
	if err := checkResidual(n, 1, out); err != nil { // fuse-upsample-add: out = resize(x) + input 1
		return nil, err
	}
	return out, nil
}

// ConvTransposeOutSize is the output length of a transposed convolution
// along one axis.
func ConvTransposeOutSize(in, k, stride, padBegin, padEnd, dilation, outPad int) int {
	if in < 0 {
		return -1
	}
	return stride*(in-1) + outPad + dilation*(k-1) + 1 - padBegin - padEnd
}

func inferConvTranspose(n *Node) (Shape, error) {
	fail := func(f string, args ...any) (Shape, error) { return fail(n, f, args...) }
	a, x, w := &n.Attrs, n.Input(0).Shape, n.Input(1).Shape
	if len(x) != 4 {
		return fail("input %q must be 4-D NCHW, got %v", n.Input(0).Name, x)
	}
	if len(w) != 4 {
		return fail("weight %q must be 4-D [in, out/group, kh, kw], got %v", n.Input(1).Name, w)
	}
	g := a.Group
	if g <= 0 {
		return fail("group %d must be positive", g)
	}
	for _, d := range w {
		if d <= 0 || d > MaxDim {
			return fail("weight %q has shape %v: every dimension must be between 1 and %d", n.Input(1).Name, w, MaxDim)
		}
	}
	if a.Fused.Residual {
		return fail("a fused residual is not supported on ConvTranspose")
	}
	for k := 0; k < 2; k++ {
		if a.Strides[k] <= 0 || a.Dilations[k] <= 0 || a.Strides[k] > 1<<20 || a.Dilations[k] > 1<<20 {
			return fail("strides %v and dilations %v must be positive and at most 2^20", a.Strides, a.Dilations)
		}
		if a.OutputPadding[k] < 0 || a.OutputPadding[k] >= max(a.Strides[k], a.Dilations[k]) {
			return fail("output_padding %v must be below the stride or dilation", a.OutputPadding)
		}
	}
	for _, p := range a.Pads {
		if p < -1<<20 || p > 1<<20 {
			return fail("pads %v out of range", a.Pads)
		}
	}
	if x[1] >= 0 && x[1] != w[0] {
		return fail("input has %d channels but weight %q expects %d", x[1], n.Input(1).Name, w[0])
	}
	if w[0]%g != 0 {
		return fail("%d input channels not divisible by group %d", w[0], g)
	}
	m := w[1] * g
	if b := n.Input(2); b != nil && !(len(b.Shape) == 1 && b.Shape[0] == m) {
		return fail("bias %q has shape %v, want [%d]", b.Name, b.Shape, m)
	}
	oh := ConvTransposeOutSize(x[2], w[2], a.Strides[0], a.Pads[0], a.Pads[2], a.Dilations[0], a.OutputPadding[0])
	ow := ConvTransposeOutSize(x[3], w[3], a.Strides[1], a.Pads[1], a.Pads[3], a.Dilations[1], a.OutputPadding[1])
	if x[2] >= 0 && oh <= 0 || x[3] >= 0 && ow <= 0 {
		return fail("output %dx%d is empty (pads %v)", oh, ow, a.Pads)
	}
	return Shape{x[0], m, oh, ow}, nil
}

// denseAttrStrings renders Resize's and ConvTranspose's attributes for AttrString.
func denseAttrStrings(n *Node) []string {
	a := n.Attrs
	if n.Op == OpResize {
		p := []string{a.ResizeMode, a.CoordMode}
		if a.ResizeMode == "nearest" {
			p = append(p, a.NearestMode)
		}
		if a.ResizeSizes != [2]int{} {
			return append(p, fmt.Sprintf("sizes=%dx%d", a.ResizeSizes[0], a.ResizeSizes[1]))
		}
		return append(p, fmt.Sprintf("scales=%gx%g", a.ResizeScales[0], a.ResizeScales[1]))
	}
	var p []string
	if w := n.Input(1); w != nil && len(w.Shape) == 4 {
		p = append(p, fmt.Sprintf("k=%dx%d", w.Shape[2], w.Shape[3]))
	}
	p = append(p, fmt.Sprintf("s=%dx%d", a.Strides[0], a.Strides[1]), fmt.Sprintf("p=%d,%d,%d,%d", a.Pads[0], a.Pads[1], a.Pads[2], a.Pads[3]))
	if a.Dilations != [2]int{1, 1} {
		p = append(p, fmt.Sprintf("d=%dx%d", a.Dilations[0], a.Dilations[1]))
	}
	if a.OutputPadding != [2]int{} {
		p = append(p, fmt.Sprintf("outpad=%dx%d", a.OutputPadding[0], a.OutputPadding[1]))
	}
	if a.Group != 1 {
		p = append(p, fmt.Sprintf("g=%d", a.Group))
	}
	return p
}
