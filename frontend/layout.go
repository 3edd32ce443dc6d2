package frontend

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// Reshape reshapes x to shape (0 copies the input's dimension, -1 is
// inferred), as ONNX Reshape.
func (b *Builder) Reshape(name string, x *ir.Value, shape ...int) *ir.Value {
	if b.err != nil {
		return x
	}
	return b.node(ir.OpReshape, name, ir.Attrs{Shape: append([]int(nil), shape...)}, x)
}

// Transpose permutes x's axes.
func (b *Builder) Transpose(name string, x *ir.Value, perm ...int) *ir.Value {
	if b.err != nil {
		return x
	}
	return b.node(ir.OpTranspose, name, ir.Attrs{Perm: append([]int(nil), perm...)}, x)
}

// Concat joins xs along axis.
func (b *Builder) Concat(name string, axis int, xs ...*ir.Value) *ir.Value {
	if b.err != nil || len(xs) == 0 {
		if len(xs) == 0 {
			b.Failf("concat %q: no inputs", name)
			return nil
		}
		return xs[0]
	}
	return b.node(ir.OpConcat, name, ir.Attrs{Axis: axis}, xs...)
}

// FinishOutputs is Finish for a graph with several outputs: vs[i] is named
// names[i] (when it differs) and the graph is verified.
func (b *Builder) FinishOutputs(vs []*ir.Value, names []string) (*ir.Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	for i, v := range vs {
		if v == nil || v.Producer == nil {
			return nil, fmt.Errorf("model %q: output %d is not computed by a layer", b.G.Name, i)
		}
		if i < len(names) && names[i] != "" && v.Name != names[i] {
			v.Name = b.G.UniqueName(names[i])
		}
	}
	b.G.SetOutputs(vs...)
	if b.opts.Weights == ShapesOnly {
		return b.G, nil
	}
	if err := b.G.Verify(); err != nil {
		return nil, fmt.Errorf("model %q: %w", b.G.Name, err)
	}
	return b.G, nil
}
