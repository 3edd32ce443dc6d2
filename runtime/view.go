package runtime

import (
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

const maxRank = plan.MaxRank

// view addresses a tensor by logical (NCHW) index whatever its storage:
// element idx lives at data[sum idx[i]·stride[i]]. A 4-D NHWC tensor has
// strides {H·W·C, 1, W·C, C}; a broadcast axis has stride 0.
type view struct {
	data   []float32
	rank   int
	shape  [maxRank]int
	stride [maxRank]int
}

func newView(data []float32, shape ir.Shape, nhwc bool) view {
	v := view{data: data, rank: len(shape)}
	copy(v.shape[:], shape)
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		v.stride[i] = s
		s *= shape[i]
	}
	if nhwc {
		c, h, w := shape[1], shape[2], shape[3]
		v.stride = [maxRank]int{h * w * c, 1, w * c, c}
	}
	return v
}

// operandView is newView of an operand's storage: a channel slice
// (Operand.Pitch) steps over the wider tensor's pixels.
func operandView(data []float32, o plan.Operand) view {
	v := newView(data, o.Shape, o.NHWC)
	if o.Sliced() {
		h, w := o.Shape[2], o.Shape[3]
		v.stride = [maxRank]int{h * w * o.Pitch, 1, w * o.Pitch, o.Pitch}
	}
	return v
}

// broadcastTo returns v seen with rank r (leading axes added) and stride 0
// on every axis where it has size 1 and the target is larger.
func (v view) broadcastTo(shape ir.Shape) view {
	r := len(shape)
	out := view{data: v.data, rank: r}
	off := r - v.rank
	for i := 0; i < r; i++ {
		out.shape[i] = shape[i]
		if j := i - off; j >= 0 && v.shape[j] == shape[i] {
			out.stride[i] = v.stride[j]
		}
	}
	return out
}

func (v *view) offset(idx *[maxRank]int) int {
	o := 0
	for i := 0; i < v.rank; i++ {
		o += idx[i] * v.stride[i]
	}
	return o
}

func (v *view) at(idx *[maxRank]int) float32 { return v.data[v.offset(idx)] }

func (v *view) size() int {
	n := 1
	for i := 0; i < v.rank; i++ {
		n *= v.shape[i]
	}
	return n
}

// next advances idx through shape in row-major order; false after the last.
func next(idx *[maxRank]int, shape *[maxRank]int, rank int) bool {
	for i := rank - 1; i >= 0; i-- {
		idx[i]++
		if idx[i] < shape[i] {
			return true
		}
		idx[i] = 0
	}
	return false
}

// unravel writes flat row-major index f of shape into idx.
func unravel(f int, shape *[maxRank]int, rank int, idx *[maxRank]int) {
	for i := rank - 1; i >= 0; i-- {
		idx[i] = f % shape[i]
		f /= shape[i]
	}
}
