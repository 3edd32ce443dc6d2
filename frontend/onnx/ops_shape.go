package onnx

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// reshapeTo gives the node's output the given shape: folded for a constant
// input, else an IR Reshape with target written by ir.ReshapeTarget.
func reshapeTo(c *nodeCtx, shape []int) error {
	s := c.input(0)
	if s.c != nil {
		c.setConst(s.c.reshaped(shape))
		return nil
	}
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	target, err := ir.ReshapeTarget(ir.Shape(shape), x.Shape)
	if err != nil {
		return err
	}
	return c.emit(ir.OpReshape, ir.Attrs{Shape: target}, x)
}

func inShape(c *nodeCtx) []int {
	s := c.input(0)
	if s.c != nil {
		return s.c.shape
	}
	return s.v.Shape
}

// axesArg reads Squeeze/Unsqueeze/ReduceMean axes: an attribute before
// opset `since`, an optional constant input (index 1) from it.
func axesArg(c *nodeCtx, since int) ([]int, error) {
	if c.opset() < since {
		return toInts(c.a.ints("axes")), nil
	}
	return c.konstInts(1)
}

func convertSqueeze(c *nodeCtx) error {
	if err := c.need(1); err != nil {
		return err
	}
	axes, err := axesArg(c, 13)
	if err != nil {
		return err
	}
	in := inShape(c)
	if len(axes) == 0 {
		for _, d := range in {
			if d < 0 {
				return fmt.Errorf("Squeeze without axes on shape %v with unknown dimensions", ir.Shape(in))
			}
		}
	}
	out, err := squeezeShape(in, axes)
	if err != nil {
		return err
	}
	return reshapeTo(c, out)
}

func convertUnsqueeze(c *nodeCtx) error {
	if err := c.need(1); err != nil {
		return err
	}
	axes, err := axesArg(c, 13)
	if err != nil {
		return err
	}
	out, err := unsqueezeShape(inShape(c), axes)
	if err != nil {
		return err
	}
	return reshapeTo(c, out)
}

func convertFlatten(c *nodeCtx) error {
	if err := c.need(1); err != nil {
		return err
	}
	axis := int(c.a.int("axis", 1))
	if s := c.input(0); s.c != nil {
		r := len(s.c.shape)
		if axis < 0 {
			axis += r
		}
		if axis < 0 || axis > r {
			return fmt.Errorf("axis %d out of range for rank %d", axis, r)
		}
		c.setConst(s.c.reshaped([]int{shapeSize(s.c.shape[:axis]), shapeSize(s.c.shape[axis:])}))
		return nil
	}
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	return c.emit(ir.OpFlatten, ir.Attrs{Axis: axis}, x)
}

// convertReshape takes the target from the constant shape input. A
// symbolic element (from Shape of a symbolic batch) becomes 0 when it
// copies the same axis, else -1, so the result does not bake in a batch
// size.
func convertReshape(c *nodeCtx) error {
	if err := c.need(1); err != nil {
		return err
	}
	k, err := c.konst(1)
	if err != nil {
		return err
	}
	if len(k.shape) != 1 {
		return fmt.Errorf("shape input %q must be 1-D, got %v", c.inName(1), k.shape)
	}
	target, err := k.ints(true)
	if err != nil {
		return err
	}
	sym := k.sym
	allowZero := c.a.int("allowzero", 0) != 0
	if s := c.input(0); s.c != nil {
		if hasSymbolic(sym) {
			return fmt.Errorf("cannot fold a Reshape whose target depends on a symbolic dimension")
		}
		shape, err := resolveReshape(s.c.shape, target, allowZero)
		if err != nil {
			return err
		}
		c.setConst(s.c.reshaped(shape))
		return nil
	}
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	minusOne := 0
	for k, d := range target {
		if sym != nil && sym[k] >= 0 {
			if k < len(x.Shape) && x.Shape[k] < 0 && sym[k] == k {
				target[k] = 0
				continue
			}
			target[k] = -1
		}
		if target[k] == -1 {
			minusOne++
		}
		if d == 0 && allowZero {
			return fmt.Errorf("allowzero=1 with a zero in the target %v is not supported", target)
		}
	}
	if minusOne > 1 {
		return fmt.Errorf("target %v has more than one unknown dimension", target)
	}
	if err := resolveInferred(x.Shape, target); err != nil {
		return err
	}
	return c.emit(ir.OpReshape, ir.Attrs{Shape: target}, x)
}

