package dyn

import (
	"fmt"
	"math"
	"sort"
)

type opFunc func(c *ctx) ([]*Tensor, error)

var ops map[string]opFunc

func init() {
	ops = map[string]opFunc{
		"Identity": func(c *ctx) ([]*Tensor, error) { x, err := c.input(0); return one(x, err) },
		"Dropout":  func(c *ctx) ([]*Tensor, error) { x, err := c.input(0); return one(x, err) },
		"Constant": constant, "Shape": shapeOp, "Size": sizeOp, "Cast": cast,
		"Add": arith(func(a, b float64) float64 { return a + b }), "Sub": arith(func(a, b float64) float64 { return a - b }),
		"Mul": arith(func(a, b float64) float64 { return a * b }), "Div": div, "Pow": arith(math.Pow),
		"Max": variadic(math.Max), "Min": variadic(math.Min), "Sum": variadic(func(a, b float64) float64 { return a + b }),
		"Equal": compare(func(a, b float64) bool { return a == b }), "Greater": compare(func(a, b float64) bool { return a > b }),
		"Less": compare(func(a, b float64) bool { return a < b }), "GreaterOrEqual": compare(func(a, b float64) bool { return a >= b }),
		"LessOrEqual": compare(func(a, b float64) bool { return a <= b }),
		"And":         logic(func(a, b bool) bool { return a && b }), "Or": logic(func(a, b bool) bool { return a || b }),
		"Xor": logic(func(a, b bool) bool { return a != b }),
		"Not": unary(func(v float64) float64 { return b2f(v == 0) }), "Neg": unary(func(v float64) float64 { return -v }),
		"Abs": unary(math.Abs), "Exp": unary(math.Exp), "Log": unary(math.Log), "Sqrt": unary(math.Sqrt),
		"Ceil": unary(math.Ceil), "Floor": unary(math.Floor), "Round": unary(math.RoundToEven),
		"Reciprocal": unary(func(v float64) float64 { return 1 / v }),
		"Relu":       unary(func(v float64) float64 { return math.Max(v, 0) }),
		"Sigmoid":    unary(func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }),
		"Clip":       clip, "Where": where,
		"Reshape": reshape, "Flatten": flatten, "Squeeze": squeeze, "Unsqueeze": unsqueeze, "Transpose": transpose,
		"Concat": concat, "Split": split, "Slice": slice, "Gather": gather, "GatherND": gatherND, "GatherElements": gatherElements,
		"ScatterND": scatterND, "Expand": expand, "Tile": tile, "ConstantOfShape": constantOfShape, "Range": rangeOp,
		"ReduceMax": reduce(math.Inf(-1), math.Max), "ReduceMin": reduce(math.Inf(1), math.Min),
		"ReduceSum": reduce(0, func(a, b float64) float64 { return a + b }), "ReduceProd": reduce(1, func(a, b float64) float64 { return a * b }),
		"ReduceMean": reduceMean, "ArgMax": argExt(true), "ArgMin": argExt(false), "Softmax": softmax,
		"TopK": topK, "NonZero": nonZero, "NonMaxSuppression": nms, "If": ifOp, "Loop": loop,
	}
}

