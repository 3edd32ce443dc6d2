package passes

import (
	"slices"

	"github.com/mnc-go/mnc/ir"
)

// scaleOutChannels multiplies each output channel's weights of a Conv or
// ConvTranspose by scale[o] (fold-bn, fold-affine); it returns the new
// weight and the old bias (nil when absent).
func scaleOutChannels(p *ir.Node, scale []float64) (*ir.Tensor, []float32) {
	if p.Op == ir.OpConv {
		return foldConvBN(p, scale)
	}
	// ConvTranspose weights are [Cin, Cout/group, kh, kw]: output channel
	// o = g·(Cout/group) + j is slice j of every input channel of group g.
	w := p.Input(1).Const
	nw := w.Clone()
	cin, mg := w.Shape[0], w.Shape[1]
	k := w.Shape[2] * w.Shape[3]
	cg := cin / p.Attrs.Group
	for ci := 0; ci < cin; ci++ {
		for j := 0; j < mg; j++ {
			o := (ci/cg)*mg + j
			for t := 0; t < k; t++ {
				i := (ci*mg+j)*k + t
				nw.Data[i] = float32(float64(w.Data[i]) * scale[o])
			}
		}
	}
	var bias []float32
	if b := p.Input(2); b != nil {
		bias = b.Const.Data
	}
	return nw, bias
}

// foldBNLate is fold-bn again after fold-affine: Paddle writes a
// ConvTranspose's bias as an Add, so its BatchNorm follows the Add and
// folds only once fold-affine has moved the Add into the ConvTranspose.
// Disabling fold-bn disables it too.
func foldBNLate(s *State) error {
	if slices.Contains(s.Opts.Disable, "fold-bn") {
		return nil
	}
	return foldBN(s)
}

// nchwResizeOutputs stores a Resize that is a graph output NCHW: the
// runtime's Resize addresses both operands through strides, so it writes
// the output's layout directly instead of an NHWC tensor that a to-nchw
// step then converts (a segmentation network's final upsampling is its
// largest tensor).
func nchwResizeOutputs(s *State) {
	for _, n := range s.G.Nodes {
		if out := n.Output(); n.Op == ir.OpResize && s.G.IsOutput(out) && len(s.G.Consumers()[out]) == 0 {
			out.NHWC = false
		}
	}
}

// fuseUpsampleAdd folds Add(a, Resize(x)) into the Resize as a residual
// (out = resize(x) + a) when the Resize's output is read by that Add alone
// and is not a graph output, a is computed and of the output's shape: the
// upsampled tensor is then never written and read back (FPN top-down paths,
// PP-OCR's neck).
func fuseUpsampleAdd(s *State) error {
	g := s.G
	cons := g.Consumers()
	for _, n := range g.Nodes {
		if n.Op != ir.OpAdd || !isPlainAdd(n) {
			continue
		}
		for k := 0; k < 2; k++ {
			up, other := n.Input(k), n.Input(1-k)
			r := up.Producer
			if r == nil || r.Op != ir.OpResize || r.Attrs.Fused != (ir.Epilogue{}) || soleReader(g, cons, up) != n || up == other {
				continue
			}
			r.Inputs = append(r.Inputs[:1], other)
			r.Attrs.Fused.Residual = true
			g.ReplaceUses(n.Output(), up)
			s.fuse(r, "add")
			break
		}
	}
	g.RemoveDead()
	return g.TopoSort() // the Resize now reads the Add's other operand, which may come later
}
