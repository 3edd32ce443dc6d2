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

// MaxDim bounds the dimensions and window sizes shape inference accepts,
// and MaxElements a node output's element count: a plan's tensors are far
// smaller (the memory budget refuses them first, with sizes), but a
// hostile model's shapes must not overflow int on the way there (a Pad of
// MaxInt64 made an 8-pixel axis 6, a Concat doubling 64 times made 0).
const (
	MaxDim      = 1 << 40
	MaxElements = 1 << 52
)

// checkWindow checks a convolution's or pool's kernel, strides, dilations
// and pads: positive (pads non-negative) and small enough that the window
// arithmetic of ConvOutSize cannot overflow.
func checkWindow(n *Node, kernel, strides, dil [2]int, pads [4]int) error {
	for k := 0; k < 2; k++ {
		if kernel[k] <= 0 || kernel[k] > MaxDim {
			_, err := fail(n, "kernel %v must be positive and at most %d", kernel, MaxDim)
			return err
		}
		if strides[k] <= 0 || dil[k] <= 0 || strides[k] > MaxDim || dil[k] > MaxDim {
			_, err := fail(n, "strides %v and dilations %v must be positive and at most %d", strides, dil, MaxDim)
			return err
		}
		if kernel[k]-1 > MaxDim/dil[k] {
			_, err := fail(n, "kernel %v dilated by %v spans more than %d", kernel, dil, MaxDim)
			return err
		}
	}
	for _, p := range pads {
		if p < 0 || p > MaxDim {
			_, err := fail(n, "pads %v must be non-negative and at most %d", pads, MaxDim)
			return err
		}
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

// InferNode computes n's output shape from its inputs' shapes, with the
// operator's table entry (OpInfo.Infer) after checking the node has one
// output and the inputs the operator needs.
func InferNode(n *Node) (Shape, error) {
	if len(n.Outputs) != 1 {
		return fail(n, "has %d outputs, want 1", len(n.Outputs))
	}
	info := n.Op.Info()
	if info == nil {
		return fail(n, "unknown operator")
	}
	for i := 0; i < info.MinInputs; i++ {
		if n.Input(i) == nil {
			return fail(n, "input %d is missing", i)
		}
	}
	out, err := info.Infer(n)
	if err == nil {
		err = checkOutput(n, out)
	}
	if err == nil {
		err = checkDecisions(n)
	}
	if a := n.Attrs.Fused.Act; err == nil && (a == ActPRelu || a == ActRequant) {
		// A fused PRelu or Requantize needs one slope (multiplier) per output channel.
		if s := n.Attrs.Fused.Slope; len(out) < 2 || s == nil || len(s.Data) != out[1] {
			return fail(n, "fused %s has %d per-channel parameters for output %v", a, tensorLen(s), out)
		}
	}
	return out, err
}

// checkOutput refuses an output with a dimension beyond MaxDim or more than
// MaxElements elements. Unknown (negative) dimensions and empty outputs
// pass (ONNX has empty tensors; the reference executor computes them, and
// passes.Compile refuses them).
func checkOutput(n *Node, out Shape) error {
	elems := 1
	for _, d := range out {
		switch {
		case d > MaxDim || d > 0 && elems > MaxElements/d:
			_, err := fail(n, "output shape %v is too large (a dimension above 2^40 or more than 2^52 elements)", out)
			return err
		case d > 0:
			elems *= d
		}
	}
	return nil
}

// checkDecisions checks what the fusion passes recorded on n against its
// op and inputs: an Add's epilogue is an activation alone (the kernels'
// Add has no residual and no channels), and SE marks a Mul of a 4-D
// tensor by a computed [N,C,1,1] scale.
func checkDecisions(n *Node) error {
	if err := checkLowering(n); err != nil {
		return err
	}
	if n.Op == OpAdd && (n.Attrs.Fused.Residual || n.Attrs.Fused.Slope != nil) {
		_, err := fail(n, "an Add's fused epilogue may hold an activation without per-channel parameters only")
		return err
	}
	if !n.Attrs.SE {
		return nil
	}
	if n.Op == OpMul {
		for k := 0; k < 2; k++ {
			x, s := n.Input(k), n.Input(1-k)
			if len(x.Shape) == 4 && !x.IsConst() && !s.IsConst() && s.Shape.Equal(Shape{x.Shape[0], x.Shape[1], 1, 1}) {
				return nil
			}
		}
	}
	_, err := fail(n, "marked as an SE channel scale, but it is not a Mul of a 4-D tensor by a computed [N,C,1,1] scale")
	return err
}

// checkLowering checks lower-conv's and choose-layout's decisions on n:
// an Algo is one of its op's Algos and fits the node (a "gemm" Conv is 1×1
// stride 1 unpadded group 1, a "dwconv" is depthwise without a residual,
// a "conv" has one group), and only 4-D values are stored NHWC.
func checkLowering(n *Node) error {
	for _, o := range n.Outputs {
		if o != nil && o.NHWC && len(o.Shape) != 4 {
			_, err := fail(n, "output %s is marked NHWC but has shape %v", o.Name, o.Shape)
			return err
		}
	}
	a := n.Attrs
	if a.Algo == "" {
		return nil
	}
	ok := false
	for _, v := range Algos[n.Op] {
		ok = ok || v == a.Algo
	}
	if !ok {
		_, err := fail(n, "algorithm %q (want one of %v)", a.Algo, Algos[n.Op])
		return err
	}
	if n.Op != OpConv || a.Algo == "generic" {
		return nil
	}
	w, x := n.Input(1), n.Input(0)
	fits := len(w.Shape) == 4 && len(x.Shape) == 4
	switch a.Algo {
	case "gemm":
		fits = fits && a.Group == 1 && w.Shape[2] == 1 && w.Shape[3] == 1 && a.Strides == [2]int{1, 1} && a.Pads == [4]int{}
	case "dwconv":
		fits = fits && a.Group == x.Shape[1] && a.Group == w.Shape[0] && a.Dilations == [2]int{1, 1} && !a.Fused.Residual
	case "conv":
		fits = fits && a.Group == 1
	}
	if !fits {
		_, err := fail(n, "algorithm %q does not fit this conv (%s)", a.Algo, n.AttrString())
		return err
	}
	return nil
}

func tensorLen(t *Tensor) int {
	if t == nil {
		return 0
	}
	return len(t.Data)
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
	fail := func(format string, args ...any) (Shape, error) { return fail(n, format, args...) }
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
