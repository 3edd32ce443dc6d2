package onnx

import (
	"fmt"
	"math"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
)

func convertUnary(op ir.Op) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		x, err := c.dyn(0)
		if err != nil {
			return err
		}
		a := ir.Attrs{}
		switch op {
		case ir.OpHardSigmoid:
			a.Alpha, a.Beta = c.a.float("alpha", 0.2), c.a.float("beta", 0.5)
		case ir.OpLeakyRelu:
			a.Alpha = c.a.float("alpha", 0.01)
		}
		return c.emit(op, a, x)
	}
}

// registeredActivation imports, under its own name, an activation that ir
// knows by its registration alone (ir.OpInfo.ActFn) and that reads no
// attribute: a new activation needs no line in opTable. (One with
// attributes has its line, for ONNX's defaults: see convertUnary.)
func registeredActivation(name string) (opDef, bool) {
	op, ok := ir.OpByName(name)
	if !ok {
		return opDef{}, false
	}
	if info := op.Info(); info.ActFn == nil || info.Attrs != "" || !op.IsElementwiseActivation() {
		return opDef{}, false
	}
	return opDef{convertUnary(op)}, true
}

// convertPRelu: the slope (usually a per-channel constant, [C,1,1])
// broadcasts to X.
func convertPRelu(c *nodeCtx) error {
	if err := c.need(2); err != nil {
		return err
	}
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	s, err := c.operand(1)
	if err != nil {
		return err
	}
	return c.emit(ir.OpPRelu, ir.Attrs{}, x, s)
}

// convertClip reads the bounds from attributes before opset 11 and from
// optional constant inputs from 11; an absent bound is infinite.
func convertClip(c *nodeCtx) error {
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if c.opset() < 11 {
		lo, hi = c.a.float("min", lo), c.a.float("max", hi)
	} else {
		for i, b := range []*float32{&lo, &hi} {
			if c.input(1+i) == nil {
				continue
			}
			k, err := c.konst(1 + i)
			if err != nil {
				return err
			}
			v, err := k.scalar()
			if err != nil {
				return fmt.Errorf("input %d (%q): %v", 1+i, c.inName(1+i), err)
			}
			*b = float32(v)
		}
	}
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	return c.emit(ir.OpClip, ir.ClipAttrs(lo, hi), x)
}

// convertArith folds Add/Sub/Mul/Div of constants (shape arithmetic, scale
// factors) and otherwise emits the IR op of the same name.
func convertArith(op ir.Op) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		if err := c.need(2); err != nil {
			return err
		}
		if c.allConst() {
			k, err := foldArith(c.n.GetOpType(), c.in[0].c, c.in[1].c)
			if err != nil {
				return err
			}
			c.setConst(k)
			return nil
		}
		var in [2]*ir.Value
		for i := range in {
			v, err := c.operand(i)
			if err != nil {
				return err
			}
			in[i] = v
		}
		return c.emit(op, ir.Attrs{}, in[0], in[1])
	}
}

// operand returns input i of a broadcasting binary op. A scalar (0-d)
// constant beside a tensor of rank ≥ 1 — how torch.onnx writes x·6 — is
// given shape [1], which broadcasts identically, so later stages never see
// rank-0 tensors.
func (c *nodeCtx) operand(i int) (*ir.Value, error) {
	s, other := c.input(i), c.input(1-i)
	if s.c != nil && len(s.c.shape) == 0 && s.v == nil && rankOf(other) >= 1 {
		if s.c.hasSym() {
			return nil, fmt.Errorf("input %d (%q) depends on a symbolic dimension", i, c.inName(i))
		}
		return c.im.g.AddConst(c.inName(i), newFloat([]int{1}, s.c.floats()).tensor()), nil
	}
	return c.dyn(i)
}

func rankOf(s *slot) int {
	if s.v != nil {
		return len(s.v.Shape)
	}
	return len(s.c.shape)
}

func convertIdentity(c *nodeCtx) error { return c.alias(0) }