func one(t *Tensor, err error) ([]*Tensor, error) {
	if err != nil {
		return nil, err
	}
	return []*Tensor{t}, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func constant(c *ctx) ([]*Tensor, error) {
	for _, a := range c.n.GetAttribute() {
		switch a.GetName() {
		case "value":
			return one(Decode(a.GetT()))
		case "value_float":
			return one(&Tensor{DT: Float, Shape: []int{}, V: []float64{float64(a.GetF())}}, nil)
		case "value_floats":
			t := New(Float, len(a.GetFloats()))
			for i, v := range a.GetFloats() {
				t.V[i] = float64(v)
			}
			return one(t, nil)
		case "value_int":
			return one(&Tensor{DT: Int64, Shape: []int{}, V: []float64{float64(a.GetI())}}, nil)
		case "value_ints":
			t := New(Int64, len(a.GetInts()))
			for i, v := range a.GetInts() {
				t.V[i] = float64(v)
			}
			return one(t, nil)
		}
	}
	return nil, fmt.Errorf("no supported value attribute")
}

func shapeOp(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	start, end := c.int("start", 0), c.int("end", r)
	if start < 0 {
		start += r
	}
	if end < 0 {
		end += r
	}
	start, end = min(max(start, 0), r), min(max(end, 0), r)
	t := New(Int64, max(end-start, 0))
	for i := start; i < end; i++ {
		t.V[i-start] = float64(x.Shape[i])
	}
	return one(t, nil)
}

func sizeOp(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	return one(&Tensor{DT: Int64, Shape: []int{}, V: []float64{float64(len(x.V))}}, nil)
}

func cast(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	dt := DType(c.int("to", int(Float)))
	switch dt {
	case Float, Double, Int64, Int32, Bool, Uint8, Int8:
	default:
		return nil, fmt.Errorf("cast to %v is not supported", dt)
	}
	t := New(dt, x.Shape...)
	for i, v := range x.V {
		t.V[i] = round(dt, v)
	}
	return one(t, nil)
}

func unary(f func(float64) float64) opFunc {
	return func(c *ctx) ([]*Tensor, error) {
		x, err := c.input(0)
		if err != nil {
			return nil, err
		}
		dt := x.DT
		if c.n.GetOpType() == "Not" {
			dt = Bool
		}
		t := New(dt, x.Shape...)
		for i, v := range x.V {
			t.V[i] = round(dt, f(v))
		}
		return one(t, nil)
	}
}

// elementwise applies f across broadcast inputs into a tensor of type dt.
func elementwise(dt DType, ins []*Tensor, f func(vals []float64) float64) (*Tensor, error) {
	var shapes [][]int
	for _, t := range ins {
		shapes = append(shapes, t.Shape)
	}
	os, err := broadcastShape(shapes...)
	if err != nil {
		return nil, err
	}
	t := New(dt, os...)
	ostr := strides(os)
	vals := make([]float64, len(ins))
	for i := range t.V {
		for k, x := range ins {
			vals[k] = x.V[bindex(i, os, ostr, x.Shape)]
		}
		t.V[i] = round(dt, f(vals))
	}
	return t, nil
}

func inputs(c *ctx, n int) ([]*Tensor, error) {
	if len(c.in) < n {
		return nil, fmt.Errorf("want %d inputs, got %d", n, len(c.in))
	}
	for i := range n {
		if c.in[i] == nil {
			return nil, fmt.Errorf("input %d is missing", i)
		}
	}
	return c.in[:n], nil
}

func arith(f func(a, b float64) float64) opFunc {
	return func(c *ctx) ([]*Tensor, error) {
		in, err := inputs(c, 2)
		if err != nil {
			return nil, err
		}
		return one(elementwise(in[0].DT, in, func(v []float64) float64 { return f(v[0], v[1]) }))
	}
}

func div(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 2)
	if err != nil {
		return nil, err
	}
	dt := in[0].DT
	return one(elementwise(dt, in, func(v []float64) float64 {
		if !dt.IsFloat() {
			if v[1] == 0 {
				return 0
			}
			return math.Trunc(v[0] / v[1])
		}
		return v[0] / v[1]
	}))
}

func variadic(f func(a, b float64) float64) opFunc {
	return func(c *ctx) ([]*Tensor, error) {
		in, err := inputs(c, len(c.in))
		if err != nil || len(in) == 0 {
			return nil, fmt.Errorf("needs at least one input")
		}
		return one(elementwise(in[0].DT, in, func(v []float64) float64 {
			r := v[0]
			for _, x := range v[1:] {
				if math.IsNaN(x) || math.IsNaN(r) {
					r = math.NaN()
					continue
				}
				r = f(r, x)
			}
			return r
		}))
	}
}

func compare(f func(a, b float64) bool) opFunc {
	return func(c *ctx) ([]*Tensor, error) {
		in, err := inputs(c, 2)
		if err != nil {
			return nil, err
		}
		return one(elementwise(Bool, in, func(v []float64) float64 { return b2f(f(v[0], v[1])) }))
	}
}

func logic(f func(a, b bool) bool) opFunc {
	return func(c *ctx) ([]*Tensor, error) {
		in, err := inputs(c, 2)
		if err != nil {
			return nil, err
		}
		return one(elementwise(Bool, in, func(v []float64) float64 { return b2f(f(v[0] != 0, v[1] != 0)) }))
	}
}

func where(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 3)
	if err != nil {
		return nil, err
	}
	return one(elementwise(in[1].DT, in, func(v []float64) float64 {
		if v[0] != 0 {
			return v[1]
		}
		return v[2]
	}))
}

