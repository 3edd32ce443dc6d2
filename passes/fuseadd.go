package passes

import "github.com/mnc-go/mnc/ir"

// fuseAdd turns Add(conv(x), r) into conv(x) with r as its fused residual
// (the epilogue adds it after the bias, before any activation). The conv
// must be dense (group 1: the depthwise kernel has no residual input), have
// no epilogue yet, and its output no other reader; the Add must not
// broadcast. When r is computed after the conv, the conv moves down to the
// Add's place (TopoSort), which is always legal because the Add read both.
func fuseAdd(s *State) error {
	g := s.G
	cons := g.Consumers()
	moved := false
	for _, add := range g.Nodes {
		if add.Op != ir.OpAdd {
			continue
		}
		out := add.Output()
		for k := 0; k < 2; k++ {
			x, r := add.Input(k), add.Input(1-k)
			p := x.Producer
			if p == nil || r.IsConst() || x == r || !x.Shape.Equal(out.Shape) || !r.Shape.Equal(out.Shape) {
				continue
			}
			if len(cons[x]) != 1 || g.IsOutput(x) || p.Attrs.Fused != (ir.Epilogue{}) {
				continue
			}
			if !(p.Op == ir.OpConv && p.Attrs.Group == 1) && !(p.Op == ir.OpGemm && !p.Attrs.TransA) || !p.Input(1).IsConst() {
				continue // only the GEMM and dense-conv kernels take a residual
			}
			for len(p.Inputs) < 3 {
				p.Inputs = append(p.Inputs, nil)
			}
			p.Inputs = append(p.Inputs[:3], r)
			p.Attrs.Fused.Residual = true
			replaceUses(g, cons, out, x)
			for i, c := range cons[r] {
				if c == add {
					cons[r][i] = p // p reads r now; the Add is dead
				}
			}
			s.fuse(p, "add")
			moved = true
			break
		}
	}
	g.RemoveDead()
	if moved {
		return g.TopoSort()
	}
	return nil
}