// convertDropout is the identity in inference; the mask output is not
// computed, and training_mode=true is refused.
func convertDropout(c *nodeCtx) error {
	if c.input(2) != nil {
		k, err := c.konst(2)
		if err != nil {
			return err
		}
		if v, err := k.scalar(); err != nil || v != 0 {
			return fmt.Errorf("training_mode must be false (inference only)")
		}
	}
	return c.alias(0)
}

// convertCast: float to float is a no-op; constants convert either way;
// a runtime tensor cannot become integer (the IR is float only).
func convertCast(c *nodeCtx) error {
	to := pb.TensorProto_DataType(c.a.int("to", 0))
	var toInt bool
	switch to {
	case pb.TensorProto_FLOAT, pb.TensorProto_DOUBLE, pb.TensorProto_FLOAT16, pb.TensorProto_BFLOAT16:
	case pb.TensorProto_INT64, pb.TensorProto_INT32, pb.TensorProto_INT16, pb.TensorProto_INT8,
		pb.TensorProto_UINT8, pb.TensorProto_UINT16, pb.TensorProto_UINT32, pb.TensorProto_UINT64:
		toInt = true
	case pb.TensorProto_BOOL:
		s := c.input(0)
		if s == nil || s.c == nil {
			return fmt.Errorf("cast of a runtime tensor to BOOL is not supported (mnc folds it on constants)")
		}
		k, err := foldMap([]*cval{s.c}, elementwise{
			fi:      func(x []int64) (int64, error) { return b2i(x[0] != 0), nil },
			ff:      func(x []float64) float64 { return b2f(x[0] != 0) },
			boolOut: true,
		}, "Cast")
		if err != nil {
			return err
		}
		c.setConst(k)
		return nil
	default:
		return fmt.Errorf("cast to %v is not supported", to)
	}
	s := c.input(0)
	if s == nil {
		return fmt.Errorf("required input 0 is missing")
	}
	if s.c != nil {
		k, err := foldCast(s.c, toInt)
		if err != nil {
			return err
		}
		c.setConst(k)
		return nil
	}
	if s.indices > 0 {
		return castIndices(c, s, to)
	}
	if toInt {
		return fmt.Errorf("cast of runtime tensor %q to %v is not supported (mnc computes in float)", c.inName(0), to)
	}
	return c.alias(0)
}

// convertMinMax imports Max(x, c) and Min(x, c) with a constant c that is
// one value (how some exporters write ReLU and ReLU6: Min(Max(x, 0), 6))
// as Clip; the pass canon-activations then merges adjacent Clips and Relus. Other forms
// (two runtime tensors, more than two inputs) are refused.
func convertMinMax(c *nodeCtx) error {
	if c.allConst() {
		return foldMinMax(c)
	}
	if len(c.in) != 2 || c.input(0) == nil || c.input(1) == nil {
		return fmt.Errorf("only the two-input form Min/Max(x, constant) is supported, got %d inputs", len(c.in))
	}
	xi, ci := 0, 1
	if c.input(0).c != nil {
		xi, ci = 1, 0
	}
	k, err := c.konst(ci)
	if err != nil {
		return fmt.Errorf("only Min/Max(x, constant) is supported: %v", err)
	}
	bound, err := k.scalar()
	if err != nil {
		return fmt.Errorf("input %d (%q) must be a single value: %v", ci, c.inName(ci), err)
	}
	x, err := c.dyn(xi)
	if err != nil {
		return err
	}
	a := ir.ClipAttrs(float32(math.Inf(-1)), float32(math.Inf(1)))
	if c.n.GetOpType() == "Max" {
		a.Min = float32(bound)
	} else {
		a.Max = float32(bound)
	}
	if len(k.shape) > len(x.Shape) {
		return fmt.Errorf("constant %q has rank %d above the input's %d", c.inName(ci), len(k.shape), len(x.Shape))
	}
	if a.Min == 0 && math.IsInf(float64(a.Max), 1) {
		return c.emit(ir.OpRelu, ir.Attrs{}, x)
	}
	return c.emit(ir.OpClip, a, x)
}
