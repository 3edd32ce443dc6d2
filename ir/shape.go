package ir

import "fmt"

// ShapeError is a shape mismatch found while inferring or verifying a node.
type ShapeError struct {
	Node string
	Op   Op
	Msg  string
}

func (e *ShapeError) Error() string { return fmt.Sprintf("node %q (%s): %s", e.Node, e.Op, e.Msg) }

// InferShapes computes every node output's shape from the graph inputs and
// constants, in node order. Errors name the node and the mismatch.
func (g *Graph) InferShapes() error {
	for _, n := range g.Nodes {
		s, err := InferNode(n)
		if err != nil {
			return err
		}
		n.Outputs[0].Shape = s
	}
	return nil
}

// ConvOutSize is the output length of a convolution or pool along one axis.
func ConvOutSize(in, k, stride, padBegin, padEnd, dilation int, ceil bool) int {
	ek := dilation*(k-1) + 1
	num := in + padBegin + padEnd - ek
	if num < 0 {
		return 0
	}
	if ceil {
		out := (num+stride-1)/stride + 1
		// The last window must start inside the input or the begin padding (ONNX, PyTorch).
		if (out-1)*stride >= in+padBegin {
			out--
		}
		return out
	}
	return num/stride + 1
}

// BroadcastShapes returns numpy's broadcast of a and b.
func BroadcastShapes(a, b Shape) (Shape, bool) {
	n := len(a)
	if len(b) > n {
		n = len(b)
	}
	out := make(Shape, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		case da < 0 && db < 0:
			out[i] = -1
		case da < 0:
			out[i] = db // an unknown dimension must broadcast to the known one
		case db < 0:
			out[i] = da
		default:
			return nil, false
		}
	}
	return out, true
}

