package reference

import (
	"fmt"
	"math"

	"github.com/mnc-go/mnc/ir"
)

// window lists, for output position o along one axis, the input positions
// its taps read that lie inside the input (valid) and how many of its taps
// lie inside the input or its padding (padded), which AveragePool with
// count_include_pad divides by. Taps in the extra space ceil mode adds past
// the end padding count for neither, as in ONNX and PyTorch.
func window(o, in, k, stride, padBegin, padEnd, dilation int) (valid []int, padded int) {
	for t := 0; t < k; t++ {
		p := o*stride - padBegin + t*dilation
		if p >= -padBegin && p < in+padEnd {
			padded++
		}
		if p >= 0 && p < in {
			valid = append(valid, p)
		}
	}
	return valid, padded
}

// poolDilations returns the pool's dilations, 1 when unset (zero).
func poolDilations(a *ir.Attrs) ([2]int, error) {
	if a.Dilations[0] == 0 && a.Dilations[1] == 0 {
		return [2]int{1, 1}, nil
	}
	if a.Dilations[0] <= 0 || a.Dilations[1] <= 0 {
		return a.Dilations, fmt.Errorf("dilations %v must be positive", a.Dilations)
	}
	return a.Dilations, nil
}

// pool2d runs reduce over each window of NCHW x; reduce gets the values of
// the taps inside the input and the window's padded tap count.
func pool2d(a *ir.Attrs, x *ir.Tensor, shape ir.Shape, reduce func(vals []float32, padded int) float32) (*ir.Tensor, error) {
	d, err := poolDilations(a)
	if err != nil {
		return nil, err
	}
	out := ir.NewTensor(shape...)
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oh, ow := shape[2], shape[3]
	var vals []float32
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			plane := x.Data[(b*c+ch)*h*w : (b*c+ch+1)*h*w]
			for oy := 0; oy < oh; oy++ {
				ys, py := window(oy, h, a.Kernel[0], a.Strides[0], a.Pads[0], a.Pads[2], d[0])
				for ox := 0; ox < ow; ox++ {
					xs, px := window(ox, w, a.Kernel[1], a.Strides[1], a.Pads[1], a.Pads[3], d[1])
					vals = vals[:0]
					for _, iy := range ys {
						for _, ix := range xs {
							vals = append(vals, plane[iy*w+ix])
						}
					}
					out.Data[((b*c+ch)*oh+oy)*ow+ox] = reduce(vals, py*px)
				}
			}
		}
	}
	return out, nil
}

// maxPool is ONNX MaxPool: padding never wins (only real inputs are
// compared) and a NaN in the window gives NaN. A window with no input tap
// gives −Inf.
func maxPool(a *ir.Attrs, x *ir.Tensor, shape ir.Shape) (*ir.Tensor, error) {
	return pool2d(a, x, shape, func(vals []float32, _ int) float32 {
		m := float32(math.Inf(-1))
		for _, v := range vals {
			if v != v {
				return v
			}
			if v > m {
				m = v
			}
		}
		return m
	})
}

// averagePool is ONNX AveragePool: the sum of the input taps divided by
// their count, or, with count_include_pad, by the taps inside input plus
// padding.
func averagePool(a *ir.Attrs, x *ir.Tensor, shape ir.Shape) (*ir.Tensor, error) {
	return pool2d(a, x, shape, func(vals []float32, padded int) float32 {
		var sum float64
		for _, v := range vals {
			sum += float64(v)
		}
		count := len(vals)
		if a.CountIncludePad {
			count = padded
		}
		return float32(sum / float64(count))
	})
}

// globalAveragePool is the mean over every axis after the second.
func globalAveragePool(x *ir.Tensor, shape ir.Shape) *ir.Tensor {
	out := ir.NewTensor(shape...)
	planes := x.Shape[0] * x.Shape[1]
	inner := 1
	for _, d := range x.Shape[2:] {
		inner *= d
	}
	for p := 0; p < planes; p++ {
		var sum float64
		for _, v := range x.Data[p*inner : (p+1)*inner] {
			sum += float64(v)
		}
		out.Data[p] = float32(sum / float64(inner))
	}
	return out
}
