package reference

import "github.com/mnc-go/mnc/ir"

// broadcastIndex returns, for every flat (row-major) index of out, the flat
// index of the element of a tensor of shape in that numpy broadcasting maps
// to it: shapes align at the last axis, and an axis of size 1 (or missing)
// in in repeats its single element.
func broadcastIndex(in, out ir.Shape) []int {
	// stride[d] is in's stride along out's axis d, 0 where in broadcasts.
	stride := make([]int, len(out))
	s := 1
	for d := len(out) - 1; d >= 0; d-- {
		j := d - (len(out) - len(in))
		if j < 0 {
			continue
		}
		if in[j] != 1 {
			stride[d] = s
		}
		s *= in[j]
	}
	idx := make([]int, out.Size())
	for i := range idx {
		rem, off := i, 0
		for d := len(out) - 1; d >= 0; d-- {
			off += (rem % out[d]) * stride[d]
			rem /= out[d]
		}
		idx[i] = off
	}
	return idx
}

// strides returns the row-major strides of shape.
func strides(shape ir.Shape) []int {
	st := make([]int, len(shape))
	s := 1
	for d := len(shape) - 1; d >= 0; d-- {
		st[d] = s
		s *= shape[d]
	}
	return st
}
