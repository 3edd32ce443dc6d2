package passes

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// Transpose canonicalisation (pass sink-transposes). NHWC exporters such as
// tf2onnx wrap layers in Transposes: Transpose(0,3,1,2) → Conv →
// Transpose(0,2,3,1) → NHWC elementwise ops → Transpose(0,3,1,2) → Conv...
// Sinking each Transpose below the ops that do not care about layout
// (elementwise, with constants permuted to match) brings it next to the
// inverse Transpose of the next layer, and the two compose to the identity.
// A Transpose read by several such ops (an SE block's input feeds the pool
// and the scale) is sunk into each of them. Transposes above NHWC
// preprocessing of a graph input (x·scale + offset, Pad) are hoisted to
// the input instead. What is left sits at the graph's edges; only then
// does a Transpose that moves nothing but size-1 axes become a Reshape.

// sinkTransposes is the pass sink-transposes.
func sinkTransposes(s *State) error {
	tr := &transposer{pinned: map[*ir.Node]bool{}}
	return s.canonRules(tr.rules)
}

// transposer holds the Transposes hoisted to a graph input during one
// run of sink-transposes: they are pinned there (never sunk again), which is what
// keeps hoisting and sinking from undoing each other.
type transposer struct {
	pinned map[*ir.Node]bool
}

