// Package reference is mnc's oracle: a plain interpreter of an ir.Graph in
// logical NCHW float32 that every pass, plan and kernel is tested against.
// It favours being obviously correct over being fast: each operator is a
// direct transcription of its ONNX definition, with conv, gemm, matmul,
// pools, reductions and softmax accumulating in float64 so that rounding
// in the oracle is far below any tolerance a test states.
package reference

import (
	"fmt"
	"sort"

	"github.com/mnc-go/mnc/ir"
)

// Options for Run. BeforeNode, if set, is called before each node executes
// with its input tensors (nil for absent optional inputs); it may modify
// constant tensors of the node (models use it to calibrate BatchNorm
// statistics). AfterNode, if set, sees each node's output. An error from
// either stops Run and is returned naming the node.
type Options struct {
	BeforeNode func(n *ir.Node, inputs []*ir.Tensor) error
	AfterNode  func(n *ir.Node, out *ir.Tensor) error
}

// Run executes g on inputs keyed by graph-input name and returns the graph
// outputs keyed by output value name. Shapes of inputs must match g.Inputs,
// where a dimension of -1 accepts any size (every node's output shape is
// inferred from the tensors it actually receives). Errors name the node.
func Run(g *ir.Graph, inputs map[string]*ir.Tensor, opts *Options) (map[string]*ir.Tensor, error) {
	if g == nil {
		return nil, fmt.Errorf("reference.Run: nil graph")
	}
	if g.Unbound != nil {
		return nil, g.Unbound
	}
	if opts == nil {
		opts = &Options{}
	}
	consumers := g.Consumers()
	env := map[*ir.Value]*ir.Tensor{}
	for _, v := range g.Inputs {
		t, ok := inputs[v.Name]
		if !ok || t == nil {
			return nil, fmt.Errorf("graph %q: input %q%s is missing", g.Name, v.Name, readers(consumers[v]))
		}
		if err := checkInputShape(v, t); err != nil {
			return nil, fmt.Errorf("graph %q: input %q%s: %v", g.Name, v.Name, readers(consumers[v]), err)
		}
		env[v] = t
	}
	if err := checkNoExtraInputs(g, inputs); err != nil {
		return nil, err
	}

	lastUse := lastUses(g)
	for i, n := range g.Nodes {
		in := make([]*ir.Tensor, len(n.Inputs))
		for j, v := range n.Inputs {
			switch {
			case v == nil:
			case v.IsConst():
				in[j] = v.Const
			default:
				t, ok := env[v]
				if !ok {
					return nil, fmt.Errorf("node %q (%s): input %d %q is not available (not a graph input, constant, or output of an earlier node)", n.Name, n.Op, j, v.Name)
				}
				in[j] = t
			}
		}
		if opts.BeforeNode != nil {
			if err := opts.BeforeNode(n, in); err != nil {
				return nil, fmt.Errorf("node %q (%s): BeforeNode: %w", n.Name, n.Op, err)
			}
		}
		out, err := Eval(n, in)
		if err != nil {
			return nil, err
		}
		if len(n.Outputs) != 1 || n.Outputs[0] == nil {
			return nil, fmt.Errorf("node %q (%s): has %d outputs, want 1", n.Name, n.Op, len(n.Outputs))
		}
		// A declared shape that disagrees with the computed one means a pass
		// left the graph inconsistent, which the oracle must not hide.
		if decl := n.Outputs[0].Shape; len(decl) > 0 && !shapeMatches(decl, out.Shape) {
			return nil, fmt.Errorf("node %q (%s): computed output shape %v, but the graph declares %v", n.Name, n.Op, out.Shape, decl)
		}
		if opts.AfterNode != nil {
			if err := opts.AfterNode(n, out); err != nil {
				return nil, fmt.Errorf("node %q (%s): AfterNode: %w", n.Name, n.Op, err)
			}
		}
		env[n.Outputs[0]] = out
		// Drop intermediates nobody reads any more, so whole models fit.
		for _, v := range n.Inputs {
			if v != nil && !v.IsConst() && v.Producer != nil && lastUse[v] == i && !g.IsOutput(v) {
				delete(env, v)
			}
		}
	}

	res := map[string]*ir.Tensor{}
	for _, v := range g.Outputs {
		switch {
		case v == nil:
			return nil, fmt.Errorf("graph %q: nil output", g.Name)
		case v.IsConst():
			res[v.Name] = v.Const.Clone()
		default:
			t, ok := env[v]
			if !ok {
				return nil, fmt.Errorf("graph %q: output %q is not produced by any node", g.Name, v.Name)
			}
			if v.Producer == nil {
				t = t.Clone() // a graph input passed through: do not alias the caller's tensor
			}
			res[v.Name] = t
		}
	}
	return res, nil
}

// checkInputShape compares a fed tensor with the declared input, where -1
// matches any size.
func checkInputShape(v *ir.Value, t *ir.Tensor) error {
	if len(t.Data) != t.Shape.Size() {
		return fmt.Errorf("tensor has %d values for shape %v", len(t.Data), t.Shape)
	}
	if !shapeMatches(v.Shape, t.Shape) {
		return fmt.Errorf("got shape %v, want %v", t.Shape, v.Shape)
	}
	return nil
}

// shapeMatches reports whether got has decl's rank and sizes, where a
// declared -1 matches any size.
func shapeMatches(decl, got ir.Shape) bool {
	if len(decl) != len(got) {
		return false
	}
	for i := range decl {
		if decl[i] >= 0 && decl[i] != got[i] {
			return false
		}
	}
	return true
}

func checkNoExtraInputs(g *ir.Graph, inputs map[string]*ir.Tensor) error {
	known := map[string]bool{}
	for _, v := range g.Inputs {
		known[v.Name] = true
	}
	var extra []string
	for name := range inputs {
		if !known[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("graph %q has no input named %q", g.Name, extra[0])
	}
	return nil
}

// readers describes which nodes read a graph input, for error messages.
func readers(ns []*ir.Node) string {
	if len(ns) == 0 {
		return ""
	}
	return fmt.Sprintf(" (read by node %q, %s)", ns[0].Name, ns[0].Op)
}

// lastUses maps each value to the index of the last node that reads it.
func lastUses(g *ir.Graph) map[*ir.Value]int {
	m := map[*ir.Value]int{}
	for i, n := range g.Nodes {
		for _, v := range n.Inputs {
			if v != nil {
				m[v] = i
			}
		}
	}
	return m
}
