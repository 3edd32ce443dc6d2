package passes

import (
	"math"

	"github.com/mnc-go/mnc/ir"
)

// canonActivations (pass canon-activations) rewrites the spellings
// exporters use for mnc's activations into the operators themselves, so
// later passes match one form:
//
//   - a Clip or Relu applied to a Clip or Relu is one Clip over the
//     intersected range (Min(Max(x, 0), 6) imports as two Clips and ends
//     as ReLU6 = Clip(0, 6));
//   - h-sigmoid written as Clip(x+3, 0, 6)/6 or Clip(x+3, 0, 6)·(1/6)
//     (Relu6 is Clip(0, 6)) becomes HardSigmoid(alpha 1/6, beta 0.5);
//   - h-swish written as x·HardSigmoid(x) with alpha 1/6, beta 0.5 (so also
//     x·(Clip(x+3,0,6)/6) after the rule above), or as (x·Clip(x+3,0,6))/6
//     or (x·Clip(x+3,0,6))·(1/6), becomes HardSwish;
//   - x·Sigmoid(x) becomes Swish.
//
// Constants match with a relative tolerance of 1e-4 (exporters write 1/6
// as 0.16666 or 0.1666667). The rules run to a fixed point.
func canonActivations(s *State) error {
	return s.canonRules(clipMergeRule, hardSigmoidRule, hardSwishRule, swishRule)
}

// canonRules runs graph rewrite rules to a fixed point (each reports
// whether it changed the graph) and, when one did, marks the
// canonicalisation group for another round (Compile runs the Canon
// passes again until none changes the graph) and infers the shapes again.
func (s *State) canonRules(rules ...func(*ir.Graph) bool) error {
	changed := false
	for {
		round := false
		for _, rule := range rules {
			if rule(s.G) {
				round = true
				s.G.RemoveDead()
			}
		}
		if !round {
			break
		}
		changed = true
	}
	if !changed {
		return nil
	}
	s.canonChanged = true
	return s.G.InferShapes()
}

// clipRange returns the [lo, hi] a Relu or Clip node clamps to.
func clipRange(n *ir.Node) (lo, hi float32, ok bool) {
	switch {
	case n == nil:
	case n.Op == ir.OpRelu:
		return 0, float32(math.Inf(1)), true
	case n.Op == ir.OpClip:
		return n.Attrs.Min, n.Attrs.Max, true
	}
	return 0, 0, false
}

// clipMergeRule: a Clip or Relu of a Clip or Relu (read only there) is one
// Clip over the intersection of the ranges, so Min(Max(x, 0), 6) and
// Clip(Relu(x), 0, 6) become ReLU6 = Clip(0, 6). Disjoint ranges are left
// alone. NaN passes through both forms.
func clipMergeRule(g *ir.Graph) bool {
	changed := false
	cons := g.Consumers()
	for _, n := range g.Nodes {
		lo, hi, ok := clipRange(n)
		if !ok {
			continue
		}
		in := n.Input(0)
		ilo, ihi, ok := clipRange(in.Producer)
		if !ok || !single(g, cons, in) {
			continue
		}
		nlo, nhi := max(lo, ilo), min(hi, ihi)
		if nlo > nhi {
			continue
		}
		replaceWith(n.Output(), ir.OpClip, ir.ClipAttrs(nlo, nhi), in.Producer.Input(0))
		if nlo == 0 && math.IsInf(float64(nhi), 1) {
			n.Op, n.Attrs = ir.OpRelu, ir.Attrs{}
		}
		changed = true
	}
	return changed
}

// single reports whether v is read by exactly one node and is not a graph
// output, so its producer may be folded into that reader.
func single(g *ir.Graph, cons map[*ir.Value][]*ir.Node, v *ir.Value) bool {
	return v != nil && v.Producer != nil && len(cons[v]) == 1 && !g.IsOutput(v)
}

// constNear reports whether v is a constant whose elements all equal want
// within a relative 1e-4.
func constNear(v *ir.Value, want float64) bool {
	if !v.IsConst() || len(v.Const.Data) == 0 {
		return false
	}
	for _, f := range v.Const.Data {
		if math.Abs(float64(f)-want) > 1e-4*math.Abs(want) {
			return false
		}
	}
	return true
}

// scalarLike reports whether constant c broadcasts against x without
// changing x's shape (so dropping c changes only the values).
func scalarLike(c, x *ir.Value) bool {
	s, ok := ir.BroadcastShapes(x.Shape, c.Shape)
	return ok && s.Equal(x.Shape)
}

// operands returns the non-constant and the constant input of a binary
// node, in either order, or nils.
func operands(n *ir.Node) (x, c *ir.Value) {
	a, b := n.Input(0), n.Input(1)
	switch {
	case b.IsConst() && !a.IsConst():
		return a, b
	case a.IsConst() && !b.IsConst() && n.Op != ir.OpSub && n.Op != ir.OpDiv:
		return b, a
	}
	return nil, nil
}