func clip(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	lo, hi := c.float("min", math.Inf(-1)), c.float("max", math.Inf(1))
	if t := c.opt(1); t != nil && len(t.V) > 0 {
		lo = t.V[0]
	}
	if t := c.opt(2); t != nil && len(t.V) > 0 {
		hi = t.V[0]
	}
	t := New(x.DT, x.Shape...)
	for i, v := range x.V {
		t.V[i] = round(x.DT, math.Min(math.Max(v, lo), hi))
		if math.IsNaN(v) {
			t.V[i] = v
		}
	}
	return one(t, nil)
}

func reshaped(x *Tensor, shape []int) *Tensor {
	return &Tensor{DT: x.DT, Shape: shape, V: x.V}
}

func reshape(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 2)
	if err != nil {
		return nil, err
	}
	x, want := in[0], in[1].ints()
	allowZero := c.int("allowzero", 0) == 1
	out := make([]int, len(want))
	infer, known := -1, 1
	for i, d := range want {
		switch {
		case d == 0 && !allowZero:
			if i >= len(x.Shape) {
				return nil, fmt.Errorf("shape %v copies dimension %d of %v", want, i, x.Shape)
			}
			out[i] = x.Shape[i]
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has two -1", want)
			}
			infer = i
			continue
		case d < 0:
			return nil, fmt.Errorf("shape %v has a negative dimension", want)
		default:
			out[i] = d
		}
		known *= out[i]
	}
	if infer >= 0 {
		if known == 0 || len(x.V)%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", x.Shape, want)
		}
		out[infer] = len(x.V) / known
	}
	if size(out) != len(x.V) {
		return nil, fmt.Errorf("cannot reshape %v to %v", x.Shape, want)
	}
	return one(reshaped(x, out), nil)
}

func flatten(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	a, err := axis(c.int("axis", 1), len(x.Shape)+1)
	if err != nil {
		return nil, err
	}
	return one(reshaped(x, []int{size(x.Shape[:a]), size(x.Shape[a:])}), nil)
}

// axesOf reads axes from input i (opset ≥ 13) or the attribute.
func axesOf(c *ctx, i int) ([]int, bool) {
	if t := c.opt(i); t != nil {
		return t.ints(), true
	}
	return c.ints("axes")
}

func squeeze(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	axes, ok := axesOf(c, 1)
	drop := map[int]bool{}
	if !ok {
		for i, d := range x.Shape {
			if d == 1 {
				drop[i] = true
			}
		}
	}
	for _, a := range axes {
		a, err := axis(a, len(x.Shape))
		if err != nil {
			return nil, err
		}
		if x.Shape[a] != 1 {
			return nil, fmt.Errorf("cannot squeeze axis %d of %v", a, x.Shape)
		}
		drop[a] = true
	}
	var out []int
	for i, d := range x.Shape {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return one(reshaped(x, append([]int{}, out...)), nil)
}

func unsqueeze(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	axes, _ := axesOf(c, 1)
	r := len(x.Shape) + len(axes)
	ins := map[int]bool{}
	for _, a := range axes {
		a, err := axis(a, r)
		if err != nil {
			return nil, err
		}
		ins[a] = true
	}
	out := make([]int, 0, r)
	k := 0
	for i := range r {
		if ins[i] {
			out = append(out, 1)
		} else {
			if k >= len(x.Shape) {
				return nil, fmt.Errorf("bad axes %v for %v", axes, x.Shape)
			}
			out = append(out, x.Shape[k])
			k++
		}
	}
	return one(reshaped(x, out), nil)
}

// permute returns x with its axes permuted.
func permute(x *Tensor, perm []int) *Tensor {
	r := len(x.Shape)
	os := make([]int, r)
	for i, p := range perm {
		os[i] = x.Shape[p]
	}
	t := New(x.DT, os...)
	xs, ostr := strides(x.Shape), strides(os)
	for i := range t.V {
		k := 0
		for j := range r {
			k += (i / ostr[j] % os[j]) * xs[perm[j]]
		}
		t.V[i] = x.V[k]
	}
	return t
}

func transpose(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	perm, ok := c.ints("perm")
	if !ok {
		for i := len(x.Shape) - 1; i >= 0; i-- {
			perm = append(perm, i)
		}
	}
	if len(perm) != len(x.Shape) {
		return nil, fmt.Errorf("perm %v for %v", perm, x.Shape)
	}
	seen := make([]bool, len(perm))
	for _, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation", perm)
		}
		seen[p] = true
	}
	return one(permute(x, perm), nil)
}