func (tr *transposer) rules(g *ir.Graph) bool {
	changed := false
	for {
		moved := false
		for _, rule := range []func(*ir.Graph) bool{composeTransposes, tr.sink, tr.hoist} {
			if rule(g) {
				moved = true
				g.RemoveDead()
			}
		}
		if !moved {
			break
		}
		changed = true
	}
	if transposeToReshape(g) {
		changed = true
		g.RemoveDead()
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
	ir.OpIdentity: true, ir.OpDropout: true, // and every elementwise activation (isLayoutFree)
	ir.OpAdd: true, ir.OpSub: true, ir.OpMul: true, ir.OpDiv: true,
	ir.OpPad: true, ir.OpReduceMean: true, ir.OpConcat: true,
}

func isLayoutFree(op ir.Op) bool { return layoutFree[op] || op.IsElementwiseActivation() }

var binaryOps = map[ir.Op]bool{ir.OpAdd: true, ir.OpSub: true, ir.OpMul: true, ir.OpDiv: true}

// sinkTransposes moves a Transpose read only by a layout-free node below
// that node: op(Transpose(x, p)) = Transpose(op'(x), p') with op' reading
// the untransposed layout.
func (tr *transposer) sink(g *ir.Graph) bool {
	cons := g.Consumers()
	for i, n := range g.Nodes {
		if !isLayoutFree(n.Op) {
			continue
		}
		perm, ok := sinkablePerm(g, cons, n, tr.pinned)
		if !ok {
			continue
		}
		outPerm, err := rewriteForSink(g, n, perm)
		if err != nil {
			continue
		}
		insertTransposeAfter(g, i, n, outPerm)
		return true // the node list changed: start again
	}
	return false
}

// sinkablePerm returns the perm shared by every transposed non-constant
// input of n, when any other input is a constant and each Transpose can go:
// it is not a graph output, not pinned at a graph input, and every other
// reader of it could take it too (a Transpose, which composes, or a
// layout-free node that sinkablePerm accepts with the same perm, ignoring
// readers).
func sinkablePerm(g *ir.Graph, cons map[*ir.Value][]*ir.Node, n *ir.Node, pinned map[*ir.Node]bool) ([]int, bool) {
	perm, ok := sinkableLocal(n)
	if !ok {
		return nil, false
	}
	for _, v := range n.Inputs {
		if v == nil || v.IsConst() {
			continue
		}
		if g.IsOutput(v) || pinned[v.Producer] {
			return nil, false
		}
		for _, c := range cons[v] {
			if c == n || c.Op == ir.OpTranspose {
				continue
			}
			if p, ok := sinkableLocal(c); !ok || fmt.Sprint(p) != fmt.Sprint(perm) || !isLayoutFree(c.Op) {
				return nil, false
			}
		}
	}
	return perm, true
}

func isGraphInput(g *ir.Graph, v *ir.Value) bool {
	for _, in := range g.Inputs {
		if in == v {
			return true
		}
	}
	return false
}

// sinkableLocal checks n's own inputs: every non-constant one is a
// Transpose with one shared perm, and constants appear only in binary ops.
func sinkableLocal(n *ir.Node) ([]int, bool) {
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
		if t == nil || t.Op != ir.OpTranspose {
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
	// Binary ops broadcast position by position between operands of equal
	// rank (every Transpose output has len(perm) axes), so transposing both
	// commutes with the op; lower-rank constants are padded with leading
	// 1s and permuted to match.
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
	t := &ir.Node{Op: ir.OpTranspose, Attrs: ir.Attrs{Perm: perm}}
	c, err := reference.Eval(t, []*ir.Tensor{{Shape: shape, Data: v.Const.Data}})
	if err != nil {
		return nil, err
	}
	return g.AddConst(v.Name, c), nil
}

// insertTransposeAfter puts Transpose(n's output, perm) after n at index i: the new
// node takes over n's output value (its name and readers), and n gets a
// fresh one.
func insertTransposeAfter(g *ir.Graph, i int, n *ir.Node, perm []int) *ir.Node {
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
		target, err := ir.ReshapeTarget(n.Output().Shape, x)
		if err != nil {
			continue
		}
		n.Op, n.Attrs = ir.OpReshape, ir.Attrs{Shape: target}
		changed = true
	}
	return changed
}

// couldSink reports whether some reader of t would take it (sinking wins
// over hoisting: it is what cancels Transposes inside the graph).
func (tr *transposer) couldSink(g *ir.Graph, cons map[*ir.Value][]*ir.Node, t *ir.Node) bool {
	for _, c := range cons[t.Output()] {
		if c.Op == ir.OpTranspose {
			return true
		}
		if _, ok := sinkablePerm(g, cons, c, tr.pinned); ok && isLayoutFree(c.Op) {
			return true
		}
	}
	return false
}

// hoistable reports whether n may have a Transpose moved from its output to
// its (single non-constant) input: unary elementwise ops, binary ops with a
// constant operand, and Pad.
func hoistable(n *ir.Node) bool {
	switch {
	case n == nil:
		return false
	case n.Op == ir.OpPad:
		return true
	case binaryOps[n.Op]:
		return n.Input(0).IsConst() != n.Input(1).IsConst()
	}
	return n.Op.IsElementwiseActivation() || n.Op == ir.OpIdentity || n.Op == ir.OpDropout
}

// dataInput returns the non-constant input of a hoistable node.
func dataInput(n *ir.Node) (int, *ir.Value) {
	for k, v := range n.Inputs {
		if v != nil && !v.IsConst() {
			return k, v
		}
	}
	return -1, nil
}

// fromInput reports whether n's data input comes from a graph input through
// hoistable nodes only, each read by one node: NHWC preprocessing.
func fromInput(g *ir.Graph, cons map[*ir.Value][]*ir.Node, n *ir.Node) bool {
	for {
		_, x := dataInput(n)
		if x == nil {
			return false
		}
		if isGraphInput(g, x) {
			return true
		}
		p := x.Producer
		if !hoistable(p) || !single(g, cons, x) {
			return false
		}
		n = p
	}
}

// hoist moves a Transpose that cannot sink above the preprocessing of a
// graph input: Transpose(op(x)) = op'(Transpose(x)), so that the Transpose
// ends next to the input (an edge, where it is pinned) and op' works in the
// inner layout.
func (tr *transposer) hoist(g *ir.Graph) bool {
	cons := g.Consumers()
	for _, t := range g.Nodes {
		if t.Op != ir.OpTranspose {
			continue
		}
		v := t.Input(0)
		op := v.Producer
		if !hoistable(op) || !single(g, cons, v) || !fromInput(g, cons, op) {
			continue
		}
		if !tr.pinned[t] && tr.couldSink(g, cons, t) {
			continue
		}
		perm := t.Attrs.Perm
		k, x := dataInput(op)
		if len(x.Shape) != len(perm) {
			continue
		}
		a := op.Attrs
		in := append([]*ir.Value{}, op.Inputs...)
		if op.Op == ir.OpPad {
			r := len(perm)
			p := make([]int, 2*r)
			for d := 0; d < r; d++ {
				p[d], p[d+r] = a.PadAmounts[perm[d]], a.PadAmounts[perm[d]+r]
			}
			a.PadAmounts = p
		}
		ok := true
		for i, c := range in {
			if c != nil && c.IsConst() {
				pc, err := permuteConst(g, c, perm, len(perm))
				if err != nil {
					ok = false
					break
				}
				in[i] = pc
			}
		}
		if !ok {
			continue
		}
		tin := &ir.Node{Name: g.UniqueName(op.Name + "/transposed_input"), Op: ir.OpTranspose, Attrs: ir.Attrs{Perm: append([]int{}, perm...)}, Inputs: []*ir.Value{x}}
		tv := &ir.Value{Name: tin.Name, Producer: tin}
		tin.Outputs = []*ir.Value{tv}
		if s, err := ir.InferNode(tin); err == nil {
			tv.Shape = s
		} else {
			continue
		}
		in[k] = tv
		tr.pinned[tin] = true
		op.Inputs, op.Attrs = in, a
		if s, err := ir.InferNode(op); err == nil {
			op.Output().Shape = s
		}
		out := t.Output()
		g.ReplaceUses(out, op.Output())
		if g.IsOutput(op.Output()) {
			op.Name = op.Output().Name
		}
		for i, n := range g.Nodes {
			if n == op {
				g.Nodes = append(g.Nodes[:i], append([]*ir.Node{tin}, g.Nodes[i:]...)...)
				break
			}
		}
		return true // the node list changed: start again
	}
	return false
}
