package runtime

import (
	"math"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// softmaxRows reports whether a Softmax step's axis is contiguous in memory
// in its input and output (the channel axis of NHWC storage, a segmenter's
// per-pixel class scores; the last axis of row-major storage, a detector's
// [N, anchors, classes]), so each softmax is one contiguous row.
func softmaxRows(s *plan.Step) bool {
	if s.Op != ir.OpSoftmax || len(s.In) != 1 || s.ConstIn[0] != plan.NoBlob || s.In[0].NHWC != s.Out.NHWC {
		return false
	}
	rank := len(s.Out.Shape)
	axis := s.Attrs.Axis
	if axis < 0 {
		axis += rank
	}
	if s.Out.NHWC {
		return rank == 4 && axis == 1
	}
	return axis == rank-1
}

// fastSoftmax runs a softmaxRows step on the kernels: per row the maximum
// (Set.Max), the exponentials and their sum (Set.ExpSum, within 3 ulp of
// float32(math.Exp)), then one scaling by 1/sum; threads split the rows. A
// row with a NaN, or whose maximum is ±Inf, gives NaN throughout, as the
// generic softmax does. nil when the step is not softmaxRows.
func fastSoftmax(s *plan.Step, in []view, out view, set *kernels.Set) stepFunc {
	if !softmaxRows(s) {
		return nil
	}
	x := in[0]
	axis := s.Attrs.Axis
	if axis < 0 {
		axis += x.rank
	}
	if x.stride[axis] != 1 || out.stride[axis] != 1 {
		return nil
	}
	n := x.shape[axis]
	rows := x.size() / max(n, 1)
	rank := x.rank
	shape := x.shape
	nan := float32(math.NaN())
	return func(tid, t, nt int) {
		lo, hi := split(rows, 1, t, nt)
		for r := lo; r < hi; r++ {
			var idx [maxRank]int
			rem := r
			for d := rank - 1; d >= 0; d-- {
				if d != axis {
					idx[d] = rem % shape[d]
					rem /= shape[d]
				}
			}
			xo, oo := x.offset(&idx), out.offset(&idx)
			row, dst := x.data[xo:xo+n], out.data[oo:oo+n]
			m := set.Max(row, float32(math.Inf(-1)))
			sum := set.ExpSum(row, dst, m)
			if sum != sum || math.IsInf(float64(m), 0) {
				for j := range dst {
					dst[j] = nan
				}
				continue
			}
			inv := 1 / sum
			for j := range dst {
				dst[j] *= inv
			}
		}
	}
}