// InferNode computes n's output shape from its inputs' shapes.
func InferNode(n *Node) (Shape, error) {
	fail := func(format string, args ...any) (Shape, error) {
		return nil, &ShapeError{Node: n.Name, Op: n.Op, Msg: fmt.Sprintf(format, args...)}
	}
	need := func(k int) error {
		for i := 0; i < k; i++ {
			if n.Input(i) == nil {
				_, err := fail("input %d is missing", i)
				return err
			}
		}
		return nil
	}
	if len(n.Outputs) != 1 {
		return fail("has %d outputs, want 1", len(n.Outputs))
	}
	minIn := map[Op]int{OpConv: 2, OpBatchNorm: 5, OpAdd: 2, OpSub: 2, OpMul: 2, OpDiv: 2, OpGemm: 2, OpMatMul: 2, OpConcat: 1}
	k := minIn[n.Op]
	if k == 0 && n.Op != OpInvalid {
		k = 1
	}
	if err := need(k); err != nil {
		return nil, err
	}
	a := n.Attrs
	x := n.Input(0).Shape
	switch n.Op {
	case OpConv:
		w := n.Input(1).Shape
		if len(x) != 4 {
			return fail("input %q must be 4-D NCHW, got %v", n.Input(0).Name, x)
		}
		if len(w) != 4 {
			return fail("weight %q must be 4-D [out, in/group, kh, kw], got %v", n.Input(1).Name, w)
		}
		g := a.Group
		if g <= 0 {
			return fail("group %d must be positive", g)
		}
		if a.Strides[0] <= 0 || a.Strides[1] <= 0 || a.Dilations[0] <= 0 || a.Dilations[1] <= 0 {
			return fail("strides %v and dilations %v must be positive", a.Strides, a.Dilations)
		}
		for _, p := range a.Pads {
			if p < 0 {
				return fail("negative pads %v", a.Pads)
			}
		}
		if x[1] >= 0 && x[1] != w[1]*g {
			return fail("input has %d channels but weight %q expects %d (in/group %d × group %d)", x[1], n.Input(1).Name, w[1]*g, w[1], g)
		}
		if w[0]%g != 0 {
			return fail("%d output channels not divisible by group %d", w[0], g)
		}
		if b := n.Input(2); b != nil && !(len(b.Shape) == 1 && b.Shape[0] == w[0]) {
			return fail("bias %q has shape %v, want [%d]", b.Name, b.Shape, w[0])
		}
		oh := ConvOutSize(x[2], w[2], a.Strides[0], a.Pads[0], a.Pads[2], a.Dilations[0], false)
		ow := ConvOutSize(x[3], w[3], a.Strides[1], a.Pads[1], a.Pads[3], a.Dilations[1], false)
		if oh <= 0 || ow <= 0 {
			return fail("kernel %dx%d does not fit input %v with pads %v", w[2], w[3], x, a.Pads)
		}
		out := Shape{x[0], w[0], oh, ow}
		if err := checkResidual(n, 3, out); err != nil {
			return nil, err
		}
		return out, nil
	case OpBatchNorm:
		if len(x) < 2 {
			return fail("input must have a channel axis, got %v", x)
		}
		for i := 1; i < 5; i++ {
			p := n.Input(i).Shape
			if !(len(p) == 1 && p[0] == x[1]) {
				return fail("parameter %q has shape %v, want [%d]", n.Input(i).Name, p, x[1])
			}
		}
		return x.Clone(), nil
	case OpRelu, OpClip, OpHardSwish, OpHardSigmoid, OpSigmoid, OpSwish, OpIdentity, OpDropout:
		if n.Op == OpClip && a.Min > a.Max {
			return fail("min %g > max %g", a.Min, a.Max)
		}
		return x.Clone(), nil
	case OpSoftmax:
		if ax := normAxis(a.Axis, len(x)); ax < 0 || ax >= len(x) {
			return fail("axis %d out of range for rank %d", a.Axis, len(x))
		}
		return x.Clone(), nil
	case OpAdd, OpSub, OpMul, OpDiv:
		s, ok := BroadcastShapes(x, n.Input(1).Shape)
		if !ok {
			return fail("cannot broadcast %q %v with %q %v", n.Input(0).Name, x, n.Input(1).Name, n.Input(1).Shape)
		}
		return s, nil
	case OpGlobalAveragePool:
		if len(x) < 3 {
			return fail("input must be at least 3-D, got %v", x)
		}
		out := x.Clone()
		for i := 2; i < len(out); i++ {
			out[i] = 1
		}
		return out, nil
	case OpAveragePool, OpMaxPool:
		if len(x) != 4 {
			return fail("input must be 4-D NCHW, got %v", x)
		}
		d := a.Dilations
		if d[0] == 0 {
			d = [2]int{1, 1}
		}
		if a.Kernel[0] <= 0 || a.Kernel[1] <= 0 || a.Strides[0] <= 0 || a.Strides[1] <= 0 {
			return fail("kernel %v and strides %v must be positive", a.Kernel, a.Strides)
		}
		oh := ConvOutSize(x[2], a.Kernel[0], a.Strides[0], a.Pads[0], a.Pads[2], d[0], a.CeilMode)
		ow := ConvOutSize(x[3], a.Kernel[1], a.Strides[1], a.Pads[1], a.Pads[3], d[1], a.CeilMode)
		if oh <= 0 || ow <= 0 {
			return fail("window %v does not fit input %v", a.Kernel, x)
		}
		return Shape{x[0], x[1], oh, ow}, nil
	case OpGemm:
		b := n.Input(1).Shape
		if len(x) != 2 || len(b) != 2 {
			return fail("A %v and B %v must be 2-D", x, b)
		}
		m, ka := x[0], x[1]
		if a.TransA {
			m, ka = x[1], x[0]
		}
		kb, nn := b[0], b[1]
		if a.TransB {
			kb, nn = b[1], b[0]
		}
		if ka >= 0 && kb >= 0 && ka != kb {
			return fail("inner dimensions differ: A %v B %v (transA=%v transB=%v)", x, b, a.TransA, a.TransB)
		}
		out := Shape{m, nn}
		if c := n.Input(2); c != nil {
			if bs, ok := BroadcastShapes(out, c.Shape); !ok || !bs.Equal(out) {
				return fail("C %q %v does not broadcast to %v", c.Name, c.Shape, out)
			}
		}
		if err := checkResidual(n, 3, out); err != nil {
			return nil, err
		}
		return out, nil
	case OpMatMul:
		b := n.Input(1).Shape
		if len(x) < 1 || len(b) < 1 {
			return fail("operands must have rank ≥ 1")
		}
		xa, ba := x, b
		if len(xa) == 1 {
			xa = Shape{1, xa[0]}
		}
		if len(ba) == 1 {
			ba = Shape{ba[0], 1}
		}
		if xa[len(xa)-1] != ba[len(ba)-2] && xa[len(xa)-1] >= 0 && ba[len(ba)-2] >= 0 {
			return fail("inner dimensions differ: %v × %v", x, b)
		}
		batch, ok := BroadcastShapes(xa[:len(xa)-2], ba[:len(ba)-2])
		if !ok {
			return fail("batch dimensions do not broadcast: %v × %v", x, b)
		}
		out := append(batch.Clone(), xa[len(xa)-2], ba[len(ba)-1])
		if len(x) == 1 {
			out = append(out[:len(out)-2], out[len(out)-1])
		}
		if len(b) == 1 {
			out = out[:len(out)-1]
		}
		return out, nil
	case OpFlatten:
		ax := normAxis(a.Axis, len(x))
		if ax < 0 || ax > len(x) {
			return fail("axis %d out of range for rank %d", a.Axis, len(x))
		}
		outer, inner := 1, 1
		for i, d := range x {
			if i < ax {
				outer *= d
			} else {
				inner *= d
			}
		}
		if x.Size() < 0 {
			outer = -1
		}
		return Shape{outer, inner}, nil
	case OpReshape:
		return reshapeShape(n, x, a.Shape)
	case OpTranspose:
		if len(a.Perm) != len(x) {
			return fail("perm %v has %d entries for rank %d", a.Perm, len(a.Perm), len(x))
		}
		out := make(Shape, len(x))
		seen := make([]bool, len(x))
		for i, p := range a.Perm {
			if p < 0 || p >= len(x) || seen[p] {
				return fail("perm %v is not a permutation", a.Perm)
			}
			seen[p] = true
			out[i] = x[p]
		}
		return out, nil
	case OpConcat:
		ax := normAxis(a.Axis, len(x))
		if ax < 0 || ax >= len(x) {
			return fail("axis %d out of range for rank %d", a.Axis, len(x))
		}
		out := x.Clone()
		for i := 1; i < len(n.Inputs); i++ {
			s := n.Inputs[i].Shape
			if len(s) != len(x) {
				return fail("input %q has rank %d, want %d", n.Inputs[i].Name, len(s), len(x))
			}
			for d := range s {
				if d != ax && s[d] != x[d] {
					return fail("input %q shape %v differs from %v outside axis %d", n.Inputs[i].Name, s, x, ax)
				}
			}
			if out[ax] < 0 || s[ax] < 0 {
				out[ax] = -1 // unknown stays unknown
			} else {
				out[ax] += s[ax]
			}
		}
		return out, nil
	case OpPad:
		if len(a.PadAmounts) != 2*len(x) {
			return fail("pads %v need %d entries for rank %d", a.PadAmounts, 2*len(x), len(x))
		}
		switch a.PadMode {
		case "", "constant", "reflect", "edge":
		default:
			return fail("unsupported pad mode %q", a.PadMode)
		}
		out := x.Clone()
		for i := range out {
			if x[i] < 0 {
				continue // an unknown (batch) dimension stays unknown
			}
			out[i] += a.PadAmounts[i] + a.PadAmounts[i+len(x)]
			if out[i] < 0 {
				return fail("pads %v make axis %d negative", a.PadAmounts, i)
			}
		}
		return out, nil
	case OpReduceMean:
		out := Shape{}
		red := map[int]bool{}
		for _, ax := range a.Axes {
			k := normAxis(ax, len(x))
			if k < 0 || k >= len(x) {
				return fail("axis %d out of range for rank %d", ax, len(x))
			}
			red[k] = true
		}
		if len(a.Axes) == 0 {
			for i := range x {
				red[i] = true
			}
		}
		for i, d := range x {
			if red[i] {
				if a.KeepDims {
					out = append(out, 1)
				}
			} else {
				out = append(out, d)
			}
		}
		return out, nil
	}
	return fail("unknown operator")
}

