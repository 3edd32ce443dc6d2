package passes

import "github.com/mnc-go/mnc/ir"

// canonicalize removes nodes that compute nothing: Identity and Dropout
// (inference), Reshape/Flatten whose output shape equals the input's, and
// Transpose pairs whose permutations cancel. A node is kept when bypassing it
// would make a graph input a graph output directly.
func canonicalize(s *State) error {
	g := s.G
	cons := g.Consumers()
	for _, n := range g.Nodes {
		x := n.Input(0)
		if x == nil || x.IsConst() {
			continue
		}
		out := n.Output()
		var src *ir.Value
		switch n.Op {
		case ir.OpIdentity, ir.OpDropout:
			src = x
		case ir.OpReshape, ir.OpFlatten:
			if x.Shape.Equal(out.Shape) {
				src = x
			}
		case ir.OpTranspose:
			if p := x.Producer; p != nil && p.Op == ir.OpTranspose && composeIsIdentity(p.Attrs.Perm, n.Attrs.Perm) {
				src = p.Input(0)
			}
		}
		if src == nil || (g.IsOutput(out) && (src.Producer == nil || g.IsOutput(src))) {
			continue
		}
		replaceUses(g, cons, out, src)
		s.canonChanged = true
	}
	g.RemoveDead()
	return nil
}

// composeIsIdentity reports whether applying perm a then perm b restores the
// original axis order (ONNX Transpose: out axis i is in axis perm[i]).
func composeIsIdentity(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range b {
		if b[i] < 0 || b[i] >= len(a) || a[b[i]] != i {
			return false
		}
	}
	return true
}
