package passes

import (
	"math"

	"github.com/mnc-go/mnc/ir"
)

// fuseRequant moves a Requantize (lower-qlinear's rounding of an exact
// integer sum) into the epilogue of the Conv or Gemm computing that sum, as
// ir.ActRequant: the per-channel multiplier becomes the epilogue's Slope
// and the type's range minus the zero point its Min and Max. The kernels
// then requantize each output tile while it is in cache instead of a
// separate step reading and writing the whole tensor.
func fuseRequant(s *State) error {
	g := s.G
	cons := g.Consumers()
	for _, n := range g.Nodes {
		if n.Op != ir.OpRequantize {
			continue
		}
		x, m, zp := n.Input(0), n.Input(1), n.Input(2)
		p := x.Producer
		if p == nil || (p.Op != ir.OpConv && p.Op != ir.OpGemm) || p.Attrs.Fused.Act != ir.ActNone ||
			len(cons[x]) != 1 || g.IsOutput(x) || !m.IsConst() || !zp.IsConst() || zp.Shape.Size() != 1 {
			continue
		}
		out := x.Shape
		if len(out) < 2 || (m.Shape.Size() != 1 && m.Shape.Size() != out[1]) {
			continue
		}
		slope := ir.NewTensor(out[1])
		finite := true
		for c := range slope.Data {
			v := m.Const.Data[min(c, len(m.Const.Data)-1)]
			slope.Data[c] = v
			finite = finite && !math.IsInf(float64(v), 0) && v == v
		}
		if !finite { // the kernels' requantization assumes no NaN (Inf·0)
			continue
		}
		lo, hi := n.Attrs.QType.Range()
		z := zp.Const.Data[0]
		ep := ir.Epilogue{Act: ir.ActRequant, Slope: slope, Residual: p.Attrs.Fused.Residual,
			Min: float32(float64(lo) - float64(z)), Max: float32(float64(hi) - float64(z))}
		p.Attrs.Fused = ep
		replaceUses(g, cons, n.Output(), x)
		s.fuse(p, "requant")
	}
	g.RemoveDead()
	return nil
}
