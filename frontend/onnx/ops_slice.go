package onnx

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// Slice and Split of activations become IR Slice nodes (ir/slice.go), one
// per Split output; on constants they fold (convertSlice, foldSlice). A
// contiguous channel range on NHWC then costs no step where its readers
// address strided operands (pass slice-in-place).

// convertSliceDyn imports Slice of an activation: starts, ends, axes and
// steps must be constants (attributes before opset 10).
func convertSliceDyn(c *nodeCtx) error {
	x, err := c.dyn(0)
	if err != nil {
		return err
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
				return fmt.Errorf("%v (mnc needs constant starts, ends, axes and steps)", err)
			}
		}
	}
	a, err := ir.SliceAttrs(len(x.Shape), starts, ends, axes, steps)
	if err != nil {
		return err
	}
	return c.emit(ir.OpSlice, a, x)
}

// convertSplit imports Split (opsets 1–18): sizes from the split input
// (13+) or attribute, else equal parts (num_outputs from opset 18: the
// last part may be smaller); a constant input folds.
func convertSplit(c *nodeCtx) error {
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
	ax, err := normAxis(int(c.a.int("axis", 0)), r)
	if err != nil {
		return fmt.Errorf("attribute axis: %v", err)
	}
	d := shape[ax]
	if d < 0 {
		return fmt.Errorf("split axis %d has no static length", ax)
	}
	outs := len(c.n.GetOutput())
	var sizes []int
	switch {
	case c.opset() >= 13 && c.input(1) != nil:
		if sizes, err = c.konstInts(1); err != nil {
			return fmt.Errorf("%v (mnc needs constant split sizes)", err)
		}
	case c.opset() < 13 && c.a.has("split"):
		sizes = toInts(c.a.ints("split"))
	case c.opset() < 2 && c.input(1) != nil:
		if sizes, err = c.konstInts(1); err != nil {
			return fmt.Errorf("%v (mnc needs constant split sizes)", err)
		}
	default:
		n := outs
		if c.opset() >= 18 {
			if !c.a.has("num_outputs") {
				return fmt.Errorf("neither the split input nor attribute num_outputs is given")
			}
			n = int(c.a.int("num_outputs", 0))
			if n < 1 || n != outs {
				return fmt.Errorf("num_outputs=%d but the node has %d outputs", n, outs)
			}
			part := (d + n - 1) / n
			for k := 0; k < n; k++ {
				sizes = append(sizes, max(0, min(part, d-k*part)))
			}
		} else {
			if d%n != 0 {
				return fmt.Errorf("axis %d of length %d does not split into %d equal parts", ax, d, n)
			}
			for range n {
				sizes = append(sizes, d/n)
			}
		}
	}
	if len(sizes) != outs {
		return fmt.Errorf("%d split sizes %v for %d outputs", len(sizes), sizes, outs)
	}
	total := 0
	for _, n := range sizes {
		if n < 0 {
			return fmt.Errorf("negative split size in %v", sizes)
		}
		total += n
	}
	if total != d {
		return fmt.Errorf("split sizes %v add up to %d, not axis %d's length %d", sizes, total, ax, d)
	}
	c.out = make([]*slot, outs)
	at := 0
	for k, n := range sizes {
		name := c.n.GetOutput()[k]
		if s.c != nil {
			kv, err := foldSlice(s.c, []int{at}, []int{at + n}, []int{ax}, []int{1})
			if err != nil {
				return err
			}
			c.out[k] = &slot{c: kv}
		} else if name != "" {
			a, err := ir.SliceAttrs(r, []int{at}, []int{at + n}, []int{ax}, nil)
			if err != nil {
				return err
			}
			v, err := c.im.emit(ir.OpSlice, name, a, s.v)
			if err != nil {
				return err
			}
			c.out[k] = &slot{v: v}
		}
		at += n
	}
	return nil
}
