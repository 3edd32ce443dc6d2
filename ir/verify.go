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
	names := map[string]string{}
	claim := func(name, what string) error {
		if name == "" {
			return fmt.Errorf("%s has an empty name", what)
		}
		if prev, ok := names[name]; ok && prev != what {
			return fmt.Errorf("name %q is used by both %s and %s", name, prev, what)
		}
		names[name] = what
		return nil
	}
	avail := map[*Value]bool{}
	for _, v := range g.Inputs {
		if v.Producer != nil || v.Const != nil {
			return fmt.Errorf("graph input %q has a producer or constant data", v.Name)
		}
		if err := claim(v.Name, "input "+v.Name); err != nil {
			return err
		}
		avail[v] = true
	}
	produced := map[*Value]*Node{}
	nodeNames := map[string]bool{}
	for _, n := range g.Nodes {
		if nodeNames[n.Name] {
			return fmt.Errorf("node %q (%s): another node has the same name", n.Name, n.Op)
		}
		nodeNames[n.Name] = true
		what := fmt.Sprintf("node %q", n.Name)
		if err := claim(n.Name, what); err != nil {
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
				if err := claim(v.Name, "constant "+v.Name); err != nil {
					return fmt.Errorf("node %q (%s): %v", n.Name, n.Op, err)
				}
				continue
			}
			if !avail[v] {
				return fmt.Errorf("node %q (%s): input %d %q is not produced before it is read", n.Name, n.Op, i, v.Name)
			}
		}
		for _, o := range n.Outputs {
			if p, ok := produced[o]; ok {
				return fmt.Errorf("node %q (%s): output %q is also produced by %q", n.Name, n.Op, o.Name, p.Name)
			}
			if o.Producer != n {
				return fmt.Errorf("node %q (%s): output %q does not point back at its producer", n.Name, n.Op, o.Name)
			}
			if o.Name != n.Name {
				if err := claim(o.Name, fmt.Sprintf("output of node %q", n.Name)); err != nil {
					return err
				}
			}
			produced[o] = n
			avail[o] = true
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
		if !avail[v] && v.Const == nil {
			return fmt.Errorf("graph output %q is not produced by any node", v.Name)
		}
	}
	return nil
}
