package dyn

import (
	"fmt"
	"strings"
	"time"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/ir"
)

// Model is an ONNX model split into the prefix mnc compiles (an ir.Graph
// with the model's inputs; its outputs are the model outputs it computes,
// then the values the tail reads) and the tail this package interprets.
type Model struct {
	Prefix *ir.Graph
	Tail   *onnx.Tail
}

// Interpretable reports whether the interpreter runs an ONNX operator.
func Interpretable(op string) bool { return ops[op] != nil }

// Open splits an ONNX model whose graph has operators mnc does not compile
// (see onnx.Model.Split) and imports the prefix; a model without them
// gives a nil Model (import it as usual). Tail operators the interpreter
// lacks are listed in one error.
func Open(m *onnx.Model) (*Model, error) {
	_, tail, err := m.Split(Interpretable)
	if err != nil || tail == nil {
		return nil, err
	}
	if bad := Unsupported(tail.Graph); len(bad) > 0 {
		return nil, fmt.Errorf("unsupported operators (neither compiled nor interpreted): %s", strings.Join(bad, ", "))
	}
	g, tail, err := m.SplitImport(Interpretable)
	if err != nil {
		return nil, err
	}
	return &Model{Prefix: g, Tail: tail}, nil
}

// Load is Open on the ONNX file at path.
func Load(path string) (*Model, error) {
	m, err := onnx.Open(path)
	if err != nil {
		return nil, err
	}
	return Open(m)
}

// OutputNames are the model's outputs, in order.
func (m *Model) OutputNames() []string {
	var n []string
	for _, o := range m.Tail.Graph.GetOutput() {
		n = append(n, o.GetName())
	}
	return n
}

// RunTail interprets the tail given the prefix's outputs and the model's
// inputs, by name, and returns the model's outputs in order.
func (m *Model) RunTail(prefix, inputs map[string]*ir.Tensor) ([]*Tensor, error) {
	return m.RunTailProfile(prefix, inputs, nil)
}

// RunTailProfile is RunTail adding each tail node's time to prof (by node
// name) when prof is not nil.
func (m *Model) RunTailProfile(prefix, inputs map[string]*ir.Tensor, prof map[string]time.Duration) ([]*Tensor, error) {
	in := map[string]*Tensor{}
	for k, v := range inputs {
		in[k] = FromIR(v)
	}
	for k, v := range prefix {
		in[k] = FromIR(v)
	}
	return RunProfile(Graph{G: m.Tail.Graph, Opset: m.Tail.Opset}, in, prof)
}

// Describe lists the interpreted nodes and why, one a line.
func (m *Model) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d nodes compiled, %d interpreted (run-time shapes):\n", len(m.Prefix.Nodes), len(m.Tail.Nodes))
	for _, n := range m.Tail.Nodes {
		fmt.Fprintf(&b, "  %-28s %-18s %s\n", n.Name, n.Op, n.Why)
	}
	return b.String()
}