func concat(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, len(c.in))
	if err != nil || len(in) == 0 {
		return nil, fmt.Errorf("needs inputs")
	}
	r := len(in[0].Shape)
	a, err := axis(c.int("axis", 0), r)
	if err != nil {
		return nil, err
	}
	os := append([]int{}, in[0].Shape...)
	os[a] = 0
	for _, t := range in {
		if len(t.Shape) != r {
			return nil, fmt.Errorf("ranks differ: %v", t.Shape)
		}
		for i := range r {
			if i != a && t.Shape[i] != in[0].Shape[i] {
				return nil, fmt.Errorf("shapes %v and %v differ off axis %d", in[0].Shape, t.Shape, a)
			}
		}
		os[a] += t.Shape[a]
	}
	t := New(in[0].DT, os...)
	outer := size(os[:a])
	pos := 0
	for o := range outer {
		for _, x := range in {
			blk := size(x.Shape[a:])
			copy(t.V[pos:pos+blk], x.V[o*blk:(o+1)*blk])
			pos += blk
		}
	}
	return one(t, nil)
}

// sub copies x's elements with index in [lo, lo+n) along axis a.
func sub(x *Tensor, a, lo, n, step int) *Tensor {
	os := append([]int{}, x.Shape...)
	os[a] = n
	t := New(x.DT, os...)
	outer, inner := size(x.Shape[:a]), size(x.Shape[a+1:])
	for o := range outer {
		for i := range n {
			src := (o*x.Shape[a] + lo + i*step) * inner
			dst := (o*n + i) * inner
			copy(t.V[dst:dst+inner], x.V[src:src+inner])
		}
	}
	return t
}

