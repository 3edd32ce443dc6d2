package reference

import (
	"errors"
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// Eval computes one node on concrete input tensors (nil for absent optional
// inputs); inputs[i] is the tensor for n.Inputs[i]. The output shape comes
// from ir.InferNode applied to the shapes of the tensors actually given, so
// Eval works on graphs with unbound (-1) dimensions and validates its
// inputs the same way the rest of mnc does. Errors name the node.
func Eval(n *ir.Node, inputs []*ir.Tensor) (out *ir.Tensor, err error) {
	if n == nil {
		return nil, fmt.Errorf("reference.Eval: nil node")
	}
	fail := func(err error) (*ir.Tensor, error) {
		return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.Op, err)
	}
	// Inputs are validated before computing; should a case slip through,
	// the caller still gets an error naming the node rather than a crash.
	defer func() {
		if r := recover(); r != nil {
			out, err = fail(fmt.Errorf("reference executor bug: panic: %v", r))
		}
	}()
	shadow, err := shadowNode(n, inputs)
	if err != nil {
		return fail(err)
	}
	outShape, err := ir.InferNode(shadow)
	if err != nil {
		return nil, err // a *ir.ShapeError already names the node
	}
	out, err = compute(n.Op, &n.Attrs, inputs, outShape)
	if err != nil {
		return fail(err)
	}
	if len(out.Data) != out.Shape.Size() {
		return fail(fmt.Errorf("internal error: %d values for output shape %v", len(out.Data), out.Shape))
	}
	return out, nil
}

// shadowNode is a copy of n whose input values carry the shapes of the given
// tensors, for shape inference.
func shadowNode(n *ir.Node, inputs []*ir.Tensor) (*ir.Node, error) {
	if len(inputs) > len(n.Inputs) && len(n.Inputs) > 0 {
		return nil, fmt.Errorf("%d input tensors for %d inputs", len(inputs), len(n.Inputs))
	}
	vals := make([]*ir.Value, len(inputs))
	for i, t := range inputs {
		if t == nil {
			if n.Op == ir.OpConcat {
				return nil, fmt.Errorf("concat input %d%s is missing", i, valueName(n, i))
			}
			continue
		}
		if len(t.Data) != t.Shape.Size() {
			return nil, fmt.Errorf("input %d%s has %d values for shape %v", i, valueName(n, i), len(t.Data), t.Shape)
		}
		vals[i] = &ir.Value{Name: valueNameOr(n, i), Shape: t.Shape}
	}
	return &ir.Node{Name: n.Name, Op: n.Op, Attrs: n.Attrs, Inputs: vals, Outputs: []*ir.Value{{Name: n.Name}}}, nil
}

func valueNameOr(n *ir.Node, i int) string {
	if v := n.Input(i); v != nil {
		return v.Name
	}
	return fmt.Sprintf("input%d", i)
}

func valueName(n *ir.Node, i int) string {
	if v := n.Input(i); v != nil {
		return fmt.Sprintf(" %q", v.Name)
	}
	return ""
}

// errNotImplemented is compute's answer for an operator it has no case
// for (the one list of what the reference implements is compute's switch).
var errNotImplemented = errors.New("is not implemented by the reference executor")

// compute dispatches to the operator's implementation; shape is the output
// shape, already validated by ir.InferNode.
func compute(op ir.Op, a *ir.Attrs, in []*ir.Tensor, shape ir.Shape) (*ir.Tensor, error) {
	if op.IsQuant() {
		return computeQuant(op, a, in, shape)
	}
	if op.IsActivation() {
		// The op table maps each activation to its epilogue; ir.ApplyAct
		// defines it. A second input (PRelu's slope) is alpha per element.
		ep := ir.ActParams(op.Info().Act, a)
		if len(in) > 1 && in[1] != nil {
			return binary(in[0], in[1], shape, func(x, s float32) float32 { return ir.ApplyAct(ep.Act, x, ep.Min, ep.Max, s, ep.Beta) }), nil
		}
		return unary(in[0], ep.Apply), nil
	}
	switch op {
	case ir.OpConv:
		return conv(a, in[0], in[1], optional(in, 2), residual(a, in), shape), nil
	case ir.OpBatchNorm:
		return batchNorm(a, in[0], in[1], in[2], in[3], in[4]), nil
	case ir.OpAdd: // with the activation fuse-activation may put in its epilogue
		if a.Fused.Act != ir.ActNone {
			return binary(in[0], in[1], shape, func(x, y float32) float32 { return a.Fused.Apply(x + y) }), nil
		}
		return binary(in[0], in[1], shape, func(x, y float32) float32 { return x + y }), nil
	case ir.OpSub:
		return binary(in[0], in[1], shape, func(x, y float32) float32 { return x - y }), nil
	case ir.OpMul:
		return binary(in[0], in[1], shape, func(x, y float32) float32 { return x * y }), nil
	case ir.OpDiv:
		return binary(in[0], in[1], shape, func(x, y float32) float32 { return x / y }), nil
	case ir.OpGlobalAveragePool:
		return globalAveragePool(in[0], shape), nil
	case ir.OpAveragePool:
		return averagePool(a, in[0], shape)
	case ir.OpMaxPool:
		return maxPool(a, in[0], shape)
	case ir.OpGemm:
		return gemm(a, in[0], in[1], optional(in, 2), residual(a, in), shape), nil
	case ir.OpMatMul:
		return matMul(in[0], in[1], shape), nil
	case ir.OpFlatten, ir.OpReshape, ir.OpIdentity, ir.OpDropout:
		// Row-major data is unchanged by these; only the shape differs.
		return &ir.Tensor{Shape: shape.Clone(), Data: append([]float32(nil), in[0].Data...)}, nil
	case ir.OpTranspose:
		return transpose(in[0], a.Perm, shape), nil
	case ir.OpSoftmax:
		return softmax(in[0], a.Axis), nil
	case ir.OpConcat:
		return concat(in, a.Axis, shape)
	case ir.OpPad:
		return pad(a, in[0], shape)
	case ir.OpReduceMean:
		return reduceMean(a, in[0], shape), nil
	case ir.OpResize:
		return resize(a, in[0], residualAt(a, in, 1), shape), nil
	case ir.OpConvTranspose:
		return convTranspose(a, in[0], in[1], optional(in, 2), shape), nil
	case ir.OpArgMax:
		return argMax(a, in[0], shape), nil
	case ir.OpSlice:
		return slice(a, in[0], shape)
	}
	return nil, fmt.Errorf("operator %s %w", op, errNotImplemented)
}

func optional(in []*ir.Tensor, i int) *ir.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// residual returns the fused residual input of a Conv or Gemm (input 3, as
// ir's shape inference checks), or nil when the epilogue has none.
func residual(a *ir.Attrs, in []*ir.Tensor) *ir.Tensor {
	if !a.Fused.Residual {
		return nil
	}
	return optional(in, 3)
}
