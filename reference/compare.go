package reference

import (
	"fmt"
	"math"

	"github.com/mnc-go/mnc/ir"
)

// MaxAbsDiff returns max|a-b| and max|b| (b is the reference); errors if
// shapes differ. Positions are compared as Close does: equal values
// (including equal infinities, and NaN against NaN) differ by 0; one NaN, or
// unequal infinities, give +Inf. refMax is taken over b's finite values.
func MaxAbsDiff(a, b *ir.Tensor) (diff, refMax float64, err error) {
	if err := sameShape(a, b); err != nil {
		return 0, 0, err
	}
	for i := range b.Data {
		if d := nanAwareDiff(a.Data[i], b.Data[i]); d > diff {
			diff = d
		}
		if r := math.Abs(float64(b.Data[i])); !math.IsInf(r, 0) && !math.IsNaN(r) && r > refMax {
			refMax = r
		}
	}
	return diff, refMax, nil
}

// Close reports whether max|a-b| <= rel*max|b| (treating NaN positions:
// both NaN is equal, one NaN is a mismatch), with a message describing the
// worst element (index, values) when not.
func Close(a, b *ir.Tensor, rel float64) (bool, string) {
	if err := sameShape(a, b); err != nil {
		return false, err.Error()
	}
	var refMax float64
	for _, v := range b.Data {
		if r := math.Abs(float64(v)); !math.IsInf(r, 0) && !math.IsNaN(r) && r > refMax {
			refMax = r
		}
	}
	tol := rel * refMax
	worst, worstDiff := -1, 0.0
	for i := range b.Data {
		d := nanAwareDiff(a.Data[i], b.Data[i])
		if d > worstDiff {
			worst, worstDiff = i, d
		}
	}
	if worst < 0 || worstDiff <= tol {
		return true, ""
	}
	return false, fmt.Sprintf("max |diff| %g > %g (rel %g × max|ref| %g) at index %d %v: got %g, want %g",
		worstDiff, tol, rel, refMax, worst, unflatten(worst, b.Shape), a.Data[worst], b.Data[worst])
}

// elemDiff is |x-y|, 0 when they are equal (so equal infinities match).
func elemDiff(x, y float32) float64 {
	if x == y {
		return 0
	}
	return math.Abs(float64(x) - float64(y))
}

// nanAwareDiff is elemDiff where both NaN match and one NaN (or unequal
// infinities) is an infinite difference.
func nanAwareDiff(x, y float32) float64 {
	xn, yn := x != x, y != y
	switch {
	case xn && yn:
		return 0
	case xn || yn:
		return math.Inf(1)
	}
	d := elemDiff(x, y)
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return d
}

func sameShape(a, b *ir.Tensor) error {
	if a == nil || b == nil {
		return fmt.Errorf("nil tensor (got %v, want %v)", a != nil, b != nil)
	}
	if !a.Shape.Equal(b.Shape) || len(a.Data) != len(b.Data) {
		return fmt.Errorf("shapes differ: got %v (%d values), want %v (%d values)", a.Shape, len(a.Data), b.Shape, len(b.Data))
	}
	return nil
}

// unflatten turns a flat row-major index into per-axis indices.
func unflatten(i int, shape ir.Shape) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return idx
}

// FixedInput returns DESIGN.md's deterministic input of the given shape:
// x[i] = float32(int(uint32(i)*2654435761>>24)-128)/128 over the flat index i.
func FixedInput(shape ...int) *ir.Tensor {
	t := ir.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(int(uint32(i)*2654435761>>24)-128) / 128
	}
	return t
}
