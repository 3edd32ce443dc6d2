package onnx

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// Transpose canonicalisation (part of Canonicalize). NHWC exporters such as
// tf2onnx wrap layers in Transposes: Transpose(0,3,1,2) → Conv →
// Transpose(0,2,3,1) → NHWC elementwise ops → Transpose(0,3,1,2) → Conv...
// Sinking each Transpose below the ops that do not care about layout
// (elementwise, with constants permuted to match) brings it next to the
// inverse Transpose of the next layer, and the two compose to the identity.
// What is left sits at the graph's edges.

func transposeRules(g *ir.Graph) bool {
	changed := false
	for _, rule := range []func(*ir.Graph) bool{composeTransposes, sinkTransposes, transposeToReshape} {
		if rule(g) {
			changed = true
			g.RemoveDead()
		}
	}
	return changed
}

func isIdentityPerm(p []int) bool {
	for k, v := range p {
		if k != v {
			return false
		}
	}
	return true
}

func invertPerm(p []int) []int {
	inv := make([]int, len(p))
	for k, v := range p {
		inv[v] = k
	}
	return inv
}

// composeTransposes: Transpose(Transpose(x, p), q) = Transpose(x, p∘q);
// an identity Transpose is removed.
func composeTransposes(g *ir.Graph) bool {
	changed := false
	cons := g.Consumers()
	for _, n := range g.Nodes {
		if n.Op != ir.OpTranspose {
			continue
		}
		if in := n.Input(0); in.Producer != nil && in.Producer.Op == ir.OpTranspose {
			p, q := in.Producer.Attrs.Perm, n.Attrs.Perm
			comp := make([]int, len(q))
			for k := range q {
				comp[k] = p[q[k]]
			}
			n.Inputs[0], n.Attrs.Perm = in.Producer.Input(0), comp
			changed = true
		}
		if isIdentityPerm(n.Attrs.Perm) && bypass(g, cons, n) {
			changed = true
		}
	}
	return changed
}

// bypass makes n's readers read n's input instead; it refuses when that
// would rename a graph input (an identity between an input and an output
// is kept).
func bypass(g *ir.Graph, cons map[*ir.Value][]*ir.Node, n *ir.Node) bool {
	x, out := n.Input(0), n.Output()
	if g.IsOutput(out) && (x.Producer == nil || g.IsOutput(x) || len(cons[x]) > 1) {
		return false
	}
	g.ReplaceUses(out, x)
	if g.IsOutput(x) && x.Producer != nil {
		x.Producer.Name = x.Name
	}
	return true
}

var layoutFree = map[ir.Op]bool{
	ir.OpRelu: true, ir.OpClip: true, ir.OpHardSwish: true, ir.OpHardSigmoid: true, ir.OpSigmoid: true,
	ir.OpSwish: true, ir.OpIdentity: true, ir.OpDropout: true,
	ir.OpAdd: true, ir.OpSub: true, ir.OpMul: true, ir.OpDiv: true,
	ir.OpPad: true, ir.OpReduceMean: true, ir.OpConcat: true,
}

var binaryOps = map[ir.Op]bool{ir.OpAdd: true, ir.OpSub: true, ir.OpMul: true, ir.OpDiv: true}

// sinkTransposes moves a Transpose read only by a layout-free node below
// that node: op(Transpose(x, p)) = Transpose(op'(x), p') with op' reading
// the untransposed layout.
func sinkTransposes(g *ir.Graph) bool {
	cons := g.Consumers()
	for i, n := range g.Nodes {
		if !layoutFree[n.Op] {
			continue
		}
		perm, ok := sinkablePerm(g, cons, n)
		if !ok {
			continue
		}
		outPerm, err := rewriteForSink(g, n, perm)
		if err != nil {
			continue
		}
		insertAfter(g, i, n, outPerm)
		return true // the node list changed: start again
	}
	return false
}

// sinkablePerm returns the perm shared by every transposed non-constant
// input of n, when each such Transpose feeds only n and any other input
// is a constant.
func sinkablePerm(g *ir.Graph, cons map[*ir.Value][]*ir.Node, n *ir.Node) ([]int, bool) {
	var perm []int
	for _, v := range n.Inputs {
		if v == nil {
			continue
		}
		if v.IsConst() {
			if binaryOps[n.Op] {
				continue // permuted to match in rewriteForSink
			}
			return nil, false
		}
		t := v.Producer
		if t == nil || t.Op != ir.OpTranspose || !single(g, cons, v) {
			return nil, false
		}
		if perm != nil && fmt.Sprint(perm) != fmt.Sprint(t.Attrs.Perm) {
			return nil, false
		}
		perm = t.Attrs.Perm
	}
	if perm == nil {
		return nil, false
	}
	switch n.Op {
	case ir.OpAdd, ir.OpSub, ir.OpMul, ir.OpDiv:
		// The result must have the transposed operand's shape.
		for _, v := range n.Inputs {
			if !v.IsConst() && !v.Shape.Equal(n.Output().Shape) {
				return nil, false
			}
		}
	}
	return perm, true
}

