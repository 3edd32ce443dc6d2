package passes

import "github.com/mnc-go/mnc/ir"

// mergeReshapes (pass merge-reshapes) merges a Reshape or Flatten read only
// by a Reshape into it, and removes Reshapes and Flattens that keep the
// shape. Squeeze, Unsqueeze and size-1 Transposes all import as Reshapes,
// so exporters' chains of them collapse to at most one.
func mergeReshapes(s *State) error { return s.canonRules(reshapeRule) }

// reshapeRule is merge-reshapes' one rule.
func reshapeRule(g *ir.Graph) bool {
	changed := false
	cons := g.Consumers()
	for _, n := range g.Nodes {
		if n.Op != ir.OpReshape && n.Op != ir.OpFlatten {
			continue
		}
		in := n.Input(0)
		if p := in.Producer; n.Op == ir.OpReshape && p != nil && (p.Op == ir.OpReshape || p.Op == ir.OpFlatten) && single(g, cons, in) {
			x := p.Input(0)
			if target, err := ir.ReshapeTarget(n.Output().Shape, x.Shape); err == nil {
				n.Inputs[0], n.Attrs.Shape = x, target
				in = x
				changed = true
			}
		}
		if in.Shape.Equal(n.Output().Shape) && countUnknown(in.Shape) <= 1 && bypass(g, cons, n) {
			changed = true
		}
	}
	return changed
}

func countUnknown(s ir.Shape) int {
	k := 0
	for _, d := range s {
		if d < 0 {
			k++
		}
	}
	return k
}
