package passes

import "github.com/mnc-go/mnc/ir"

// fuseActivation moves an elementwise activation into the epilogue of the
// Conv, Gemm or ConvTranspose producing its input, when that output has no
// other reader, is not a graph output, and the epilogue has no activation
// yet; likewise into a same-shape Add of two computed tensors (one
// fuse-add could not put into a conv), whose plan step (the kernels' Add)
// applies it. The activation node goes; its output's name stays (the Add
// takes it, as its step did before the epilogue was in the IR).
func fuseActivation(s *State) error {
	g := s.G
	cons := g.Consumers()
	for _, n := range g.Nodes {
		ep, name, ok := epilogueOf(n)
		if !ok {
			continue
		}
		x := n.Input(0)
		p := x.Producer
		if p == nil || len(cons[x]) != 1 || g.IsOutput(x) {
			continue
		}
		if p.Op == ir.OpAdd && isPlainAdd(p) && p.Attrs.Fused.Act == ir.ActNone && ep.Slope == nil { // Add steps have no channels
			p.Attrs.Fused = ep
			out := n.Output()
			replaceUses(g, cons, out, x)
			x.Name = out.Name // replaceUses did it for a graph output
			s.fuse(p, name)
			continue
		}
		if (p.Op != ir.OpConv && p.Op != ir.OpGemm && p.Op != ir.OpConvTranspose) || p.Attrs.Fused.Act != ir.ActNone {
			continue
		}
		ep.Residual = p.Attrs.Fused.Residual
		p.Attrs.Fused = ep
		replaceUses(g, cons, n.Output(), x)
		s.fuse(p, name)
	}
	g.RemoveDead()
	return nil
}

// isPlainAdd reports whether Add node n adds two computed tensors of its
// output's shape (what the kernels' Add step does).
func isPlainAdd(n *ir.Node) bool {
	a, b, out := n.Input(0), n.Input(1), n.Output()
	return !a.IsConst() && !b.IsConst() && a.Shape.Equal(out.Shape) && b.Shape.Equal(out.Shape)
}

// epilogueOf returns the epilogue computing activation node n (the op
// table's mapping, ir.ActEpilogue), and a short name for summaries.
func epilogueOf(n *ir.Node) (ir.Epilogue, string, bool) {
	ep, ok := ir.ActEpilogue(n)
	return ep, ep.Label(), ok
}
