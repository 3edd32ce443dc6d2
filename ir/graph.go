package ir

import "fmt"

// Value is a tensor flowing in the graph: a graph input, a constant
// (weights; Const != nil) or the output of exactly one node.
type Value struct {
	Name     string
	Shape    Shape
	Const    *Tensor // non-nil for constants; shared between graph copies, never mutated
	Producer *Node   // nil for graph inputs and constants
	// NHWC marks a 4-D activation stored channels-last, choose-layout's
	// decision (false before it; the graph's values are NCHW to every
	// other pass). Verify checks it is on 4-D values only.
	NHWC bool
}

// IsConst reports whether v holds constant data.
func (v *Value) IsConst() bool { return v != nil && v.Const != nil }

// Node is one operator application. Optional inputs may be nil (a Conv
// without bias has Inputs[2] == nil or only two inputs).
type Node struct {
	Name    string
	Op      Op
	Inputs  []*Value
	Outputs []*Value
	Attrs   Attrs
}

// Input returns the i-th input or nil when it is absent.
func (n *Node) Input(i int) *Value {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return nil
}

// Output returns the node's first (for every IR op, only) output.
func (n *Node) Output() *Value { return n.Outputs[0] }

func (n *Node) String() string { return fmt.Sprintf("%s (%s)", n.Name, n.Op) }

// Graph is a dataflow graph with its nodes in a topological order.
type Graph struct {
	Name    string
	Inputs  []*Value
	Outputs []*Value
	Nodes   []*Node
	names   map[string]int // for unique naming

	// Rebuild, when set, builds the graph again from its source with the
	// given input shapes (others keep theirs). Importers whose constant
	// folding depends on the input shapes set it (ONNX: a Pad computed
	// from Shape must be computed again); see Specialize.
	Rebuild func(shapes map[string]Shape) (*Graph, error)
	// Unbound, when set, says why the graph has inputs but no nodes yet:
	// an input has dimensions that must be given (Rebuild builds it).
	// Verify returns it.
	Unbound *UnboundError
}

// New returns an empty graph.
func New(name string) *Graph { return &Graph{Name: name} }

// UniqueName returns base, or base with a numeric suffix if base is taken.
func (g *Graph) UniqueName(base string) string {
	if g.names == nil {
		g.names = map[string]int{}
		for _, v := range g.Values() {
			g.names[v.Name] = 1
		}
		for _, n := range g.Nodes {
			g.names[n.Name] = 1
		}
	}
	if base == "" {
		base = "v"
	}
	name := base
	for i := g.names[base]; g.names[name] > 0; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	g.names[name] = 1
	g.names[base]++
	return name
}

// AddInput declares a graph input.
func (g *Graph) AddInput(name string, shape ...int) *Value {
	v := &Value{Name: g.UniqueName(name), Shape: Shape(shape).Clone()}
	g.Inputs = append(g.Inputs, v)
	return v
}

// AddConst creates a constant value holding t (not copied).
func (g *Graph) AddConst(name string, t *Tensor) *Value {
	return &Value{Name: g.UniqueName(name), Shape: t.Shape.Clone(), Const: t}
}

// AddNode appends a node computing op on inputs and returns its output
// value, named after the node. The output's shape is left for InferShapes.
func (g *Graph) AddNode(op Op, name string, attrs Attrs, inputs ...*Value) *Value {
	n := &Node{Name: g.UniqueName(name), Op: op, Inputs: inputs, Attrs: attrs}
	out := &Value{Name: n.Name, Producer: n}
	if g.names != nil && n.Name != "" {
		g.names[out.Name] = 1
	}
	n.Outputs = []*Value{out}
	g.Nodes = append(g.Nodes, n)
	return out
}

// SetOutputs marks the graph outputs.
func (g *Graph) SetOutputs(vs ...*Value) { g.Outputs = vs }

// Values returns every value reachable from the nodes, inputs and outputs,
// each once, in a deterministic order.
func (g *Graph) Values() []*Value {
	seen := map[*Value]bool{}
	var out []*Value
	add := func(v *Value) {
		if v != nil && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, v := range g.Inputs {
		add(v)
	}
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			add(v)
		}
		for _, v := range n.Outputs {
			add(v)
		}
	}
	for _, v := range g.Outputs {
		add(v)
	}
	return out
}

// Consumers maps each value to the nodes that read it (a node appears once
// per input slot that reads the value).
func (g *Graph) Consumers() map[*Value][]*Node {
	m := make(map[*Value][]*Node, len(g.Nodes)+len(g.Inputs))
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			if v != nil {
				m[v] = append(m[v], n)
			}
		}
	}
	return m
}

// IsOutput reports whether v is a graph output.
func (g *Graph) IsOutput(v *Value) bool {
	for _, o := range g.Outputs {
		if o == v {
			return true
		}
	}
	return false
}

// ReplaceUses makes every reader of old (nodes and graph outputs) read nw.
// When old is a graph output, nw takes its name so outputs keep their names.
func (g *Graph) ReplaceUses(old, nw *Value) {
	for _, n := range g.Nodes {
		for i, v := range n.Inputs {
			if v == old {
				n.Inputs[i] = nw
			}
		}
	}
	for i, v := range g.Outputs {
		if v == old {
			g.Outputs[i] = nw
			if nw.Producer != nil {
				nw.Name = old.Name
			}
		}
	}
}