func split(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	a, err := axis(c.int("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	parts, ok := c.ints("split")
	if t := c.opt(1); t != nil {
		parts, ok = t.ints(), true
	}
	if !ok {
		n := c.int("num_outputs", len(c.n.GetOutput()))
		if n <= 0 {
			return nil, fmt.Errorf("%d outputs", n)
		}
		d := x.Shape[a]
		each := (d + n - 1) / n
		for i := range n {
			parts = append(parts, max(min(each, d-i*each), 0))
		}
	}
	total := 0
	for _, p := range parts {
		total += p
	}
	if total != x.Shape[a] {
		return nil, fmt.Errorf("split %v of axis %d (%d)", parts, a, x.Shape[a])
	}
	var out []*Tensor
	lo := 0
	for _, p := range parts {
		out = append(out, sub(x, a, lo, p, 1))
		lo += p
	}
	return out, nil
}

func slice(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	var starts, ends, axes, steps []int
	if c.opset < 10 {
		starts, _ = c.ints("starts")
		ends, _ = c.ints("ends")
		axes, _ = c.ints("axes")
	} else {
		in, err := inputs(c, 3)
		if err != nil {
			return nil, err
		}
		starts, ends = in[1].ints(), in[2].ints()
		if t := c.opt(3); t != nil {
			axes = t.ints()
		}
		if t := c.opt(4); t != nil {
			steps = t.ints()
		}
	}
	// Out-of-range int64 ends (INT64_MAX) come in as huge floats: clamp.
	for i := range ends {
		if ends[i] > 1<<40 || ends[i] < -(1<<40) {
			ends[i] = max(min(ends[i], 1<<40), -(1 << 40))
		}
	}
	if axes == nil {
		for i := range starts {
			axes = append(axes, i)
		}
	}
	if len(starts) != len(ends) || len(axes) != len(starts) || (steps != nil && len(steps) != len(starts)) {
		return nil, fmt.Errorf("starts %v, ends %v, axes %v, steps %v disagree", starts, ends, axes, steps)
	}
	t := x
	for i, a := range axes {
		a, err := axis(a, len(x.Shape))
		if err != nil {
			return nil, err
		}
		d := t.Shape[a]
		st := 1
		if steps != nil {
			st = steps[i]
		}
		if st == 0 {
			return nil, fmt.Errorf("step 0")
		}
		s, e := starts[i], ends[i]
		if s < 0 {
			s += d
		}
		if e < 0 {
			e += d
		}
		var n int
		if st > 0 {
			s, e = min(max(s, 0), d), min(max(e, 0), d)
			n = max((e-s+st-1)/st, 0)
		} else {
			s, e = min(max(s, -1), d-1), min(max(e, -1), d-1)
			n = max((s-e-st-1)/(-st), 0)
		}
		t = sub(t, a, s, n, st)
	}
	return one(t, nil)
}

func gather(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 2)
	if err != nil {
		return nil, err
	}
	x, idx := in[0], in[1]
	a, err := axis(c.int("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	os := append(append(append([]int{}, x.Shape[:a]...), idx.Shape...), x.Shape[a+1:]...)
	t := New(x.DT, os...)
	outer, inner, d := size(x.Shape[:a]), size(x.Shape[a+1:]), x.Shape[a]
	pos := 0
	for o := range outer {
		for _, iv := range idx.V {
			k := int(iv)
			if k < 0 {
				k += d
			}
			if k < 0 || k >= d {
				return nil, fmt.Errorf("index %v out of range for axis of %d", iv, d)
			}
			copy(t.V[pos:pos+inner], x.V[(o*d+k)*inner:(o*d+k+1)*inner])
			pos += inner
		}
	}
	return one(t, nil)
}

func gatherElements(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 2)
	if err != nil {
		return nil, err
	}
	x, idx := in[0], in[1]
	a, err := axis(c.int("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	if len(idx.Shape) != len(x.Shape) {
		return nil, fmt.Errorf("indices %v and data %v ranks differ", idx.Shape, x.Shape)
	}
	t := New(x.DT, idx.Shape...)
	is, xs := strides(idx.Shape), strides(x.Shape)
	for i := range t.V {
		k := 0
		for j := range idx.Shape {
			c := i / is[j] % idx.Shape[j]
			if j == a {
				c = int(idx.V[i])
				if c < 0 {
					c += x.Shape[a]
				}
				if c < 0 || c >= x.Shape[a] {
					return nil, fmt.Errorf("index %d out of range", c)
				}
			}
			k += c * xs[j]
		}
		t.V[i] = x.V[k]
	}
	return one(t, nil)
}

// ndOffset is the flat offset (in units of inner blocks) that index tuple
// ix selects in x's leading dims, after b batch dims at position batch.
func gatherND(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 2)
	if err != nil {
		return nil, err
	}
	x, idx := in[0], in[1]
	b := c.int("batch_dims", 0)
	r, q := len(x.Shape), len(idx.Shape)
	if q < 1 || b >= min(r, q) {
		return nil, fmt.Errorf("indices %v, data %v, batch_dims %d", idx.Shape, x.Shape, b)
	}
	k := idx.Shape[q-1]
	if b+k > r {
		return nil, fmt.Errorf("index tuples of %d into %d-D data after %d batch dims", k, r, b)
	}
	os := append(append([]int{}, idx.Shape[:q-1]...), x.Shape[b+k:]...)
	t := New(x.DT, os...)
	inner := size(x.Shape[b+k:])
	batch := size(x.Shape[:b])
	perBatch := size(idx.Shape[b : q-1])
	xb := size(x.Shape[b:])
	xs := strides(x.Shape[b : b+k])
	for bi := range batch {
		for j := range perBatch {
			tup := idx.V[(bi*perBatch+j)*k : (bi*perBatch+j+1)*k]
			off := 0
			for m, v := range tup {
				d := x.Shape[b+m]
				iv := int(v)
				if iv < 0 {
					iv += d
				}
				if iv < 0 || iv >= d {
					return nil, fmt.Errorf("index %v out of range for dimension %d", v, d)
				}
				off += iv * xs[m]
			}
			src := bi*xb + off*inner
			dst := (bi*perBatch + j) * inner
			copy(t.V[dst:dst+inner], x.V[src:src+inner])
		}
	}
	return one(t, nil)
}

func scatterND(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 3)
	if err != nil {
		return nil, err
	}
	x, idx, upd := in[0], in[1], in[2]
	q := len(idx.Shape)
	if q < 1 {
		return nil, fmt.Errorf("indices %v", idx.Shape)
	}
	k := idx.Shape[q-1]
	if k > len(x.Shape) {
		return nil, fmt.Errorf("index tuples of %d into %v", k, x.Shape)
	}
	inner := size(x.Shape[k:])
	n := size(idx.Shape[:q-1])
	if len(upd.V) != n*inner {
		return nil, fmt.Errorf("updates %v do not match indices %v and data %v", upd.Shape, idx.Shape, x.Shape)
	}
	red := c.n.GetAttribute()
	mode := ""
	for _, a := range red {
		if a.GetName() == "reduction" {
			mode = string(a.GetS())
		}
	}
	t := &Tensor{DT: x.DT, Shape: append([]int{}, x.Shape...), V: append([]float64{}, x.V...)}
	xs := strides(x.Shape[:k])
	for j := range n {
		off := 0
		for m, v := range idx.V[j*k : (j+1)*k] {
			d := x.Shape[m]
			iv := int(v)
			if iv < 0 {
				iv += d
			}
			if iv < 0 || iv >= d {
				return nil, fmt.Errorf("index %v out of range for dimension %d", v, d)
			}
			off += iv * xs[m]
		}
		for i := range inner {
			u, p := upd.V[j*inner+i], off*inner+i
			switch mode {
			case "add":
				t.V[p] = round(t.DT, t.V[p]+u)
			case "mul":
				t.V[p] = round(t.DT, t.V[p]*u)
			case "max":
				t.V[p] = math.Max(t.V[p], u)
			case "min":
				t.V[p] = math.Min(t.V[p], u)
			case "", "none":
				t.V[p] = u
			default:
				return nil, fmt.Errorf("reduction %q", mode)
			}
		}
	}
	return one(t, nil)
}

func expand(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 2)
	if err != nil {
		return nil, err
	}
	shape := in[1].ints()
	for _, d := range shape {
		if d < 0 || d > 1<<28 {
			return nil, fmt.Errorf("shape %v", shape)
		}
	}
	return one(elementwise(in[0].DT, []*Tensor{in[0], New(in[0].DT, shape...)}, func(v []float64) float64 { return v[0] }))
}

