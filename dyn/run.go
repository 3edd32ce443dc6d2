package dyn

import (
	"fmt"
	"sort"
	"strings"
	"time"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
)

// Graph is an ONNX graph (or subgraph) to interpret at one opset.
type Graph struct {
	G     *pb.GraphProto
	Opset int
}

// scope maps value names to tensors; subgraphs see their parents' values.
type scope struct {
	vals   map[string]*Tensor
	parent *scope
	prof   map[string]time.Duration // per top-level node, when profiling
}

func (s *scope) get(name string) (*Tensor, bool) {
	for ; s != nil; s = s.parent {
		if t, ok := s.vals[name]; ok {
			return t, true
		}
	}
	return nil, false
}

// Unsupported lists every node of g (and of its subgraphs) whose operator
// the interpreter lacks, as "name (op)", all at once.
func Unsupported(g *pb.GraphProto) []string {
	var bad []string
	var walk func(g *pb.GraphProto)
	walk = func(g *pb.GraphProto) {
		for k, n := range g.GetNode() {
			if d := n.GetDomain(); (d != "" && d != "ai.onnx") || ops[n.GetOpType()] == nil {
				bad = append(bad, fmt.Sprintf("node %q (%s)", nodeName(n, k), opName(n)))
			}
			for _, a := range n.GetAttribute() {
				if a.GetG() != nil {
					walk(a.GetG())
				}
			}
		}
	}
	walk(g)
	return bad
}

func opName(n *pb.NodeProto) string {
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		return d + "." + n.GetOpType()
	}
	return n.GetOpType()
}

func nodeName(n *pb.NodeProto, k int) string {
	if n.GetName() != "" {
		return n.GetName()
	}
	if len(n.GetOutput()) > 0 {
		return "→" + n.GetOutput()[0]
	}
	return fmt.Sprintf("#%d", k)
}

// Supported lists the operators the interpreter runs, sorted.
func Supported() []string {
	var s []string
	for k := range ops {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Run interprets g on the given inputs (by name; values g reads that are
// neither its inputs nor its initializers must be among them too) and
// returns its outputs in order. Errors name the node.
func Run(g Graph, inputs map[string]*Tensor) ([]*Tensor, error) { return RunProfile(g, inputs, nil) }

// RunProfile is Run that adds each top-level node's time (If and Loop
// include their subgraphs) to prof[node name], when prof is not nil.
func RunProfile(g Graph, inputs map[string]*Tensor, prof map[string]time.Duration) ([]*Tensor, error) {
	if bad := Unsupported(g.G); len(bad) > 0 {
		return nil, fmt.Errorf("operators the interpreter does not run: %s", strings.Join(bad, ", "))
	}
	s := &scope{vals: map[string]*Tensor{}, prof: prof}
	for k, v := range inputs {
		s.vals[k] = v
	}
	return run(g, s)
}

func run(g Graph, s *scope) ([]*Tensor, error) {
	for _, init := range g.G.GetInitializer() {
		if _, ok := s.vals[init.GetName()]; ok {
			continue // an input overrides its initializer (ONNX IR < 4)
		}
		t, err := Decode(init)
		if err != nil {
			return nil, err
		}
		s.vals[init.GetName()] = t
	}
	for k, n := range g.G.GetNode() {
		in := make([]*Tensor, len(n.GetInput()))
		for i, name := range n.GetInput() {
			if name == "" {
				continue
			}
			t, ok := s.get(name)
			if !ok {
				return nil, fmt.Errorf("node %q (%s): input %q is not available", nodeName(n, k), opName(n), name)
			}
			in[i] = t
		}
		c := &ctx{n: n, in: in, opset: g.Opset, s: s}
		t0 := time.Now()
		outs, err := call(c)
		if s.prof != nil {
			s.prof[nodeName(n, k)] += time.Since(t0)
		}
		if err != nil {
			return nil, fmt.Errorf("node %q (%s): %v", nodeName(n, k), opName(n), err)
		}
		for i, name := range n.GetOutput() {
			if name == "" || i >= len(outs) {
				continue
			}
			s.vals[name] = outs[i]
		}
	}
	var out []*Tensor
	for _, o := range g.G.GetOutput() {
		t, ok := s.get(o.GetName())
		if !ok {
			return nil, fmt.Errorf("graph output %q is not produced", o.GetName())
		}
		out = append(out, t)
	}
	return out, nil
}

// call runs one node; an operator meeting inputs it did not check for
// (a bug) gives an error naming the node instead of taking down the caller.
func call(c *ctx) (outs []*Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			outs, err = nil, fmt.Errorf("internal error on inputs %v: %v", c.in, r)
		}
	}()
	return ops[c.n.GetOpType()](c)
}

// ctx is one node being run.
type ctx struct {
	n     *pb.NodeProto
	in    []*Tensor
	opset int
	s     *scope
}

func (c *ctx) attr(name string) *pb.AttributeProto {
	for _, a := range c.n.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

func (c *ctx) int(name string, def int) int {
	if a := c.attr(name); a != nil {
		return int(a.GetI())
	}
	return def
}

func (c *ctx) float(name string, def float64) float64 {
	if a := c.attr(name); a != nil {
		return float64(a.GetF())
	}
	return def
}

func (c *ctx) ints(name string) ([]int, bool) {
	a := c.attr(name)
	if a == nil {
		return nil, false
	}
	r := make([]int, len(a.GetInts()))
	for i, v := range a.GetInts() {
		r[i] = int(v)
	}
	return r, true
}

// input returns input i, or an error when it is absent.
func (c *ctx) input(i int) (*Tensor, error) {
	if i >= len(c.in) || c.in[i] == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	return c.in[i], nil
}

// opt returns input i or nil.
func (c *ctx) opt(i int) *Tensor {
	if i < len(c.in) {
		return c.in[i]
	}
	return nil
}

// subgraph runs a graph attribute with the node's scope as parent and the
// given values bound to its inputs.
func (c *ctx) subgraph(name string, inputs []*Tensor) ([]*Tensor, error) {
	a := c.attr(name)
	if a == nil || a.GetG() == nil {
		return nil, fmt.Errorf("attribute %q (a graph) is missing", name)
	}
	g := a.GetG()
	s := &scope{vals: map[string]*Tensor{}, parent: c.s}
	if len(inputs) != len(g.GetInput()) {
		return nil, fmt.Errorf("subgraph %q takes %d inputs, got %d", name, len(g.GetInput()), len(inputs))
	}
	for i, v := range g.GetInput() {
		s.vals[v.GetName()] = inputs[i]
	}
	return run(Graph{G: g, Opset: c.opset}, s)
}

func axis(a, rank int) (int, error) {
	if a < -rank || a >= max(rank, 1) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", a, rank)
	}
	if a < 0 {
		a += rank
	}
	return a, nil
}
