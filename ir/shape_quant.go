package ir

import "fmt"

// inferQuant is InferNode for the quantized operators (ir/quant.go).
func inferQuant(n *Node) (Shape, error) {
	fail := func(format string, args ...any) (Shape, error) {
		return nil, &ShapeError{Node: n.Name, Op: n.Op, Msg: fmt.Sprintf(format, args...)}
	}
	need := func(idx ...int) error {
		for _, i := range idx {
			if n.Input(i) == nil {
				_, err := fail("input %d is missing", i)
				return err
			}
		}
		return nil
	}
	// param checks that input i (scale or zero point), if present, is a
	// scalar or, when perAxis >= 0, a 1-D tensor of length perAxis.
	param := func(i, perAxis int) error {
		v := n.Input(i)
		if v == nil {
			return nil
		}
		if v.Shape.Size() == 1 && len(v.Shape) <= 1 {
			return nil
		}
		if perAxis >= 0 && len(v.Shape) == 1 && (v.Shape[0] == perAxis || perAxis < 0) {
			return nil
		}
		if perAxis >= 0 {
			_, err := fail("quantization parameter %q has shape %v, want a scalar or [%d]", v.Name, v.Shape, perAxis)
			return err
		}
		_, err := fail("quantization parameter %q has shape %v, want a scalar", v.Name, v.Shape)
		return err
	}
	scalars := func(idx ...int) error {
		for _, i := range idx {
			if err := param(i, -1); err != nil {
				return err
			}
		}
		return nil
	}
	if len(n.Outputs) != 1 {
		return fail("has %d outputs, want 1", len(n.Outputs))
	}
	if n.Op != OpDynQuantScale && n.Op != OpDynQuantZeroPoint {
		if n.Attrs.QType > QInt32 {
			return fail("unknown quantized type %v", n.Attrs.QType)
		}
	}
	switch n.Op {
	case OpQuantizeLinear, OpDequantizeLinear:
		if err := need(0, 1); err != nil {
			return nil, err
		}
		x := n.Input(0).Shape
		ch := -1
		if s := n.Input(1).Shape; s.Size() != 1 || len(s) > 1 {
			ax := normAxis(n.Attrs.Axis, len(x))
			if ax < 0 || ax >= len(x) {
				return fail("axis %d out of range for rank %d", n.Attrs.Axis, len(x))
			}
			ch = x[ax]
		}
		for _, i := range []int{1, 2} {
			if err := param(i, ch); err != nil {
				return nil, err
			}
		}
		if zp, s := n.Input(2), n.Input(1); zp != nil && !zp.Shape.Equal(s.Shape) && !(zp.Shape.Size() == 1 && s.Shape.Size() == 1) {
			return fail("zero point %q has shape %v but scale %q has %v", zp.Name, zp.Shape, s.Name, s.Shape)
		}
		return x.Clone(), nil
	case OpRequantize:
		if err := need(0, 1, 2); err != nil {
			return nil, err
		}
		x := n.Input(0).Shape
		if len(x) < 2 {
			return fail("input must have a channel axis, got %v", x)
		}
		if err := param(1, x[1]); err != nil {
			return nil, err
		}
		if err := scalars(2); err != nil {
			return nil, err
		}
		return x.Clone(), nil
	case OpQAdd:
		if err := need(0, 1, 2, 3, 4, 5); err != nil {
			return nil, err
		}
		if err := scalars(2, 3, 4, 5); err != nil {
			return nil, err
		}
		a, b := n.Input(0).Shape, n.Input(1).Shape
		if !a.Equal(b) {
			return fail("operands have shapes %v and %v, want one shape", a, b)
		}
		return a.Clone(), nil
	case OpDynQuantScale, OpDynQuantZeroPoint:
		if err := need(0); err != nil {
			return nil, err
		}
		return Shape{}, nil
	case OpQLinearConv, OpConvInteger:
		xi, wi, bi := 0, 3, 8
		if n.Op == OpConvInteger {
			xi, wi, bi = 0, 1, -1
			if err := need(0, 1); err != nil {
				return nil, err
			}
			if err := scalars(2); err != nil {
				return nil, err
			}
			if w := n.Input(1).Shape; len(w) > 0 {
				if err := param(3, w[0]); err != nil {
					return nil, err
				}
			}
		} else {
			if err := need(0, 1, 2, 3, 4, 5, 6, 7); err != nil {
				return nil, err
			}
			if err := scalars(1, 2, 6, 7); err != nil {
				return nil, err
			}
			if len(n.Input(3).Shape) > 0 {
				if err := param(4, n.Input(3).Shape[0]); err != nil {
					return nil, err
				}
				if err := param(5, n.Input(3).Shape[0]); err != nil {
					return nil, err
				}
			}
		}
		in := []*Value{n.Input(xi), n.Input(wi)}
		if bi >= 0 {
			in = append(in, n.Input(bi))
		}
		a := n.Attrs
		a.Fused = Epilogue{}
		return InferNode(&Node{Name: n.Name, Op: OpConv, Inputs: in, Outputs: n.Outputs, Attrs: a})
	case OpQLinearMatMul, OpMatMulInteger:
		ai, bi := 0, 3
		if n.Op == OpMatMulInteger {
			ai, bi = 0, 1
			if err := need(0, 1); err != nil {
				return nil, err
			}
		} else {
			if err := need(0, 1, 2, 3, 4, 5, 6, 7); err != nil {
				return nil, err
			}
			if err := scalars(1, 2, 6, 7); err != nil {
				return nil, err
			}
			if b := n.Input(3).Shape; len(b) >= 1 {
				if err := param(4, b[len(b)-1]); err != nil {
					return nil, err
				}
				if err := param(5, b[len(b)-1]); err != nil {
					return nil, err
				}
			}
		}
		return InferNode(&Node{Name: n.Name, Op: OpMatMul, Inputs: []*Value{n.Input(ai), n.Input(bi)}, Outputs: n.Outputs})
	case OpQLinearAdd, OpQLinearMul:
		if err := need(0, 1, 3, 4, 6); err != nil {
			return nil, err
		}
		if err := scalars(1, 2, 4, 5, 6, 7); err != nil {
			return nil, err
		}
		s, ok := BroadcastShapes(n.Input(0).Shape, n.Input(3).Shape)
		if !ok {
			return fail("shapes %v and %v do not broadcast", n.Input(0).Shape, n.Input(3).Shape)
		}
		return s, nil
	case OpQLinearGlobalAveragePool, OpQLinearSigmoid, OpQLinearLeakyRelu:
		if err := need(0, 1, 3); err != nil {
			return nil, err
		}
		if err := scalars(1, 2, 3, 4); err != nil {
			return nil, err
		}
		x := n.Input(0).Shape
		if n.Op != OpQLinearGlobalAveragePool {
			return x.Clone(), nil
		}
		if len(x) < 3 {
			return fail("input must have spatial axes, got %v", x)
		}
		out := x.Clone()
		for i := 2; i < len(out); i++ {
			out[i] = 1
		}
		return out, nil
	case OpQGemm:
		if err := need(0, 1, 3, 4); err != nil {
			return nil, err
		}
		if err := scalars(1, 2, 7, 8); err != nil {
			return nil, err
		}
		a := n.Attrs
		a.Alpha, a.Beta, a.Fused = 1, 1, Epilogue{}
		b := n.Input(3).Shape
		if len(b) == 2 {
			nOut := b[1]
			if a.TransB {
				nOut = b[0]
			}
			if err := param(4, nOut); err != nil {
				return nil, err
			}
			if err := param(5, nOut); err != nil {
				return nil, err
			}
		}
		return InferNode(&Node{Name: n.Name, Op: OpGemm, Inputs: []*Value{n.Input(0), n.Input(3), n.Input(6)}, Outputs: n.Outputs, Attrs: a})
	}
	return fail("unknown operator")
}
