package onnx

import "fmt"

// This file is the import-time constant folder: it evaluates the integer
// shape arithmetic exporters emit (Shape → Gather/Slice → Unsqueeze →
// Concat → Reshape, ConstantOfShape, Range) and float arithmetic on
// constants, so that neither integer tensors nor constant subgraphs reach
// the IR. Each function takes already-validated axes and returns an error
// naming what is wrong with its operands.

// normAxis maps a possibly negative axis into [0, rank) or fails.
func normAxis(ax, rank int) (int, error) {
	if ax < -rank || ax >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", ax, rank)
	}
	if ax < 0 {
		ax += rank
	}
	return ax, nil
}

// foldGather is numpy take(data, indices, axis).
func foldGather(data, idx *cval, axis int) (*cval, error) {
	r := len(data.shape)
	ax, err := normAxis(axis, r)
	if err != nil {
		return nil, err
	}
	ind, err := idx.ints(false)
	if err != nil {
		return nil, fmt.Errorf("indices: %v", err)
	}
	dim := data.shape[ax]
	for k, v := range ind {
		if v < -dim || v >= dim {
			return nil, fmt.Errorf("index %d out of range for axis of size %d", v, dim)
		}
		if v < 0 {
			ind[k] = v + dim
		}
	}
	outer := shapeSize(data.shape[:ax])
	inner := shapeSize(data.shape[ax+1:])
	if outer*inner > 0 && len(ind) > maxElements/(outer*inner) {
		return nil, fmt.Errorf("result of %d×%d×%d elements is too large", outer, len(ind), inner)
	}
	if err := checkFold("Gather", outer*len(ind)*inner, data.isInt); err != nil {
		return nil, err
	}
	shape := append(append(append([]int{}, data.shape[:ax]...), idx.shape...), data.shape[ax+1:]...)
	src := make([]int, 0, outer*len(ind)*inner)
	for o := 0; o < outer; o++ {
		for _, v := range ind {
			for i := 0; i < inner; i++ {
				src = append(src, (o*dim+v)*inner+i)
			}
		}
	}
	return data.gather(shape, src), nil
}

// foldSlice is ONNX Slice with explicit starts/ends/axes/steps.
func foldSlice(data *cval, starts, ends, axes, steps []int) (*cval, error) {
	r := len(data.shape)
	if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return nil, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	begin := make([]int, r)
	step := make([]int, r)
	count := append([]int{}, data.shape...)
	for k := range step {
		step[k] = 1
	}
	for k, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		d := data.shape[ax]
		s, e, st := starts[k], ends[k], steps[k]
		if st == 0 {
			return nil, fmt.Errorf("step 0 on axis %d", ax)
		}
		clampIdx := func(v, lo, hi int) int {
			if v < 0 {
				v += d
			}
			return min(max(v, lo), hi)
		}
		if st > 0 {
			s, e = clampIdx(s, 0, d), clampIdx(e, 0, d)
			count[ax] = max(0, (e-s+st-1)/st)
		} else {
			s, e = clampIdx(s, 0, d-1), clampIdx(e, -1, d-1)
			if ends[k] < -d {
				e = -1
			}
			count[ax] = max(0, (s-e-st-1)/(-st))
		}
		begin[ax], step[ax] = s, st
	}
	st := strides(data.shape)
	n := shapeSize(count)
	src := make([]int, n)
	idx := make([]int, r)
	for k := 0; k < n; k++ {
		off := 0
		for d := 0; d < r; d++ {
			off += (begin[d] + idx[d]*step[d]) * st[d]
		}
		src[k] = off
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < count[d] {
				break
			}
			idx[d] = 0
		}
	}
	return data.gather(count, src), nil
}

// foldConcat joins constants along axis; integer and float may not mix.
func foldConcat(in []*cval, axis int) (*cval, error) {
	r := len(in[0].shape)
	ax, err := normAxis(axis, r)
	if err != nil {
		return nil, err
	}
	shape := append([]int{}, in[0].shape...)
	shape[ax] = 0
	anySym := false
	for k, c := range in {
		if len(c.shape) != r || c.isInt != in[0].isInt {
			return nil, fmt.Errorf("input %d (shape %v) does not match input 0 (shape %v)", k, c.shape, in[0].shape)
		}
		for d := range c.shape {
			if d != ax && c.shape[d] != in[0].shape[d] {
				return nil, fmt.Errorf("input %d shape %v differs from %v outside axis %d", k, c.shape, in[0].shape, ax)
			}
		}
		shape[ax] += c.shape[ax]
		anySym = anySym || c.sym != nil
	}
	if err := checkFold("Concat", shapeSize(shape), in[0].isInt); err != nil {
		return nil, err
	}
	out := &cval{shape: shape, isInt: in[0].isInt}
	outer := shapeSize(shape[:ax])
	for o := 0; o < outer; o++ {
		for _, c := range in {
			chunk := c.shape[ax] * shapeSize(c.shape[ax+1:])
			lo, hi := o*chunk, (o+1)*chunk
			if c.isInt {
				out.i = append(out.i, c.i[lo:hi]...)
			} else {
				out.f = append(out.f, c.f[lo:hi]...)
			}
			if anySym {
				for k := lo; k < hi; k++ {
					s := -1
					if c.sym != nil {
						s = c.sym[k]
					}
					out.sym = append(out.sym, s)
				}
			}
		}
	}
	return out, nil
}