// RemoveDead drops nodes whose outputs nobody reads and that are not outputs.
// On a topologically ordered graph one backward sweep finds every dead node,
// chains included (linear time); a graph out of order falls back to
// removing unread nodes round by round.
func (g *Graph) RemoveDead() {
	used := make(map[*Value]bool, len(g.Nodes))
	for _, v := range g.Outputs {
		used[v] = true
	}
	live := make([]bool, len(g.Nodes))
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		for _, o := range n.Outputs {
			live[i] = live[i] || used[o]
		}
		if live[i] {
			for _, v := range n.Inputs {
				used[v] = true
			}
		}
	}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if !live[i] && used[o] {
				// A reader came before its producer: the sweep is not
				// trustworthy on this order.
				g.removeDeadRounds()
				return
			}
		}
	}
	kept := g.Nodes[:0]
	for i, n := range g.Nodes {
		if live[i] {
			kept = append(kept, n)
		}
	}
	for i := len(kept); i < len(g.Nodes); i++ {
		g.Nodes[i] = nil
	}
	g.Nodes = kept
}

// removeDeadRounds removes nodes no node or output reads, repeatedly.
func (g *Graph) removeDeadRounds() {
	for {
		used := map[*Value]bool{}
		for _, v := range g.Outputs {
			used[v] = true
		}
		for _, n := range g.Nodes {
			for _, v := range n.Inputs {
				used[v] = true
			}
		}
		kept := g.Nodes[:0]
		removed := false
		for _, n := range g.Nodes {
			live := false
			for _, o := range n.Outputs {
				if used[o] {
					live = true
				}
			}
			if live {
				kept = append(kept, n)
			} else {
				removed = true
			}
		}
		for i := len(kept); i < len(g.Nodes); i++ {
			g.Nodes[i] = nil
		}
		g.Nodes = kept
		if !removed {
			return
		}
	}
}

// Clone returns a deep copy of the graph's structure; constant tensors are
// shared (they are never mutated in place: passes make new ones).
func (g *Graph) Clone() *Graph {
	m := map[*Value]*Value{}
	cp := func(v *Value) *Value {
		if v == nil {
			return nil
		}
		if c, ok := m[v]; ok {
			return c
		}
		c := &Value{Name: v.Name, Shape: v.Shape.Clone(), Const: v.Const, NHWC: v.NHWC}
		m[v] = c
		return c
	}
	h := &Graph{Name: g.Name, Rebuild: g.Rebuild, Unbound: g.Unbound}
	for _, v := range g.Inputs {
		h.Inputs = append(h.Inputs, cp(v))
	}
	for _, n := range g.Nodes {
		c := &Node{Name: n.Name, Op: n.Op, Attrs: n.Attrs.clone()}
		for _, v := range n.Inputs {
			c.Inputs = append(c.Inputs, cp(v))
		}
		for _, v := range n.Outputs {
			o := cp(v)
			o.Producer = c
			c.Outputs = append(c.Outputs, o)
		}
		h.Nodes = append(h.Nodes, c)
	}
	for _, v := range g.Outputs {
		h.Outputs = append(h.Outputs, cp(v))
	}
	return h
}

func (a Attrs) clone() Attrs {
	a.Shape = append([]int(nil), a.Shape...)
	a.Perm = append([]int(nil), a.Perm...)
	a.Axes = append([]int(nil), a.Axes...)
	a.PadAmounts = append([]int(nil), a.PadAmounts...)
	a.Folded = append([]string(nil), a.Folded...)
	return a
}

// SetBatch binds the first dimension of every 4-D or 2-D graph input to n
// and re-infers all shapes.
func (g *Graph) SetBatch(n int) error {
	for _, v := range g.Inputs {
		if len(v.Shape) > 0 {
			v.Shape[0] = n
		}
	}
	return g.InferShapes()
}

// TopoSort reorders the nodes so every node follows its producers; it fails
// on a cycle or on an input that no node, graph input or constant provides.
// Among the nodes ready at any point it takes the earliest in the current
// order, so an already sorted graph keeps its order; the time is
// O(n log n) in nodes and edges (a heap of ready nodes), whatever the order.
func (g *Graph) TopoSort() error {
	idx := make(map[*Node]int, len(g.Nodes))
	for i, n := range g.Nodes {
		idx[n] = i
	}
	avail := map[*Value]bool{}
	for _, v := range g.Inputs {
		avail[v] = true
	}
	waiting := make([]int, len(g.Nodes)) // inputs not yet available
	readers := map[*Value][]int{}        // value → nodes waiting for it
	var ready intHeap
	for i, n := range g.Nodes {
		seen := map[*Value]bool{}
		for _, v := range n.Inputs {
			if v == nil || v.IsConst() || avail[v] || seen[v] {
				continue
			}
			seen[v] = true
			waiting[i]++
			readers[v] = append(readers[v], i)
		}
		if waiting[i] == 0 {
			ready.push(i)
		}
	}
	order := make([]*Node, 0, len(g.Nodes))
	for len(ready) > 0 {
		i := ready.pop()
		n := g.Nodes[i]
		order = append(order, n)
		for _, o := range n.Outputs {
			if avail[o] {
				continue
			}
			avail[o] = true
			for _, r := range readers[o] {
				if waiting[r]--; waiting[r] == 0 {
					ready.push(r)
				}
			}
		}
	}
	if len(order) < len(g.Nodes) {
		for i, n := range g.Nodes {
			if waiting[i] == 0 {
				continue
			}
			for _, v := range n.Inputs {
				if v != nil && !v.IsConst() && !avail[v] {
					return fmt.Errorf("node %q (%s): input %q is never produced (cycle or dangling edge)", n.Name, n.Op, v.Name)
				}
			}
		}
	}
	g.Nodes = order
	return nil
}

// intHeap is a min-heap of node indices.
type intHeap []int

func (h *intHeap) push(v int) {
	*h = append(*h, v)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(a) && a[l] < a[m] {
			m = l
		}
		if r < len(a) && a[r] < a[m] {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}
