package reference

import (
	"math"

	"github.com/mnc-go/mnc/ir"
)

// softmax is ONNX Softmax (opset 13) along one axis: exp(x − max)/Σexp(x − max)
// over each line along the axis, in float64. Subtracting the maximum keeps it
// finite for large inputs; NaN anywhere in a line makes the line NaN.
func softmax(x *ir.Tensor, axis int) *ir.Tensor {
	ax := axis
	if ax < 0 {
		ax += len(x.Shape)
	}
	outer, inner := 1, 1
	for _, d := range x.Shape[:ax] {
		outer *= d
	}
	for _, d := range x.Shape[ax+1:] {
		inner *= d
	}
	n := x.Shape[ax]
	out := ir.NewTensor(x.Shape...)
	e := make([]float64, n)
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			at := func(j int) int { return (o*n+j)*inner + in }
			m := math.Inf(-1)
			for j := 0; j < n; j++ {
				v := float64(x.Data[at(j)])
				if v > m || v != v {
					m = v
				}
				if m != m {
					break
				}
			}
			var sum float64
			for j := 0; j < n; j++ {
				e[j] = math.Exp(float64(x.Data[at(j)]) - m)
				sum += e[j]
			}
			for j := 0; j < n; j++ {
				out.Data[at(j)] = float32(e[j] / sum)
			}
		}
	}
	return out
}

// reduceMean is ONNX ReduceMean over Attrs.Axes (every axis when empty),
// keeping reduced axes as size 1 when KeepDims.
func reduceMean(a *ir.Attrs, x *ir.Tensor, shape ir.Shape) *ir.Tensor {
	rank := len(x.Shape)
	reduced := make([]bool, rank)
	for _, ax := range a.Axes {
		if ax < 0 {
			ax += rank
		}
		reduced[ax] = true
	}
	if len(a.Axes) == 0 {
		for i := range reduced {
			reduced[i] = true
		}
	}
	// kept is x's shape with reduced axes set to 1: the output's layout
	// whether or not KeepDims drops them.
	kept := x.Shape.Clone()
	for d := range kept {
		if reduced[d] {
			kept[d] = 1
		}
	}
	idx := broadcastIndex(kept, x.Shape)
	sums := make([]float64, kept.Size())
	for i, v := range x.Data {
		sums[idx[i]] += float64(v)
	}
	count := 1
	for d, r := range reduced {
		if r {
			count *= x.Shape[d]
		}
	}
	out := ir.NewTensor(shape...)
	for i, s := range sums {
		out.Data[i] = float32(s / float64(count))
	}
	return out
}
