package reference

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// transpose is ONNX Transpose: output axis i is input axis perm[i].
func transpose(x *ir.Tensor, perm []int, shape ir.Shape) *ir.Tensor {
	out := ir.NewTensor(shape...)
	inStride := strides(x.Shape)
	for i := range out.Data {
		rem, off := i, 0
		for d := len(shape) - 1; d >= 0; d-- {
			off += (rem % shape[d]) * inStride[perm[d]]
			rem /= shape[d]
		}
		out.Data[i] = x.Data[off]
	}
	return out
}

// concat is ONNX Concat along axis (negative counts from the end).
func concat(in []*ir.Tensor, axis int, shape ir.Shape) (*ir.Tensor, error) {
	ax := axis
	if ax < 0 {
		ax += len(shape)
	}
	outer := 1
	for _, d := range shape[:ax] {
		outer *= d
	}
	inner := 1
	for _, d := range shape[ax+1:] {
		inner *= d
	}
	out := ir.NewTensor(shape...)
	pos := 0
	for o := 0; o < outer; o++ {
		for i, t := range in {
			if t == nil {
				return nil, fmt.Errorf("concat input %d is missing", i)
			}
			chunk := t.Shape[ax] * inner
			pos += copy(out.Data[pos:], t.Data[o*chunk:(o+1)*chunk])
		}
	}
	return out, nil
}

// pad is ONNX Pad with PadAmounts in ONNX order (all begins, then all ends;
// negative amounts crop). Modes: constant (PadValue), reflect (mirror
// without repeating the edge, as numpy), edge (repeat the edge).
func pad(a *ir.Attrs, x *ir.Tensor, shape ir.Shape) (*ir.Tensor, error) {
	rank := len(x.Shape)
	mode := a.PadMode
	if mode == "" {
		mode = "constant"
	}
	out := ir.NewTensor(shape...)
	inStride := strides(x.Shape)
	for i := range out.Data {
		rem, off, inside := i, 0, true
		for d := rank - 1; d >= 0; d-- {
			p := rem%shape[d] - a.PadAmounts[d]
			rem /= shape[d]
			n := x.Shape[d]
			if p < 0 || p >= n {
				switch {
				case mode == "constant" || n == 0:
					inside = false
				case mode == "edge":
					p = clampInt(p, 0, n-1)
				case mode == "reflect":
					p = ir.ReflectIndex(p, n)
				default:
					return nil, fmt.Errorf("unsupported pad mode %q", a.PadMode)
				}
			}
			off += p * inStride[d]
		}
		if inside {
			out.Data[i] = x.Data[off]
		} else {
			out.Data[i] = a.PadValue
		}
	}
	return out, nil
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
