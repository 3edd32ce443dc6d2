package ir

import "fmt"

// Verify checks the graph's invariants: unique names, every node input
// produced before it is read (topological order), a single producer per
// value, producers that point back at their nodes, outputs that exist, and
// stored shapes that agree with shape inference. Errors name the node.
func (g *Graph) Verify() error {
	if g.Unbound != nil {
		return g.Unbound
	}
	// names maps each name to what holds it, described only for an error:
	// this runs after every pass on every node, so it keeps to two maps.
	type holder struct {
		kind byte // 'i' input, 'n' node, 'c' constant, 'o' node output
		node *Node
		val  *Value
	}
	describe := func(h holder) string {
		switch h.kind {
		case 'i':
			return "input " + h.val.Name
		case 'n':
			return fmt.Sprintf("node %q", h.node.Name)
		case 'c':
			return "constant " + h.val.Name
		}
		return fmt.Sprintf("output of node %q", h.node.Name)
	}
	names := make(map[string]holder, 2*len(g.Nodes)+len(g.Inputs))
	claim := func(name string, h holder) error {
		if name == "" {
			return fmt.Errorf("%s has an empty name", describe(h))
		}
		if prev, ok := names[name]; ok && prev != h {
			if prev.kind == 'n' && h.kind == 'n' {
				return fmt.Errorf("node %q (%s): another node has the same name", h.node.Name, h.node.Op)
			}
			return fmt.Errorf("name %q is used by both %s and %s", name, describe(prev), describe(h))
		}
		names[name] = h
		return nil
	}
	// avail holds the values readable so far: graph inputs (nil producer)
	// and the outputs of the nodes checked so far.
	avail := make(map[*Value]*Node, len(g.Nodes)+len(g.Inputs))
	for _, v := range g.Inputs {
		if v.Producer != nil || v.Const != nil {
			return fmt.Errorf("graph input %q has a producer or constant data", v.Name)
		}
		if err := claim(v.Name, holder{kind: 'i', val: v}); err != nil {
			return err
		}
		avail[v] = nil
	}
	for _, n := range g.Nodes {
		if err := claim(n.Name, holder{kind: 'n', node: n}); err != nil {
			return err
		}
		for i, v := range n.Inputs {
			if v == nil {
				continue
			}
			if v.Const != nil {
				if v.Const.Shape.Size() != len(v.Const.Data) || !v.Const.Shape.Equal(v.Shape) {
					return fmt.Errorf("node %q (%s): constant %q has %d values for shape %v", n.Name, n.Op, v.Name, len(v.Const.Data), v.Shape)
				}
				if err := claim(v.Name, holder{kind: 'c', val: v}); err != nil {
					return fmt.Errorf("node %q (%s): %v", n.Name, n.Op, err)
				}
				continue
			}
			if _, ok := avail[v]; !ok {
				return fmt.Errorf("node %q (%s): input %d %q is not produced before it is read", n.Name, n.Op, i, v.Name)
			}
		}
		for _, o := range n.Outputs {
			if p, ok := avail[o]; ok {
				if p == nil {
					return fmt.Errorf("node %q (%s): output %q is also a graph input", n.Name, n.Op, o.Name)
				}
				return fmt.Errorf("node %q (%s): output %q is also produced by %q", n.Name, n.Op, o.Name, p.Name)
			}
			if o.Producer != n {
				return fmt.Errorf("node %q (%s): output %q does not point back at its producer", n.Name, n.Op, o.Name)
			}
			if o.Name != n.Name {
				if err := claim(o.Name, holder{kind: 'o', node: n}); err != nil {
					return err
				}
			}
			avail[o] = n
		}
		want, err := InferNode(n)
		if err != nil {
			return err
		}
		if !want.Equal(n.Output().Shape) {
			return &ShapeError{Node: n.Name, Op: n.Op, Msg: fmt.Sprintf("output shape %v, but its inputs give %v", n.Output().Shape, want)}
		}
	}
	if len(g.Outputs) == 0 {
		return fmt.Errorf("graph %q has no outputs", g.Name)
	}
	for _, v := range g.Outputs {
		if _, ok := avail[v]; !ok && v.Const == nil {
			return fmt.Errorf("graph output %q is not produced by any node", v.Name)
		}
	}
	return nil
}
