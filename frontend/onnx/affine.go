package onnx

import "github.com/mnc-go/mnc/ir"

// channelAffineRule (part of Canonicalize): a BatchNormalization that an
// exporter left unfolded as Mul by a per-channel constant and/or Add of a
// per-channel constant on a Conv's output (tf2onnx writes Conv → Mul →
// Add) becomes BatchNormalization(scale, bias, mean 0, var 1, epsilon 0),
// which computes x·scale + bias, so the BatchNorm folding and the epilogue
// fusions downstream see their usual form. Only constants that name every
// channel (shape [C,1,1] or [1,C,1,1] with C > 1) match: scalars are
// h-swish's and preprocessing's.
func channelAffineRule(g *ir.Graph) bool {
	changed := false
	cons := g.Consumers()
	for _, n := range g.Nodes {
		if n.Op != ir.OpAdd && n.Op != ir.OpMul {
			continue
		}
		x, c := operands(n)
		if x == nil {
			continue
		}
		ch, ok := perChannel(c, x.Shape)
		if !ok {
			continue
		}
		scale, bias := ones(len(ch)), make([]float32, len(ch))
		if n.Op == ir.OpMul {
			if r := cons[n.Output()]; len(r) == 1 && r[0].Op == ir.OpAdd && single(g, cons, n.Output()) {
				if ax, ac := operands(r[0]); ax == n.Output() {
					if _, ok := perChannel(ac, ax.Shape); ok {
						continue // the Add takes this Mul along
					}
				}
			}
			scale = ch
		} else {
			bias = ch
			// Add(Mul(conv, s), t): take the Mul along when only this reads it.
			if m := x.Producer; m != nil && m.Op == ir.OpMul && single(g, cons, x) {
				if mx, mc := operands(m); mx != nil {
					if s, ok := perChannel(mc, mx.Shape); ok {
						scale, x = s, mx
					}
				}
			}
		}
		if x.Producer == nil || x.Producer.Op != ir.OpConv {
			continue
		}
		k := len(ch)
		mk := func(suffix string, d []float32) *ir.Value {
			return g.AddConst(n.Name+"/"+suffix, ir.FromData(d, k))
		}
		n.Op, n.Attrs = ir.OpBatchNorm, ir.Attrs{Epsilon: 0}
		n.Inputs = []*ir.Value{x, mk("scale", scale), mk("bias", bias), mk("mean", make([]float32, k)), mk("var", ones(k))}
		changed = true
	}
	return changed
}

// perChannel returns the C values of constant c when it holds one value per
// channel of a 4-D NCHW tensor of shape x ([C,1,1] or [1,C,1,1], C > 1).
func perChannel(c *ir.Value, x ir.Shape) ([]float32, bool) {
	if len(x) != 4 || x[1] <= 1 {
		return nil, false
	}
	s := c.Shape
	for len(s) > 3 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) != 3 || s[0] != x[1] || s[1] != 1 || s[2] != 1 {
		return nil, false
	}
	return append([]float32{}, c.Const.Data...), true
}

func ones(n int) []float32 {
	f := make([]float32, n)
	for k := range f {
		f[k] = 1
	}
	return f
}