func tile(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 2)
	if err != nil {
		return nil, err
	}
	x, reps := in[0], in[1].ints()
	if len(reps) != len(x.Shape) {
		return nil, fmt.Errorf("repeats %v for %v", reps, x.Shape)
	}
	os := make([]int, len(reps))
	for i, r := range reps {
		if r < 0 {
			return nil, fmt.Errorf("repeats %v", reps)
		}
		os[i] = x.Shape[i] * r
	}
	t := New(x.DT, os...)
	ostr, xs := strides(os), strides(x.Shape)
	for i := range t.V {
		k := 0
		for j := range os {
			k += (i / ostr[j] % os[j] % x.Shape[j]) * xs[j]
		}
		t.V[i] = x.V[k]
	}
	return one(t, nil)
}

func constantOfShape(c *ctx) ([]*Tensor, error) {
	s, err := c.input(0)
	if err != nil {
		return nil, err
	}
	shape := s.ints()
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("shape %v", shape)
		}
	}
	val := &Tensor{DT: Float, V: []float64{0}}
	if a := c.attr("value"); a != nil {
		if val, err = Decode(a.GetT()); err != nil {
			return nil, err
		}
	}
	t := New(val.DT, shape...)
	for i := range t.V {
		t.V[i] = val.V[0]
	}
	return one(t, nil)
}

func rangeOp(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 3)
	if err != nil {
		return nil, err
	}
	for _, t := range in {
		if len(t.V) != 1 {
			return nil, fmt.Errorf("start, limit and delta must be scalars, got %v", t.Shape)
		}
	}
	s, l, d := in[0].V[0], in[1].V[0], in[2].V[0]
	if d == 0 {
		return nil, fmt.Errorf("delta 0")
	}
	n := max(int(math.Ceil((l-s)/d)), 0)
	if n > 1<<28 {
		return nil, fmt.Errorf("range of %d elements", n)
	}
	t := New(in[0].DT, n)
	for i := range n {
		t.V[i] = round(t.DT, s+float64(i)*d)
	}
	return one(t, nil)
}

// reduceAxes reads a reduction's axes (attribute, or input 1 from opset
// 18 and for ReduceSum from 13) and normalizes them.
func reduceAxes(c *ctx, x *Tensor) ([]bool, error) {
	axes, ok := axesOf(c, 1)
	red := make([]bool, len(x.Shape))
	if !ok || len(axes) == 0 {
		if c.int("noop_with_empty_axes", 0) == 1 {
			return red, nil
		}
		for i := range red {
			red[i] = true
		}
		return red, nil
	}
	for _, a := range axes {
		a, err := axis(a, len(x.Shape))
		if err != nil {
			return nil, err
		}
		red[a] = true
	}
	return red, nil
}