// rewriteForSink rewires n to read the Transposes' inputs and adjusts its
// attributes and constants; it returns the perm of the Transpose that must
// follow n.
func rewriteForSink(g *ir.Graph, n *ir.Node, perm []int) ([]int, error) {
	r := len(perm)
	inv := invertPerm(perm)
	a := n.Attrs
	outPerm := perm
	switch n.Op {
	case ir.OpPad:
		p := make([]int, 2*r)
		for k := 0; k < r; k++ {
			p[perm[k]], p[perm[k]+r] = a.PadAmounts[k], a.PadAmounts[k+r]
		}
		a.PadAmounts = p
	case ir.OpConcat:
		ax := a.Axis
		if ax < 0 {
			ax += r
		}
		a.Axis = perm[ax]
	case ir.OpReduceMean:
		red := map[int]bool{}
		axes := a.Axes
		if len(axes) == 0 {
			for k := 0; k < r; k++ {
				axes = append(axes, k)
			}
		}
		var na []int
		for _, ax := range axes {
			if ax < 0 {
				ax += r
			}
			na = append(na, perm[ax])
			red[perm[ax]] = true
		}
		a.Axes = na
		if !a.KeepDims {
			// The kept axes, in output order, renumbered among themselves.
			rank := map[int]int{}
			k := 0
			for d := 0; d < r; d++ {
				if !red[d] {
					rank[d] = k
					k++
				}
			}
			outPerm = nil
			for _, p := range perm {
				if !red[p] {
					outPerm = append(outPerm, rank[p])
				}
			}
		}
	}
	var in []*ir.Value
	for _, v := range n.Inputs {
		switch {
		case v == nil:
			in = append(in, nil)
		case v.IsConst():
			c, err := permuteConst(g, v, inv, r)
			if err != nil {
				return nil, err
			}
			in = append(in, c)
		default:
			in = append(in, v.Producer.Input(0))
		}
	}
	n.Inputs, n.Attrs = in, a
	return outPerm, nil
}

// permuteConst returns constant v (broadcast to rank r by leading 1s)
// transposed by perm.
func permuteConst(g *ir.Graph, v *ir.Value, perm []int, r int) (*ir.Value, error) {
	if len(v.Shape) > r {
		return nil, fmt.Errorf("constant %q has rank %d > %d", v.Name, len(v.Shape), r)
	}
	shape := make([]int, r-len(v.Shape), r)
	for k := range shape {
		shape[k] = 1
	}
	shape = append(shape, v.Shape...)
	c, err := foldTranspose(newFloat(shape, v.Const.Data), perm)
	if err != nil {
		return nil, err
	}
	return g.AddConst(v.Name, c.tensor()), nil
}

// insertAfter puts Transpose(n's output, perm) after n at index i: the new
// node takes over n's output value (its name and readers), and n gets a
// fresh one.
func insertAfter(g *ir.Graph, i int, n *ir.Node, perm []int) *ir.Node {
	old := n.Output()
	// The Transpose produces n's old output value, so it takes n's name (a
	// node's name may be used only by its own output); n is renamed.
	t := &ir.Node{Name: n.Name, Op: ir.OpTranspose, Outputs: []*ir.Value{old}, Attrs: ir.Attrs{Perm: append([]int{}, perm...)}}
	n.Name = g.UniqueName(t.Name + "/untransposed")
	nv := &ir.Value{Name: n.Name, Producer: n}
	n.Outputs[0] = nv
	t.Inputs = []*ir.Value{nv}
	old.Producer = t
	g.Nodes = append(g.Nodes[:i+1], append([]*ir.Node{t}, g.Nodes[i+1:]...)...)
	if s, err := ir.InferNode(n); err == nil {
		nv.Shape = s
	}
	return t
}

// transposeToReshape: a Transpose that keeps the order of the axes longer
// than 1 only moves size-1 axes, which is a Reshape (no data movement).
func transposeToReshape(g *ir.Graph) bool {
	changed := false
	for _, n := range g.Nodes {
		if n.Op != ir.OpTranspose {
			continue
		}
		x := n.Input(0).Shape
		// Unknown dimensions count as longer than 1.
		last, ok := -1, true
		for _, p := range n.Attrs.Perm {
			if x[p] == 1 {
				continue
			}
			if p < last {
				ok = false
				break
			}
			last = p
		}
		if !ok {
			continue
		}
		target, err := dynTarget(n.Output().Shape, x)
		if err != nil {
			continue
		}
		n.Op, n.Attrs = ir.OpReshape, ir.Attrs{Shape: target}
		changed = true
	}
	return changed
}