// resolveInferred replaces the -1 of a Reshape target by its value when the
// input's only unknown dimensions are copied by 0s at their own positions
// (Reshape(x, [0, -1]) on a symbolic batch, as tf2onnx writes Flatten):
// the -1 is then a known size, and the target keeps just the 0 for the
// batch rather than asking shape inference to divide an unknown total.
func resolveInferred(x ir.Shape, target []int) error {
	infer := -1
	known := 1
	for k, d := range target {
		switch {
		case d == -1:
			infer = k
		case d == 0 && k < len(x):
			if x[k] >= 0 {
				known *= x[k]
			}
		default:
			known *= d
		}
	}
	if infer < 0 || x.Size() >= 0 {
		return nil
	}
	total := 1
	for k, d := range x {
		if d < 0 {
			if k >= len(target) || target[k] != 0 {
				return nil // the unknown dimension is what -1 infers
			}
			continue
		}
		total *= d
	}
	if known == 0 || total%known != 0 {
		return fmt.Errorf("cannot reshape %v to %v", x, target)
	}
	target[infer] = total / known
	return nil
}

func hasSymbolic(sym []int) bool {
	for _, s := range sym {
		if s >= 0 {
			return true
		}
	}
	return false
}

func convertTranspose(c *nodeCtx) error {
	if err := c.need(1); err != nil {
		return err
	}
	r := len(inShape(c))
	perm := toInts(c.a.ints("perm"))
	if perm == nil {
		for k := r - 1; k >= 0; k-- {
			perm = append(perm, k)
		}
	}
	if s := c.input(0); s.c != nil {
		k, err := foldTranspose(s.c, perm)
		if err != nil {
			return err
		}
		c.setConst(k)
		return nil
	}
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	return c.emit(ir.OpTranspose, ir.Attrs{Perm: perm}, x)
}

func convertConcat(c *nodeCtx) error {
	if len(c.in) == 0 {
		return fmt.Errorf("no inputs")
	}
	axis := int(c.a.int("axis", 0))
	if c.allConst() {
		var ks []*cval
		for i := range c.in {
			k, err := c.konst(i)
			if err != nil {
				return err
			}
			ks = append(ks, k)
		}
		k, err := foldConcat(ks, axis)
		if err != nil {
			return err
		}
		c.setConst(k)
		return nil
	}
	var in []*ir.Value
	for i := range c.in {
		v, err := c.dyn(i)
		if err != nil {
			return err
		}
		in = append(in, v)
	}
	return c.emit(ir.OpConcat, ir.Attrs{Axis: axis}, in...)
}

// convertPad: pads and value are attributes before opset 11 and inputs
// from 11 (with an optional axes input from 18).
func convertPad(c *nodeCtx) error {
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	r := len(x.Shape)
	mode := c.a.str("mode", "constant")
	var pads []int
	var value float32
	if c.opset() < 11 {
		pads = toInts(c.a.ints("pads"))
		value = c.a.float("value", 0)
	} else {
		if pads, err = c.konstInts(1); err != nil {
			return err
		}
		if c.input(2) != nil {
			k, err := c.konst(2)
			if err != nil {
				return err
			}
			v, err := k.scalar()
			if err != nil {
				return fmt.Errorf("constant_value: %v", err)
			}
			value = float32(v)
		}
		axes, err := c.konstInts(3)
		if err != nil {
			return err
		}
		if axes != nil {
			if len(pads) != 2*len(axes) {
				return fmt.Errorf("pads %v need %d entries for axes %v", pads, 2*len(axes), axes)
			}
			full := make([]int, 2*r)
			for k, a := range axes {
				ax, err := normAxis(a, r)
				if err != nil {
					return err
				}
				full[ax], full[ax+r] = pads[k], pads[k+len(axes)]
			}
			pads = full
		}
	}
	if len(pads) != 2*r {
		return fmt.Errorf("pads %v need %d entries for rank %d", pads, 2*r, r)
	}
	return c.emit(ir.OpPad, ir.Attrs{PadAmounts: pads, PadValue: value, PadMode: mode}, x)
}

// convertReduceMean: axes are an attribute before opset 18, an optional
// input from 18 (where noop_with_empty_axes makes empty axes the identity).
func convertReduceMean(c *nodeCtx) error {
	axes, err := axesArg(c, 18)
	if err != nil {
		return err
	}
	if len(axes) == 0 && c.opset() >= 18 && c.a.int("noop_with_empty_axes", 0) != 0 {
		return c.alias(0)
	}
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	return c.emit(ir.OpReduceMean, ir.Attrs{Axes: axes, KeepDims: c.a.int("keepdims", 1) != 0}, x)
}
