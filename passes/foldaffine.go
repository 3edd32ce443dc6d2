package passes

import (
	"math"

	"github.com/mnc-go/mnc/ir"
)

// foldAffine folds a per-channel affine map that an exporter left after a
// conv (an unfolded BatchNorm written as Mul and Add, in either order, or a
// scale or shift alone) into the conv's weights and bias, as fold-bn does,
// so an activation after it can fuse:
//
//	Mul(conv, s): w' = w·s[o], b' = b·s[o]   (every s finite)
//	Div(conv, d): w' = w/d[o], b' = b/d[o]   (every d finite and non-zero)
//	Add(conv, a): b' = b + a[o]
//	Sub(conv, a): b' = b − a[o]
//
// The constant must vary along channels only ([1,C,1,1], [C,1,1] or one
// element); the conv's weights and bias constant, its epilogue empty, and
// its output read by that node alone. Chains fold one node at a time.
func foldAffine(s *State) error {
	g := s.G
	for changed := true; changed; {
		changed = false
		cons := g.Consumers()
		for _, n := range g.Nodes {
			if n.Op != ir.OpMul && n.Op != ir.OpAdd && n.Op != ir.OpSub && n.Op != ir.OpDiv {
				continue
			}
			for k := 0; k < 2; k++ {
				if k == 1 && (n.Op == ir.OpSub || n.Op == ir.OpDiv) {
					break // c − conv and c / conv are not affine in the conv's terms
				}
				x, c := n.Input(k), n.Input(1-k)
				if foldAffineInto(s, cons, n, x, c) {
					changed = true
					break
				}
			}
		}
		g.RemoveDead()
	}
	return nil
}

// foldAffineInto folds node n = op(x, c) into x's producing conv when legal.
func foldAffineInto(s *State, cons map[*ir.Value][]*ir.Node, n *ir.Node, x, c *ir.Value) bool {
	g := s.G
	conv := x.Producer
	if conv == nil || (conv.Op != ir.OpConv && conv.Op != ir.OpConvTranspose) || soleReader(g, cons, x) != n || conv.Attrs.Fused != (ir.Epilogue{}) || !conv.Input(1).IsConst() {
		return false
	}
	if b := conv.Input(2); b != nil && !b.IsConst() {
		return false
	}
	out := n.Output()
	v := perChannel(c, x.Shape)
	if v == nil || !out.Shape.Equal(x.Shape) {
		return false
	}
	cout := len(v)
	bias := make([]float64, cout)
	if b := conv.Input(2); b != nil {
		for i := range bias {
			bias[i] = float64(b.Const.Data[i])
		}
	}
	var scale []float64
	switch n.Op {
	case ir.OpMul:
		for _, m := range v {
			if math.IsInf(m, 0) || math.IsNaN(m) {
				return false // inf·0 terms would differ from scaling the sum
			}
		}
		scale = v
	case ir.OpDiv:
		scale = make([]float64, cout)
		for i, d := range v {
			if d == 0 || math.IsInf(d, 0) || math.IsNaN(d) {
				return false
			}
			scale[i] = 1 / d
		}
	case ir.OpAdd:
		for i := range bias {
			bias[i] += v[i]
		}
	case ir.OpSub:
		for i := range bias {
			bias[i] -= v[i]
		}
	}
	if scale != nil {
		w, _ := scaleOutChannels(conv, scale)
		conv.Inputs[1] = g.AddConst(conv.Name+".w_affine", w)
		for i := range bias {
			bias[i] *= scale[i]
		}
	}
	nb := make([]float32, cout)
	for i := range nb {
		nb[i] = float32(bias[i])
	}
	for len(conv.Inputs) < 3 {
		conv.Inputs = append(conv.Inputs, nil)
	}
	conv.Inputs[2] = g.AddConst(conv.Name+".b_affine", ir.FromData(nb, cout))
	replaceUses(g, cons, out, x)
	// "scale"/"shift", not "mul"/"add": "add" in a summary is a fused residual.
	s.fuse(conv, map[ir.Op]string{ir.OpMul: "scale", ir.OpDiv: "scale", ir.OpAdd: "shift", ir.OpSub: "shift"}[n.Op])
	return true
}
