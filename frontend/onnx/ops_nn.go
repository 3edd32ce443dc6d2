package onnx

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// spatial reads the 2-D window attributes shared by Conv and the pools:
// strides, dilations and pads (resolving auto_pad against the input's
// height and width and the kernel size).
func spatial(c *nodeCtx, x ir.Shape, kernel [2]int) (strides, dil [2]int, pads [4]int, err error) {
	strides, dil = [2]int{1, 1}, [2]int{1, 1}
	if s := c.a.ints("strides"); s != nil {
		if len(s) != 2 {
			return strides, dil, pads, fmt.Errorf("strides %v: want 2 values", s)
		}
		strides = [2]int{int(s[0]), int(s[1])}
	}
	if d := c.a.ints("dilations"); d != nil {
		if len(d) != 2 {
			return strides, dil, pads, fmt.Errorf("dilations %v: want 2 values", d)
		}
		dil = [2]int{int(d[0]), int(d[1])}
	}
	for k := 0; k < 2; k++ {
		if strides[k] <= 0 || dil[k] <= 0 || strides[k] > maxElements || dil[k] > maxElements {
			return strides, dil, pads, fmt.Errorf("strides %v and dilations %v must be positive and at most %d", strides, dil, maxElements)
		}
	}
	switch mode := c.a.str("auto_pad", "NOTSET"); mode {
	case "NOTSET", "":
		if p := c.a.ints("pads"); p != nil {
			if len(p) != 4 {
				return strides, dil, pads, fmt.Errorf("pads %v: want 4 values (top, left, bottom, right)", p)
			}
			for k := range pads {
				pads[k] = int(p[k])
				if pads[k] < 0 || pads[k] > maxElements {
					return strides, dil, pads, fmt.Errorf("pads %v must be non-negative and at most %d", p, maxElements)
				}
			}
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for k := 0; k < 2; k++ {
			in := x[2+k]
			if in < 0 {
				return strides, dil, pads, fmt.Errorf("auto_pad %s needs a known input size, got %v", mode, x)
			}
			out := (in + strides[k] - 1) / strides[k]
			total := max(0, (out-1)*strides[k]+(kernel[k]-1)*dil[k]+1-in)
			small, big := total/2, total-total/2
			if mode == "SAME_UPPER" {
				pads[k], pads[k+2] = small, big
			} else {
				pads[k], pads[k+2] = big, small
			}
		}
	default:
		return strides, dil, pads, fmt.Errorf("auto_pad %q is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", mode)
	}
	return strides, dil, pads, nil
}

func need4D(c *nodeCtx, what string, s ir.Shape) error {
	if len(s) != 4 {
		return fmt.Errorf("%s %q has shape %v; mnc supports only 2-D (NCHW) %s", what, c.inName(0), s, c.n.GetOpType())
	}
	return nil
}

// convOperands reads a Conv's or ConvTranspose's input, constant 4-D
// weight (laid out as wantW says) and optional bias, and checks
// kernel_shape against the weight.
func convOperands(c *nodeCtx, wantW string) (x, w, b *ir.Value, kernel [2]int, err error) {
	if err = c.need(2); err != nil {
		return
	}
	if err = c.needConst("weight", 1, 2); err != nil {
		return
	}
	if x, err = c.dyn(0); err != nil {
		return
	}
	if w, err = c.dyn(1); err != nil {
		return
	}
	if b, err = c.optDyn(2); err != nil {
		return
	}
	if err = need4D(c, "input", x.Shape); err != nil {
		return
	}
	if len(w.Shape) != 4 {
		err = fmt.Errorf("weight %q has shape %v, want 4-D %s", w.Name, w.Shape, wantW)
		return
	}
	kernel = [2]int{w.Shape[2], w.Shape[3]}
	if ks := c.a.ints("kernel_shape"); ks != nil && (len(ks) != 2 || int(ks[0]) != kernel[0] || int(ks[1]) != kernel[1]) {
		err = fmt.Errorf("kernel_shape %v does not match weight %q %v", ks, w.Name, w.Shape)
	}
	return
}

func convertConv(c *nodeCtx) error {
	x, w, b, kernel, err := convOperands(c, "[out, in/group, kh, kw]")
	if err != nil {
		return err
	}
	st, dil, pads, err := spatial(c, x.Shape, kernel)
	if err != nil {
		return err
	}
	group := int(c.a.int("group", 1))
	a := ir.Attrs{Strides: st, Dilations: dil, Pads: pads, Group: group}
	in := []*ir.Value{x, w}
	if b != nil {
		in = append(in, b)
	}
	return c.emit(ir.OpConv, a, in...)
}

func convertBatchNorm(c *nodeCtx) error {
	if err := c.need(5); err != nil {
		return err
	}
	if c.a.int("training_mode", 0) != 0 {
		return fmt.Errorf("training_mode=1 is not supported (inference only)")
	}
	if c.opset() < 9 && c.a.int("spatial", 1) != 1 {
		return fmt.Errorf("spatial=0 is not supported")
	}
	if err := c.needConst("parameter", 1, 2, 3, 4); err != nil {
		return err
	}
	in := make([]*ir.Value, 5)
	for i := range in {
		v, err := c.dyn(i)
		if err != nil {
			return err
		}
		in[i] = v
	}
	return c.emit(ir.OpBatchNorm, ir.Attrs{Epsilon: c.a.float("epsilon", 1e-5)}, in...)
}

func convertPool(op ir.Op) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		x, err := c.dyn(0)
		if err != nil {
			return err
		}
		if err := need4D(c, "input", x.Shape); err != nil {
			return err
		}
		ks := c.a.ints("kernel_shape")
		if len(ks) != 2 || ks[0] <= 0 || ks[1] <= 0 || ks[0] > maxElements || ks[1] > maxElements {
			return fmt.Errorf("kernel_shape %v: want 2 positive values", ks)
		}
		kernel := [2]int{int(ks[0]), int(ks[1])}
		st, dil, pads, err := spatial(c, x.Shape, kernel)
		if err != nil {
			return err
		}
		if op == ir.OpAveragePool && dil != [2]int{1, 1} {
			return fmt.Errorf("dilated AveragePool is not supported")
		}
		if op == ir.OpMaxPool && c.a.int("storage_order", 0) != 0 {
			return fmt.Errorf("storage_order=1 is not supported")
		}
		a := ir.Attrs{Kernel: kernel, Strides: st, Pads: pads, Dilations: dil,
			CeilMode: c.a.int("ceil_mode", 0) != 0, CountIncludePad: c.a.int("count_include_pad", 0) != 0}
		return c.emit(op, a, x)
	}
}

