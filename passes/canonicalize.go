package passes

import "github.com/mnc-go/mnc/ir"

// canonicalize removes the nodes that compute nothing at inference,
// Identity and Dropout. A node is kept when bypassing it would make a graph
// input a graph output directly. (Same-shape Reshapes and Flattens go in
// merge-reshapes, cancelling Transposes in sink-transposes.)
func canonicalize(s *State) error {
	g := s.G
	cons := g.Consumers()
	for _, n := range g.Nodes {
		x := n.Input(0)
		if (n.Op != ir.OpIdentity && n.Op != ir.OpDropout) || x == nil || x.IsConst() {
			continue
		}
		out := n.Output()
		if g.IsOutput(out) && (x.Producer == nil || g.IsOutput(x)) {
			continue
		}
		replaceUses(g, cons, out, x)
		s.canonChanged = true
	}
	g.RemoveDead()
	return nil
}
