package passes

import "github.com/mnc-go/mnc/ir"

// fuseSE recognises squeeze-and-excitation:
//
//	p = GlobalAveragePool(x)              [N,C,1,1]
//	h = Conv1×1(p) + activation           [N,C',1,1]
//	s = Conv1×1(h) + hsigmoid or sigmoid  [N,C,1,1]
//	y = Mul(x, s)                         [N,C,H,W]
//
// (after fuse-activation has put the activations into the convs) and marks
// the Mul (Attrs.SE, checked by ir.InferNode), so the plan computes the chain as four small steps — the pooled
// vector, two FC vectors (m = batch GEMMs split by columns), and a channel
// scale written in place over x when x dies there — with no broadcast step.
func fuseSE(s *State) error {
	for _, m := range s.G.Nodes {
		if m.Op != ir.OpMul {
			continue
		}
		for k := 0; k < 2; k++ {
			x, sc := m.Input(k), m.Input(1-k)
			if matchSE(x, sc) {
				m.Attrs.SE = true
				s.fuse(m, "se")
				break
			}
		}
	}
	return nil
}

func matchSE(x, sc *ir.Value) bool {
	if len(x.Shape) != 4 || !sc.Shape.Equal(ir.Shape{x.Shape[0], x.Shape[1], 1, 1}) {
		return false
	}
	fc2 := sc.Producer
	if !isPointwiseConv(fc2) || (fc2.Attrs.Fused.Act != ir.ActHardSigmoid && fc2.Attrs.Fused.Act != ir.ActSigmoid) {
		return false
	}
	fc1 := fc2.Input(0).Producer
	if !isPointwiseConv(fc1) {
		return false
	}
	pool := fc1.Input(0).Producer
	return pool != nil && pool.Op == ir.OpGlobalAveragePool && pool.Input(0) == x
}

func isPointwiseConv(n *ir.Node) bool {
	if n == nil || n.Op != ir.OpConv || n.Attrs.Group != 1 || n.Attrs.Fused.Residual {
		return false
	}
	w := n.Input(1).Shape
	return len(w) == 4 && w[2] == 1 && w[3] == 1
}