func checkResidual(n *Node, idx int, out Shape) error {
	if !n.Attrs.Fused.Residual {
		return nil
	}
	r := n.Input(idx)
	if r == nil {
		return &ShapeError{Node: n.Name, Op: n.Op, Msg: "fused residual input is missing"}
	}
	if !r.Shape.Equal(out) {
		return &ShapeError{Node: n.Name, Op: n.Op, Msg: fmt.Sprintf("residual %q has shape %v, want %v", r.Name, r.Shape, out)}
	}
	return nil
}

func normAxis(ax, rank int) int {
	if ax < 0 {
		return ax + rank
	}
	return ax
}

func reshapeShape(n *Node, x Shape, target []int) (Shape, error) {
	fail := func(format string, args ...any) (Shape, error) {
		return nil, &ShapeError{Node: n.Name, Op: n.Op, Msg: fmt.Sprintf(format, args...)}
	}
	out := make(Shape, len(target))
	infer := -1
	known := 1
	for i, d := range target {
		switch {
		case d == 0:
			if i >= len(x) {
				return fail("target %v copies axis %d of %v", target, i, x)
			}
			out[i] = x[i]
		case d == -1:
			if infer >= 0 {
				return fail("target %v has two -1 entries", target)
			}
			infer = i
			continue
		case d < -1:
			return fail("target %v has a negative dimension", target)
		default:
			out[i] = d
		}
		known *= out[i]
	}
	total := x.Size()
	if infer >= 0 {
		if total < 0 {
			out[infer] = -1
			return out, nil
		}
		if known == 0 || total%known != 0 {
			return fail("cannot reshape %v to %v", x, target)
		}
		out[infer] = total / known
		return out, nil
	}
	if total >= 0 && out.Size() != total {
		return fail("cannot reshape %v (%d elements) to %v", x, total, target)
	}
	return out, nil
}

// ReflectIndex maps p into [0, n) by mirroring about the first and last
// elements (Pad's "reflect" mode, as numpy), repeatedly if the padding exceeds n−1.
func ReflectIndex(p, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	p %= period
	if p < 0 {
		p += period
	}
	if p >= n {
		p = period - p
	}
	return p
}
