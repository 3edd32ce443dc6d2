package passes

import "github.com/mnc-go/mnc/ir"

// chooseLayout stores every 4-D activation channels-last (NHWC): the
// kernels are written for it, and a 1×1 conv is then a GEMM on memory as it
// lies. The graph's 4-D inputs arrive NCHW and get one NHWC copy each;
// outputs are converted back by emit-steps. Other ranks (after Flatten) are
// row-major, the same in both layouts, so the only conversions are at the
// graph's edges.
//
// Channels-last graphs (tf2onnx, Keras) spell their edges as transposes:
// an [N,H,W,C] input read only by Transpose(0,3,1,2), and a graph output
// (or a Flatten, Reshape or Softmax input) computed by Transpose(0,2,3,1)
// of a 4-D activation. Those bytes are
// already in our internal layout, so such a Transpose becomes a free view
// (freeTranspose) and the edge needs no conversion at all.
func chooseLayout(s *State) error {
	g := s.G
	s.freeTranspose = map[*ir.Node]*ir.Value{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			o.NHWC = len(o.Shape) == 4
		}
	}
	cons := g.Consumers()
	nhwcIn := map[*ir.Value]bool{}
	for _, v := range g.Inputs {
		if t := soleReader(g, cons, v); len(v.Shape) == 4 && t != nil && isPerm(t, 0, 3, 1, 2) {
			s.freeTranspose[t] = v
			nhwcIn[v] = true
		}
	}
	for _, n := range g.Nodes {
		x := n.Input(0)
		if out := n.Output(); isPerm(n, 0, 2, 3, 1) && x.NHWC && readByViewsOnly(g, cons, out) {
			s.freeTranspose[n] = x
			out.NHWC = false // its NCHW bytes are x's NHWC bytes
		}
	}
	nchwResizeOutputs(s)
	for _, v := range g.Inputs {
		if len(v.Shape) == 4 && !nhwcIn[v] {
			c := &ir.Value{Name: v.Name + ".nhwc", Shape: v.Shape.Clone()}
			c.NHWC = true
			s.edgeIn[v] = c
		}
	}
	return nil
}

// rowMajorBytes reports whether v's storage is laid out as its row-major
// logical order (so it may be reinterpreted by Flatten/Reshape for free).
func (s *State) rowMajorBytes(v *ir.Value) bool {
	if !v.NHWC {
		return true
	}
	return v.Shape[1] == 1 || v.Shape[2]*v.Shape[3] == 1
}

// readByViewsOnly reports whether v is a graph output or read only by ops
// that are always free views or generic steps (Flatten, Reshape, Softmax,
// Concat, Transpose): those read any storage order, while the kernels'
// steps expect a 4-D operand NHWC.
func readByViewsOnly(g *ir.Graph, cons map[*ir.Value][]*ir.Node, v *ir.Value) bool {
	for _, r := range cons[v] {
		switch r.Op {
		case ir.OpFlatten, ir.OpReshape, ir.OpSoftmax, ir.OpConcat, ir.OpTranspose:
		default:
			return false
		}
	}
	return g.IsOutput(v) || len(cons[v]) > 0
}

// isPerm reports whether n is a Transpose with exactly the permutation perm.
func isPerm(n *ir.Node, perm ...int) bool {
	if n.Op != ir.OpTranspose || len(n.Attrs.Perm) != len(perm) {
		return false
	}
	for i, p := range perm {
		if n.Attrs.Perm[i] != p {
			return false
		}
	}
	return true
}
