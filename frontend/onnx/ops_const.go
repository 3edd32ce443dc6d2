package onnx

// Operators that only exist as import-time constants: Constant, and the
// shape arithmetic mnc folds (Shape, Size, Gather, Slice, ConstantOfShape,
// Range).

import "fmt"

// convertShape yields the input's shape as an import-time integer constant;
// an unknown (symbolic) dimension becomes a symbolic element (see cval).
func convertShape(c *nodeCtx) error {
	s := c.input(0)
	if s == nil {
		return fmt.Errorf("required input 0 is missing")
	}
	var shape []int
	if s.c != nil {
		shape = s.c.shape
	} else {
		shape = s.v.Shape
	}
	r := len(shape)
	start, end := int(c.a.int("start", 0)), int(c.a.int("end", int64(r)))
	clampAx := func(v int) int {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	start, end = clampAx(start), max(clampAx(end), clampAx(start))
	out := newInt([]int{end - start}, make([]int64, end-start))
	for k := start; k < end; k++ {
		if shape[k] < 0 {
			if out.sym == nil {
				out.sym = make([]int, end-start)
				for j := range out.sym {
					out.sym[j] = -1
				}
			}
			out.sym[k-start] = k
			continue
		}
		out.i[k-start] = int64(shape[k])
	}
	c.setConst(out)
	return nil
}

func convertGather(c *nodeCtx) error {
	data, err := c.konst(0)
	if err != nil {
		return fmt.Errorf("%v (mnc folds Gather only on constants)", err)
	}
	idx, err := c.konst(1)
	if err != nil {
		return err
	}
	k, err := foldGather(data, idx, int(c.a.int("axis", 0)))
	if err != nil {
		return err
	}
	c.setConst(k)
	return nil
}

// convertSlice folds Slice on constants: starts/ends/axes as attributes
// before opset 10, as inputs (with steps) from 10.
func convertSlice(c *nodeCtx) error {
	if s := c.input(0); s != nil && s.c == nil {
		return convertSliceDyn(c) // an activation: an IR Slice (ops_slice.go)
	}
	data, err := c.konst(0)
	if err != nil {
		return fmt.Errorf("%v (mnc folds Slice only on constants)", err)
	}
	var starts, ends, axes, steps []int
	if c.opset() < 10 {
		starts, ends, axes = toInts(c.a.ints("starts")), toInts(c.a.ints("ends")), toInts(c.a.ints("axes"))
	} else {
		if err := c.need(3); err != nil {
			return err
		}
		for i, dst := range []*[]int{&starts, &ends, &axes, &steps} {
			if *dst, err = c.konstInts(1 + i); err != nil {
				return err
			}
		}
	}
	if axes == nil {
		for k := range starts {
			axes = append(axes, k)
		}
	}
	if steps == nil {
		for range starts {
			steps = append(steps, 1)
		}
	}
	k, err := foldSlice(data, starts, ends, axes, steps)
	if err != nil {
		return err
	}
	c.setConst(k)
	return nil
}

// convertConstant reads Constant's value in any of its forms.
func convertConstant(c *nodeCtx) error {
	switch {
	case c.a.has("value"):
		t := c.a.tensor("value")
		if t == nil {
			return c.a.err
		}
		k, err := c.im.inits.decode(t, c.im.dir)
		if err != nil {
			return err
		}
		c.setConst(k)
	case c.a.has("value_float"):
		c.setConst(newFloat(nil, []float32{c.a.float("value_float", 0)}))
	case c.a.has("value_floats"):
		f := append([]float32{}, c.a.floats("value_floats")...)
		c.setConst(newFloat([]int{len(f)}, f))
	case c.a.has("value_int"):
		c.setConst(newInt(nil, []int64{c.a.int("value_int", 0)}))
	case c.a.has("value_ints"):
		i := append([]int64{}, c.a.ints("value_ints")...)
		c.setConst(newInt([]int{len(i)}, i))
	default:
		return fmt.Errorf("Constant without a supported value attribute (value, value_float(s), value_int(s))")
	}
	return nil
}

func convertConstantOfShape(c *nodeCtx) error {
	shape, err := c.konstInts(0)
	if err != nil {
		return err
	}
	if c.input(0) == nil {
		return fmt.Errorf("required input 0 is missing")
	}
	n := 1
	for _, d := range shape {
		if d < 0 || d > maxElements {
			return fmt.Errorf("bad shape %v", shape)
		}
		n *= d
		if n > maxElements {
			return fmt.Errorf("shape %v is too large", shape)
		}
	}
	fill := newFloat(nil, []float32{0})
	if t := c.a.tensor("value"); t != nil {
		if fill, err = decodeTensor(t, c.im.dir); err != nil {
			return err
		}
		if fill.size() != 1 {
			return fmt.Errorf("value must hold one element, has shape %v", fill.shape)
		}
	}
	if err := checkFold(fmt.Sprintf("ConstantOfShape(%v)", shape), n, fill.isInt); err != nil {
		return err
	}
	src := make([]int, n)
	c.setConst(fill.gather(shape, src))
	return nil
}

func convertRange(c *nodeCtx) error {
	var ks [3]*cval
	for i := range ks {
		k, err := c.konst(i)
		if err != nil {
			return err
		}
		ks[i] = k
	}
	k, err := foldRange(ks[0], ks[1], ks[2])
	if err != nil {
		return err
	}
	c.setConst(k)
	return nil
}

// convertSize folds Size (the element count) when the input's shape is
// known; PyTorch's Pad export computes its pads with it.
func convertSize(c *nodeCtx) error {
	if err := c.need(1); err != nil {
		return err
	}
	n := 1
	for _, d := range inShape(c) {
		if d < 0 {
			return fmt.Errorf("Size of %q depends on an unknown dimension", c.inName(0))
		}
		n *= d
	}
	c.setConst(newInt(nil, []int64{int64(n)}))
	return nil
}