func convertGemm(c *nodeCtx) error {
	if err := c.need(2); err != nil {
		return err
	}
	a := ir.Attrs{Alpha: c.a.float("alpha", 1), Beta: c.a.float("beta", 1),
		TransA: c.a.int("transA", 0) != 0, TransB: c.a.int("transB", 0) != 0}
	in := []*ir.Value{}
	for i := 0; i < 3; i++ {
		v, err := c.optDyn(i)
		if err != nil {
			return err
		}
		if v != nil {
			in = append(in, v)
		}
	}
	return c.emit(ir.OpGemm, a, in...)
}

func convertMatMul(c *nodeCtx) error {
	if err := c.need(2); err != nil {
		return err
	}
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	y, err := c.dyn(1)
	if err != nil {
		return err
	}
	return c.emit(ir.OpMatMul, ir.Attrs{}, x, y)
}

// convertSoftmax honours the change at opset 13: before it, Softmax(axis)
// flattened the input to 2-D at axis (default 1) and normalised over the
// whole second half; from 13 it normalises along one axis (default -1).
func convertSoftmax(c *nodeCtx) error {
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	r := len(x.Shape)
	if c.opset() >= 13 {
		return c.emit(ir.OpSoftmax, ir.Attrs{Axis: int(c.a.int("axis", -1))}, x)
	}
	ax, err := normAxis(int(c.a.int("axis", 1)), r)
	if err != nil {
		return err
	}
	if ax == r-1 {
		return c.emit(ir.OpSoftmax, ir.Attrs{Axis: ax}, x)
	}
	flat, err := c.emitStep(ir.OpFlatten, "flatten", ir.Attrs{Axis: ax}, x)
	if err != nil {
		return err
	}
	sm, err := c.emitStep(ir.OpSoftmax, "softmax", ir.Attrs{Axis: 1}, flat)
	if err != nil {
		return err
	}
	target, err := ir.ReshapeTarget(x.Shape, flat.Shape)
	if err != nil {
		return err
	}
	return c.emit(ir.OpReshape, ir.Attrs{Shape: target}, sm)
}
