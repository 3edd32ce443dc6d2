package reference

import "github.com/mnc-go/mnc/ir"

// argMax is ONNX ArgMax on row-major x (resized first when a Resize is
// fused into it): for every position of the other axes, the index along
// the axis of the largest value (ir.ArgMaxBetter decides ties and NaN), as
// a float32 integer.
func argMax(a *ir.Attrs, x *ir.Tensor, shape ir.Shape) *ir.Tensor {
	if a.ResizeMode != "" { // a fused Resize (fuse-resize-argmax): resize first
		r := ir.ResizeOf(a)
		x = resize(&r, x, nil, ir.ArgMaxInput(a, x.Shape))
	}
	k := ir.ArgMaxAxis(a, len(x.Shape))
	outer, n, inner := 1, x.Shape[k], 1
	for _, d := range x.Shape[:k] {
		outer *= d
	}
	for _, d := range x.Shape[k+1:] {
		inner *= d
	}
	y := ir.NewTensor(shape...)
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			best, at := x.Data[base], 0
			for j := 1; j < n; j++ {
				if v := x.Data[base+j*inner]; ir.ArgMaxBetter(v, best, a.SelectLastIndex) {
					best, at = v, j
				}
			}
			y.Data[o*inner+i] = float32(at)
		}
	}
	return y
}