func reduceWith(c *ctx, init float64, f func(a, b float64) float64, mean bool) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	red, err := reduceAxes(c, x)
	if err != nil {
		return nil, err
	}
	keep := c.int("keepdims", 1) == 1
	var os, ks []int
	for i, d := range x.Shape {
		if red[i] {
			ks = append(ks, 1)
			if keep {
				os = append(os, 1)
			}
		} else {
			ks = append(ks, d)
			os = append(os, d)
		}
	}
	t := New(x.DT, os...)
	for i := range t.V {
		t.V[i] = init
	}
	cnt := make([]int, len(t.V))
	xs, kstr := strides(x.Shape), strides(ks)
	for i, v := range x.V {
		k := 0
		for j := range x.Shape {
			if !red[j] {
				k += (i / xs[j] % x.Shape[j]) * kstr[j]
			}
		}
		if math.IsNaN(v) {
			t.V[k] = v
		} else if !math.IsNaN(t.V[k]) {
			t.V[k] = f(t.V[k], v)
		}
		cnt[k]++
	}
	for i := range t.V {
		if mean && cnt[i] > 0 {
			t.V[i] /= float64(cnt[i])
		}
		t.V[i] = round(t.DT, t.V[i])
	}
	return one(t, nil)
}

func reduce(init float64, f func(a, b float64) float64) opFunc {
	return func(c *ctx) ([]*Tensor, error) { return reduceWith(c, init, f, false) }
}

func reduceMean(c *ctx) ([]*Tensor, error) {
	return reduceWith(c, 0, func(a, b float64) float64 { return a + b }, true)
}

func argExt(largest bool) opFunc {
	return func(c *ctx) ([]*Tensor, error) {
		x, err := c.input(0)
		if err != nil {
			return nil, err
		}
		a, err := axis(c.int("axis", 0), len(x.Shape))
		if err != nil {
			return nil, err
		}
		last := c.int("select_last_index", 0) == 1
		os := append([]int{}, x.Shape...)
		os[a] = 1
		t := New(Int64, os...)
		outer, inner, d := size(x.Shape[:a]), size(x.Shape[a+1:]), x.Shape[a]
		for o := range outer {
			for i := range inner {
				best := 0
				for k := 1; k < d; k++ {
					v, b := x.V[(o*d+k)*inner+i], x.V[(o*d+best)*inner+i]
					if (largest && (v > b || last && v == b)) || (!largest && (v < b || last && v == b)) {
						best = k
					}
				}
				t.V[o*inner+i] = float64(best)
			}
		}
		if c.int("keepdims", 1) == 0 {
			t.Shape = append(append([]int{}, x.Shape[:a]...), x.Shape[a+1:]...)
		}
		return one(t, nil)
	}
}

func softmax(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	def := -1
	if c.opset < 13 {
		def = 1
	}
	a, err := axis(c.int("axis", def), len(x.Shape))
	if err != nil {
		return nil, err
	}
	outer, d, inner := size(x.Shape[:a]), x.Shape[a], size(x.Shape[a+1:])
	if c.opset < 13 { // coerced to 2-D at axis
		outer, d, inner = size(x.Shape[:a]), size(x.Shape[a:]), 1
	}
	t := New(x.DT, x.Shape...)
	for o := range outer {
		for i := range inner {
			m := math.Inf(-1)
			for k := range d {
				m = math.Max(m, x.V[(o*d+k)*inner+i])
			}
			s := 0.0
			for k := range d {
				s += math.Exp(x.V[(o*d+k)*inner+i] - m)
			}
			for k := range d {
				p := (o*d+k)*inner + i
				t.V[p] = round(t.DT, math.Exp(x.V[p]-m)/s)
			}
		}
	}
	return one(t, nil)
}