// divOrMulBy6 matches v = y/6 or y·(1/6) and returns y.
func divOrMulBy6(v *ir.Value) *ir.Value {
	n := v.Producer
	if n == nil || (n.Op != ir.OpDiv && n.Op != ir.OpMul) {
		return nil
	}
	y, c := operands(n)
	if y == nil || !scalarLike(c, y) {
		return nil
	}
	if (n.Op == ir.OpDiv && constNear(c, 6)) || (n.Op == ir.OpMul && constNear(c, 1.0/6)) {
		return y
	}
	return nil
}

// relu6OfPlus3 matches v = Clip(x+3, 0, 6) and returns x.
func relu6OfPlus3(v *ir.Value) *ir.Value {
	n := v.Producer
	if n == nil || n.Op != ir.OpClip || n.Attrs.Min != 0 || n.Attrs.Max != 6 {
		return nil
	}
	add := n.Input(0).Producer
	if add == nil || add.Op != ir.OpAdd {
		return nil
	}
	x, c := operands(add)
	if x == nil || !constNear(c, 3) || !scalarLike(c, x) {
		return nil
	}
	return x
}

// replaceWith makes the single-input node op(x) stand in for v: v's
// producer becomes that node, keeping v (its name and readers).
func replaceWith(v *ir.Value, op ir.Op, a ir.Attrs, x *ir.Value) {
	n := v.Producer
	n.Op, n.Attrs, n.Inputs = op, a, []*ir.Value{x}
}

// hardSigmoidRule: Clip(x+3, 0, 6)/6 → HardSigmoid(x; 1/6, 0.5).
func hardSigmoidRule(g *ir.Graph) bool {
	changed := false
	for _, n := range g.Nodes {
		y := divOrMulBy6(n.Output())
		if y == nil {
			continue
		}
		if x := relu6OfPlus3(y); x != nil {
			replaceWith(n.Output(), ir.OpHardSigmoid, ir.HardSigmoidAttrs(), x)
			changed = true
		}
	}
	return changed
}

func isHardSigmoid16(n *ir.Node) bool {
	return n != nil && n.Op == ir.OpHardSigmoid && math.Abs(float64(n.Attrs.Alpha)-1.0/6) < 1e-4/6 && math.Abs(float64(n.Attrs.Beta)-0.5) < 1e-4/2
}

// hardSwishOf matches the h-swish spellings on v: x·HardSigmoid(x) (alpha
// 1/6, beta 0.5) in either operand order, and (x·Clip(x+3,0,6))/6 or
// ·(1/6). It returns x, or nil.
func hardSwishOf(v *ir.Value) *ir.Value {
	if n := v.Producer; n != nil && n.Op == ir.OpMul {
		a, b := n.Input(0), n.Input(1)
		for _, p := range [2][2]*ir.Value{{a, b}, {b, a}} {
			if isHardSigmoid16(p[1].Producer) && p[1].Producer.Input(0) == p[0] && p[0].Shape.Equal(v.Shape) {
				return p[0]
			}
		}
	}
	y := divOrMulBy6(v)
	if y == nil || y.Producer == nil || y.Producer.Op != ir.OpMul {
		return nil
	}
	a, b := y.Producer.Input(0), y.Producer.Input(1)
	for _, p := range [2][2]*ir.Value{{a, b}, {b, a}} {
		if relu6OfPlus3(p[1]) == p[0] && p[0].Shape.Equal(v.Shape) {
			return p[0]
		}
	}
	return nil
}

// hardSwishRule replaces every h-swish spelling by HardSwish.
func hardSwishRule(g *ir.Graph) bool {
	changed := false
	for _, n := range g.Nodes {
		if x := hardSwishOf(n.Output()); x != nil {
			replaceWith(n.Output(), ir.OpHardSwish, ir.Attrs{}, x)
			changed = true
		}
	}
	return changed
}

// swishRule: x·Sigmoid(x) → Swish(x).
func swishRule(g *ir.Graph) bool {
	changed := false
	for _, n := range g.Nodes {
		if n.Op != ir.OpMul {
			continue
		}
		a, b := n.Input(0), n.Input(1)
		for _, p := range [2][2]*ir.Value{{a, b}, {b, a}} {
			if s := p[1].Producer; s != nil && s.Op == ir.OpSigmoid && s.Input(0) == p[0] && p[0].Shape.Equal(n.Output().Shape) {
				replaceWith(n.Output(), ir.OpSwish, ir.Attrs{}, p[0])
				changed = true
				break
			}
		}
	}
	return changed
}