// foldTranspose permutes a constant's axes.
func foldTranspose(c *cval, perm []int) (*cval, error) {
	r := len(c.shape)
	if len(perm) != r {
		return nil, fmt.Errorf("perm %v for rank %d", perm, r)
	}
	shape := make([]int, r)
	seen := make([]bool, r)
	for k, p := range perm {
		if p < 0 || p >= r || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation", perm)
		}
		seen[p] = true
		shape[k] = c.shape[p]
	}
	st := strides(c.shape)
	n := c.size()
	src := make([]int, n)
	idx := make([]int, r)
	for k := 0; k < n; k++ {
		off := 0
		for d := 0; d < r; d++ {
			off += idx[d] * st[perm[d]]
		}
		src[k] = off
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return c.gather(shape, src), nil
}

// broadcastIndex returns, for each element of the broadcast shape out, the
// flat index into a tensor of shape s.
func broadcastIndex(s, out []int) []int {
	n := shapeSize(out)
	r := len(out)
	st := strides(s)
	src := make([]int, n)
	idx := make([]int, r)
	for k := 0; k < n; k++ {
		off := 0
		for d := 0; d < len(s); d++ {
			if s[d] != 1 {
				off += idx[r-len(s)+d] * st[d]
			}
		}
		src[k] = off
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < out[d] {
				break
			}
			idx[d] = 0
		}
	}
	return src
}

func broadcast(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for d := 0; d < r; d++ {
		da, db := 1, 1
		if k := d - (r - len(a)); k >= 0 {
			da = a[k]
		}
		if k := d - (r - len(b)); k >= 0 {
			db = b[k]
		}
		switch {
		case da == db, db == 1:
			out[d] = da
		case da == 1:
			out[d] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	n := 1
	for _, d := range out {
		if d > 0 && n > maxElements/d {
			return nil, fmt.Errorf("broadcast of %v and %v is too large", a, b)
		}
		n *= d
	}
	return out, nil
}

// foldArith applies Add, Sub, Mul or Div with numpy broadcasting. Integer
// operands give integers (Div truncates, as ONNX Runtime does); a float
// operand makes the result float.
func foldArith(op string, a, b *cval) (*cval, error) {
	if a.hasSym() || b.hasSym() {
		return nil, fmt.Errorf("arithmetic on a symbolic (unknown) dimension cannot be folded at import")
	}
	shape, err := broadcast(a.shape, b.shape)
	if err != nil {
		return nil, err
	}
	n := shapeSize(shape)
	if err := checkFold(op, n, a.isInt && b.isInt); err != nil {
		return nil, err
	}
	ia, ib := broadcastIndex(a.shape, shape), broadcastIndex(b.shape, shape)
	if a.isInt && b.isInt {
		out := make([]int64, n)
		for k := range out {
			x, y := a.i[ia[k]], b.i[ib[k]]
			switch op {
			case "Add":
				out[k] = x + y
			case "Sub":
				out[k] = x - y
			case "Mul":
				out[k] = x * y
			case "Div":
				if y == 0 {
					return nil, fmt.Errorf("integer division by zero")
				}
				out[k] = x / y
			}
			if intOverflow(op, x, y, out[k]) {
				return nil, fmt.Errorf("integer overflow: %d %s %d", x, op, y)
			}
		}
		return newInt(shape, out), nil
	}
	fa, fb := a.floats(), b.floats()
	out := make([]float32, n)
	for k := range out {
		x, y := fa[ia[k]], fb[ib[k]]
		switch op {
		case "Add":
			out[k] = x + y
		case "Sub":
			out[k] = x - y
		case "Mul":
			out[k] = x * y
		case "Div":
			out[k] = x / y
		}
	}
	return newFloat(shape, out), nil
}

// foldCast converts a constant to float or integer.
func foldCast(c *cval, toInt bool) (*cval, error) {
	if toInt == c.isInt {
		return c, nil
	}
	if toInt {
		return castToInt(c)
	}
	return &cval{shape: c.shape, f: c.floats()}, nil
}

func errorsJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// squeezeShape removes the given axes (all size-1 axes when none given).
func squeezeShape(shape []int, axes []int) ([]int, error) {
	drop := map[int]bool{}
	for _, a := range axes {
		ax, err := normAxis(a, len(shape))
		if err != nil {
			return nil, err
		}
		if shape[ax] != 1 {
			return nil, fmt.Errorf("cannot squeeze axis %d of size %d", ax, shape[ax])
		}
		drop[ax] = true
	}
	out := []int{}
	for d, v := range shape {
		if drop[d] || (len(axes) == 0 && v == 1) {
			continue
		}
		out = append(out, v)
	}
	return out, nil
}

// unsqueezeShape inserts size-1 axes at the given output positions.
func unsqueezeShape(shape []int, axes []int) ([]int, error) {
	r := len(shape) + len(axes)
	ins := map[int]bool{}
	for _, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		if ins[ax] {
			return nil, fmt.Errorf("axis %d repeated", ax)
		}
		ins[ax] = true
	}
	out := make([]int, 0, r)
	k := 0
	for d := 0; d < r; d++ {
		if ins[d] {
			out = append(out, 1)
		} else {
			out = append(out, shape[k])
			k++
		}
	}
	return out, nil
}

// reshapeTarget resolves an ONNX Reshape target (0 copies, -1 infers) for a
// constant of known shape.
func resolveReshape(in []int, target []int, allowZero bool) ([]int, error) {
	out := make([]int, len(target))
	infer := -1
	known := 1
	for k, d := range target {
		switch {
		case d == 0 && !allowZero:
			if k >= len(in) {
				return nil, fmt.Errorf("target %v copies axis %d of a rank-%d tensor", target, k, len(in))
			}
			out[k] = in[k]
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("target %v has two -1 entries", target)
			}
			infer = k
			continue
		case d < -1:
			return nil, fmt.Errorf("target %v has a negative dimension", target)
		default:
			out[k] = d
		}
		known *= out[k]
	}
	total := shapeSize(in)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", in, target)
		}
		out[infer] = total / known
	}
	if shapeSize(out) != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, target)
	}
	return out, nil
}
