package onnx

// The rest of the shape arithmetic exporters write, folded at import when
// every input is known (a constant or a static shape): element-wise math
// (Ceil, Floor, Round, Sqrt, Neg, Abs, Pow, Mod, Min, Max), comparisons
// and logic on booleans (Equal, Less, Greater, Not, And, Or, Where), and
// the element movers Expand and Tile. Booleans are integer cvals holding 0
// or 1. TensorFlow's "same" padding (Shape → Gather → Cast → Div → Ceil →
// Sub → Mul → Add → Max → ... → Pad) folds to a Pad with constant pads,
// which the compiler folds into the convolution that reads it.

import (
	"fmt"
	"math"

	"github.com/mnc-go/mnc/ir"
)

// foldMap applies an element-wise function to broadcast operands: fi on
// integers (nil: integers are computed as floats, the result rounded back
// only if toInt), ff on floats. boolOut makes the result a 0/1 integer
// whatever the operand types.
type elementwise struct {
	fi      func(x []int64) (int64, error)
	ff      func(x []float64) float64
	boolOut bool
}

func foldMap(in []*cval, op elementwise, what string) (*cval, error) {
	shape := []int{}
	allInt := true
	for k, c := range in {
		if c.hasSym() {
			return nil, fmt.Errorf("input %d depends on a symbolic (unknown) dimension, so it cannot be folded at import: give the input's shape", k)
		}
		s, err := broadcast(shape, c.shape)
		if err != nil {
			return nil, err
		}
		shape = s
		allInt = allInt && c.isInt
	}
	n := shapeSize(shape)
	if err := checkFold(what, n, allInt || op.boolOut); err != nil {
		return nil, err
	}
	idx := make([][]int, len(in))
	fl := make([][]float32, len(in))
	for k, c := range in {
		idx[k] = broadcastIndex(c.shape, shape)
		if !allInt || op.fi == nil {
			fl[k] = c.floats()
		}
	}
	if allInt && op.fi != nil {
		out := make([]int64, n)
		args := make([]int64, len(in))
		for e := range out {
			for k, c := range in {
				args[k] = c.i[idx[k][e]]
			}
			v, err := op.fi(args)
			if err != nil {
				return nil, err
			}
			out[e] = v
		}
		return newInt(shape, out), nil
	}
	if op.ff == nil {
		return nil, fmt.Errorf("the inputs must be booleans or integers")
	}
	args := make([]float64, len(in))
	if op.boolOut {
		out := make([]int64, n)
		for e := range out {
			for k := range in {
				args[k] = float64(fl[k][idx[k][e]])
			}
			out[e] = int64(op.ff(args))
		}
		return newInt(shape, out), nil
	}
	out := make([]float32, n)
	for e := range out {
		for k := range in {
			args[k] = float64(fl[k][idx[k][e]])
		}
		out[e] = float32(op.ff(args))
	}
	if allInt {
		return foldCast(newFloat(shape, out), true) // NaN or ±Inf (0/0, sqrt of a negative) is an error
	}
	return newFloat(shape, out), nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// foldUnaryOps are the element-wise functions of one operand. Rounding an
// integer leaves it unchanged; Round rounds half to even, as ONNX says.
var foldUnaryOps = map[string]elementwise{
	"Ceil":  {fi: func(x []int64) (int64, error) { return x[0], nil }, ff: func(x []float64) float64 { return math.Ceil(x[0]) }},
	"Floor": {fi: func(x []int64) (int64, error) { return x[0], nil }, ff: func(x []float64) float64 { return math.Floor(x[0]) }},
	"Round": {fi: func(x []int64) (int64, error) { return x[0], nil }, ff: func(x []float64) float64 { return math.RoundToEven(x[0]) }},
	"Neg": {fi: func(x []int64) (int64, error) {
		if x[0] == math.MinInt64 {
			return 0, fmt.Errorf("Neg(%d) overflows int64", x[0])
		}
		return -x[0], nil
	}, ff: func(x []float64) float64 { return -x[0] }},
	"Abs": {fi: func(x []int64) (int64, error) {
		if x[0] == math.MinInt64 {
			return 0, fmt.Errorf("Abs(%d) overflows int64", x[0])
		}
		if x[0] < 0 {
			return -x[0], nil
		}
		return x[0], nil
	}, ff: func(x []float64) float64 { return math.Abs(x[0]) }},
	"Sqrt": {ff: func(x []float64) float64 { return math.Sqrt(x[0]) }},
	"Not":  {fi: func(x []int64) (int64, error) { return b2i(x[0] == 0), nil }, ff: func(x []float64) float64 { return b2f(x[0] == 0) }, boolOut: true},
}

// foldBinaryOps are the element-wise functions of two operands (Min and Max
// take any number).
var foldBinaryOps = map[string]elementwise{
	"Equal":   {fi: func(x []int64) (int64, error) { return b2i(x[0] == x[1]), nil }, ff: func(x []float64) float64 { return b2f(x[0] == x[1]) }, boolOut: true},
	"Less":    {fi: func(x []int64) (int64, error) { return b2i(x[0] < x[1]), nil }, ff: func(x []float64) float64 { return b2f(x[0] < x[1]) }, boolOut: true},
	"Greater": {fi: func(x []int64) (int64, error) { return b2i(x[0] > x[1]), nil }, ff: func(x []float64) float64 { return b2f(x[0] > x[1]) }, boolOut: true},
	"And":     {fi: func(x []int64) (int64, error) { return b2i(x[0] != 0 && x[1] != 0), nil }, boolOut: true},
	"Or":      {fi: func(x []int64) (int64, error) { return b2i(x[0] != 0 || x[1] != 0), nil }, boolOut: true},
	"Pow": {fi: func(x []int64) (int64, error) {
		if x[1] < 0 {
			return 0, fmt.Errorf("integer power with a negative exponent %d", x[1])
		}
		r := int64(1)
		for k := int64(0); k < x[1]; k++ {
			p := r * x[0]
			if intOverflow("Mul", r, x[0], p) {
				return 0, fmt.Errorf("Pow(%d, %d) overflows int64", x[0], x[1])
			}
			if r = p; r == 0 || r == 1 {
				break // 0 and 1 stay
			}
		}
		return r, nil
	}, ff: func(x []float64) float64 { return math.Pow(x[0], x[1]) }},
	"Max": {fi: func(x []int64) (int64, error) {
		m := x[0]
		for _, v := range x[1:] {
			m = max(m, v)
		}
		return m, nil
	}, ff: func(x []float64) float64 {
		m := x[0]
		for _, v := range x[1:] {
			if v != v || v > m {
				m = v
			}
		}
		return m
	}},
	"Min": {fi: func(x []int64) (int64, error) {
		m := x[0]
		for _, v := range x[1:] {
			m = min(m, v)
		}
		return m, nil
	}, ff: func(x []float64) float64 {
		m := x[0]
		for _, v := range x[1:] {
			if v != v || v < m {
				m = v
			}
		}
		return m
	}},
}

// foldOnly reports an op that mnc evaluates only at import time, applied
// to a runtime tensor: data-dependent, it cannot be compiled.
func foldOnly(c *nodeCtx) error {
	for i, s := range c.in {
		if s != nil && s.c == nil {
			return fmt.Errorf("input %d (%q) is a runtime tensor: mnc evaluates %s only at import time, on constants and static shapes (the value depends on the input data)", i, c.inName(i), c.n.GetOpType())
		}
	}
	return nil
}

// convertFoldMap folds the element-wise ops of foldUnaryOps and foldBinaryOps.
func convertFoldMap(c *nodeCtx) error {
	op := c.n.GetOpType()
	ew, ok := foldUnaryOps[op]
	arity := 1
	if !ok {
		ew, arity = foldBinaryOps[op], 2
	}
	if err := c.need(arity); err != nil {
		return err
	}
	if err := foldOnly(c); err != nil {
		return err
	}
	var in []*cval
	for _, s := range c.in[:arity] {
		in = append(in, s.c)
	}
	k, err := foldMap(in, ew, op)
	if err != nil {
		return err
	}
	c.setConst(k)
	return nil
}

// foldMinMax folds Min/Max of constants (any number of them).
func foldMinMax(c *nodeCtx) error {
	if len(c.in) == 0 {
		return fmt.Errorf("no inputs")
	}
	var in []*cval
	for i, s := range c.in {
		if s == nil {
			return fmt.Errorf("input %d is empty", i)
		}
		in = append(in, s.c)
	}
	k, err := foldMap(in, foldBinaryOps[c.n.GetOpType()], c.n.GetOpType())
	if err != nil {
		return err
	}
	c.setConst(k)
	return nil
}

// convertMod folds Mod: with fmod=0 (integers only) the result takes the
// divisor's sign (Python's %), with fmod=1 the dividend's (C's fmod).
func convertMod(c *nodeCtx) error {
	if err := c.need(2); err != nil {
		return err
	}
	if err := foldOnly(c); err != nil {
		return err
	}
	fmodC := c.a.int("fmod", 0) != 0
	a, b := c.in[0].c, c.in[1].c
	if !fmodC && !(a.isInt && b.isInt) {
		return fmt.Errorf("fmod=0 on floating-point inputs (ONNX requires fmod=1 for them)")
	}
	k, err := foldMap([]*cval{a, b}, elementwise{
		fi: func(x []int64) (int64, error) {
			if x[1] == 0 {
				return 0, fmt.Errorf("integer modulo by zero")
			}
			r := x[0] % x[1]
			if !fmodC && r != 0 && (r < 0) != (x[1] < 0) {
				r += x[1]
			}
			return r, nil
		},
		ff: func(x []float64) float64 { return math.Mod(x[0], x[1]) },
	}, "Mod")
	if err != nil {
		return err
	}
	c.setConst(k)
	return nil
}

// convertWhere folds Where(cond, x, y) with broadcasting; symbolic
// elements of x and y are carried through when selected.
func convertWhere(c *nodeCtx) error {
	if err := c.need(3); err != nil {
		return err
	}
	if err := foldOnly(c); err != nil {
		return err
	}
	cond, x, y := c.in[0].c, c.in[1].c, c.in[2].c
	if cond.hasSym() {
		return fmt.Errorf("the condition depends on a symbolic (unknown) dimension: give the input's shape")
	}
	if x.isInt != y.isInt {
		return fmt.Errorf("X and Y differ in type")
	}
	shape, err := broadcast(cond.shape, x.shape)
	if err == nil {
		shape, err = broadcast(shape, y.shape)
	}
	if err != nil {
		return err
	}
	if err := checkFold("Where", shapeSize(shape), x.isInt); err != nil {
		return err
	}
	ic, ix, iy := broadcastIndex(cond.shape, shape), broadcastIndex(x.shape, shape), broadcastIndex(y.shape, shape)
	cf := cond.floats()
	// Concatenate x and y so one gather picks from either.
	both := &cval{shape: []int{x.size() + y.size()}, isInt: x.isInt}
	if x.isInt {
		both.i = append(append([]int64{}, x.i...), y.i...)
	} else {
		both.f = append(append([]float32{}, x.f...), y.f...)
	}
	if x.sym != nil || y.sym != nil {
		both.sym = make([]int, 0, both.shape[0])
		for _, s := range []*cval{x, y} {
			for k := 0; k < s.size(); k++ {
				if s.sym != nil {
					both.sym = append(both.sym, s.sym[k])
				} else {
					both.sym = append(both.sym, -1)
				}
			}
		}
	}
	src := make([]int, shapeSize(shape))
	for e := range src {
		if cf[ic[e]] != 0 {
			src[e] = ix[e]
		} else {
			src[e] = x.size() + iy[e]
		}
	}
	c.setConst(both.gather(shape, src))
	return nil
}

// convertExpand broadcasts a constant to a shape. A runtime tensor that
// already has the result's shape passes through; one that would grow is
// refused.
func convertExpand(c *nodeCtx) error {
	if err := c.need(2); err != nil {
		return err
	}
	target, err := c.konstInts(1)
	if err != nil {
		return err
	}
	s := c.input(0)
	shape, err := broadcast(inShape(c), target)
	if err != nil {
		return err
	}
	if s.c == nil {
		if ir.Shape(shape).Equal(s.v.Shape) {
			return c.alias(0)
		}
		return fmt.Errorf("Expand of the runtime tensor %q %v to %v is not supported (mnc folds Expand on constants)", c.inName(0), s.v.Shape, ir.Shape(shape))
	}
	if err := checkFold(fmt.Sprintf("Expand to %v", ir.Shape(shape)), shapeSize(shape), s.c.isInt); err != nil {
		return err
	}
	c.setConst(s.c.gather(shape, broadcastIndex(s.c.shape, shape)))
	return nil
}

// convertTile repeats a constant along each axis.
func convertTile(c *nodeCtx) error {
	if err := c.need(2); err != nil {
		return err
	}
	if err := foldOnly(c); err != nil {
		return err
	}
	rep, err := c.konstInts(1)
	if err != nil {
		return err
	}
	x := c.in[0].c
	r := len(x.shape)
	if len(rep) != r {
		return fmt.Errorf("repeats %v for rank %d", rep, r)
	}
	shape := make([]int, r)
	n := 1
	for d := range shape {
		if rep[d] < 0 {
			return fmt.Errorf("negative repeat %v", rep)
		}
		shape[d] = x.shape[d] * rep[d]
		if shape[d] > 0 && n > maxElements/shape[d] {
			return fmt.Errorf("result %v is too large", shape)
		}
		n *= shape[d]
	}
	if err := checkFold(fmt.Sprintf("Tile to %v", ir.Shape(shape)), n, x.isInt); err != nil {
		return err
	}
	st := strides(x.shape)
	src := make([]int, n)
	idx := make([]int, r)
	for e := 0; e < n; e++ {
		off := 0
		for d := 0; d < r; d++ {
			off += (idx[d] % x.shape[d]) * st[d]
		}
		src[e] = off
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	c.setConst(x.gather(shape, src))
	return nil
}
