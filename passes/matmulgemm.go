package passes

import "github.com/mnc-go/mnc/ir"

// matmulToGemm turns a classifier head written as MatMul(x[M,K], W[K,N])
// (+ bias) into one Gemm, which the GEMM kernel runs and fold-bn and
// fuse-activation can extend:
//
//	Add(MatMul(x, W), c) or Add(c, MatMul(x, W)) → Gemm(x, W, c), transB=0
//	MatMul(x, W)                                  → Gemm(x, W)
//
// W must be a 2-D constant and x a rank-2 computed tensor; the bias c a
// constant of N elements shaped [N] or [1,N] (a per-column vector). The
// Add is absorbed only when the MatMul's output has no other reader and is
// not a graph output.
func matmulToGemm(s *State) error {
	g := s.G
	cons := g.Consumers()
	for _, n := range g.Nodes {
		if n.Op != ir.OpMatMul {
			continue
		}
		x, w := n.Input(0), n.Input(1)
		if x.IsConst() || len(x.Shape) != 2 || !w.IsConst() || len(w.Shape) != 2 {
			continue
		}
		n.Op, n.Attrs = ir.OpGemm, ir.Attrs{Alpha: 1, Beta: 1}
		s.fuse(n, "matmul")
		out := n.Output()
		add := soleReader(g, cons, out)
		if add == nil || add.Op != ir.OpAdd {
			continue
		}
		c := add.Input(1)
		if c == out {
			c = add.Input(0)
		}
		nOut := out.Shape[1]
		if c == out || !c.IsConst() || c.Shape.Size() != nOut || !(c.Shape.Equal(ir.Shape{nOut}) || c.Shape.Equal(ir.Shape{1, nOut})) {
			continue
		}
		n.Inputs = []*ir.Value{x, w, c}
		replaceUses(g, cons, add.Output(), out)
		s.fuse(n, "bias")
	}
	g.RemoveDead()
	return nil
}