func topK(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	k := c.int("k", -1)
	if t := c.opt(1); t != nil {
		if len(t.V) != 1 {
			return nil, fmt.Errorf("k has shape %v, want one value", t.Shape)
		}
		k = int(t.V[0])
	}
	a, err := axis(c.int("axis", -1), len(x.Shape))
	if err != nil {
		return nil, err
	}
	d := x.Shape[a]
	if k < 0 || k > d {
		return nil, fmt.Errorf("k %d for an axis of %d", k, d)
	}
	largest := c.int("largest", 1) == 1
	os := append([]int{}, x.Shape...)
	os[a] = k
	vals, idxs := New(x.DT, os...), New(Int64, os...)
	outer, inner := size(x.Shape[:a]), size(x.Shape[a+1:])
	order := make([]int, d)
	for o := range outer {
		for i := range inner {
			at := func(j int) float64 { return x.V[(o*d+j)*inner+i] }
			for j := range order {
				order[j] = j
			}
			// Ties: the lower index first (as ONNX Runtime); NaN last.
			sort.SliceStable(order, func(p, q int) bool {
				u, v := at(order[p]), at(order[q])
				if math.IsNaN(v) {
					return !math.IsNaN(u)
				}
				if largest {
					return u > v
				}
				return u < v
			})
			for j := range k {
				p := (o*k+j)*inner + i
				vals.V[p], idxs.V[p] = at(order[j]), float64(order[j])
			}
		}
	}
	return []*Tensor{vals, idxs}, nil
}

func nonZero(c *ctx) ([]*Tensor, error) {
	x, err := c.input(0)
	if err != nil {
		return nil, err
	}
	var hits []int
	for i, v := range x.V {
		if v != 0 {
			hits = append(hits, i)
		}
	}
	r := len(x.Shape)
	if r == 0 {
		t := New(Int64, 0, len(hits))
		return one(t, nil)
	}
	t := New(Int64, r, len(hits))
	xs := strides(x.Shape)
	for j, h := range hits {
		for a := range r {
			t.V[a*len(hits)+j] = float64(h / xs[a] % x.Shape[a])
		}
	}
	return one(t, nil)
}

func ifOp(c *ctx) ([]*Tensor, error) {
	cond, err := c.input(0)
	if err != nil {
		return nil, err
	}
	if len(cond.V) != 1 {
		return nil, fmt.Errorf("condition has shape %v, want one value", cond.Shape)
	}
	branch := "else_branch"
	if cond.V[0] != 0 {
		branch = "then_branch"
	}
	out, err := c.subgraph(branch, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", branch, err)
	}
	return out, nil
}

// loop runs the body while the trip count and condition allow: inputs M
// (optional), cond (optional), loop-carried values; the body takes
// (iteration, cond, carried...) and returns (cond, carried..., scans...);
// the node's outputs are the final carried values, then each scan output
// stacked along a new first axis.
func loop(c *ctx) ([]*Tensor, error) {
	trip := math.MaxInt
	if t := c.opt(0); t != nil {
		trip = int(t.V[0])
	}
	cond := true
	if t := c.opt(1); t != nil {
		cond = t.V[0] != 0
	}
	carried := append([]*Tensor{}, c.in[min(2, len(c.in)):]...)
	nOut := len(c.n.GetOutput())
	nScan := nOut - len(carried)
	if nScan < 0 {
		return nil, fmt.Errorf("%d outputs for %d loop-carried values", nOut, len(carried))
	}
	scans := make([][]*Tensor, nScan)
	for i := 0; i < trip && cond; i++ {
		if i > 1<<24 {
			return nil, fmt.Errorf("more than 2^24 iterations")
		}
		in := append([]*Tensor{{DT: Int64, Shape: []int{}, V: []float64{float64(i)}}, {DT: Bool, Shape: []int{}, V: []float64{b2f(cond)}}}, carried...)
		out, err := c.subgraph("body", in)
		if err != nil {
			return nil, fmt.Errorf("iteration %d: %v", i, err)
		}
		if len(out) != 1+len(carried)+nScan {
			return nil, fmt.Errorf("body returns %d values, want %d", len(out), 1+len(carried)+nScan)
		}
		cond = out[0].V[0] != 0
		carried = out[1 : 1+len(carried)]
		for j := range nScan {
			scans[j] = append(scans[j], out[1+len(carried)+j])
		}
	}
	res := append([]*Tensor{}, carried...)
	for _, s := range scans {
		if len(s) == 0 {
			res = append(res, New(Float, 0))
			continue
		}
		t := New(s[0].DT, append([]int{len(s)}, s[0].Shape...)...)
		for i, x := range s {
			if len(x.V) != len(s[0].V) {
				return nil, fmt.Errorf("scan output changes shape: %v then %v", s[0].Shape, x.Shape)
			}
			copy(t.V[i*len(x.V):], x.V)
		}
		res = append(res, t)
	}
	return res, nil
}
