package ir

// The core float operators' table entries (0–39). An operator added by
// another file registers itself the same way, in its own init function.
func init() {
	const ref = "reference/eval.go compute"
	for _, e := range []struct {
		op   Op
		info OpInfo
	}{
		{OpConv, OpInfo{Name: "Conv", MinInputs: 2, Attrs: "Strides, Pads, Dilations, Group, Fused", Infer: inferConv, Eval: "reference/conv.go conv"}},
		{OpBatchNorm, OpInfo{Name: "BatchNormalization", MinInputs: 5, Attrs: "Epsilon", Infer: inferBatchNorm, Eval: ref}},
		{OpRelu, OpInfo{Name: "Relu", Infer: inferUnary, Act: ActRelu, Eval: "ir.ApplyAct"}},
		{OpClip, OpInfo{Name: "Clip", Attrs: "Min, Max", Infer: inferUnary, Act: ActClip, Eval: "ir.ApplyAct"}},
		{OpHardSwish, OpInfo{Name: "HardSwish", Infer: inferUnary, Act: ActHardSwish, Eval: "ir.ApplyAct"}},
		{OpHardSigmoid, OpInfo{Name: "HardSigmoid", Attrs: "Alpha, Beta", Infer: inferUnary, Act: ActHardSigmoid, Eval: "ir.ApplyAct"}},
		{OpSigmoid, OpInfo{Name: "Sigmoid", Infer: inferUnary, Act: ActSigmoid, Eval: "ir.ApplyAct"}},
		{OpSwish, OpInfo{Name: "Swish", Infer: inferUnary, Act: ActSwish, Eval: "ir.ApplyAct"}},
		{OpAdd, OpInfo{Name: "Add", MinInputs: 2, Infer: inferBroadcast, Eval: ref}},
		{OpSub, OpInfo{Name: "Sub", MinInputs: 2, Infer: inferBroadcast, Eval: ref}},
		{OpMul, OpInfo{Name: "Mul", MinInputs: 2, Infer: inferBroadcast, Eval: ref}},
		{OpDiv, OpInfo{Name: "Div", MinInputs: 2, Infer: inferBroadcast, Eval: ref}},
		{OpGlobalAveragePool, OpInfo{Name: "GlobalAveragePool", Infer: inferGlobalPool, Eval: "reference/pool.go"}},
		{OpAveragePool, OpInfo{Name: "AveragePool", Attrs: "Kernel, Strides, Pads, CeilMode, CountIncludePad", Infer: inferPool, Eval: "reference/pool.go"}},
		{OpMaxPool, OpInfo{Name: "MaxPool", Attrs: "Kernel, Strides, Pads, Dilations, CeilMode", Infer: inferPool, Eval: "reference/pool.go"}},
		{OpGemm, OpInfo{Name: "Gemm", MinInputs: 2, Attrs: "Alpha, Beta, TransA, TransB, Fused", Infer: inferGemm, Eval: ref}},
		{OpMatMul, OpInfo{Name: "MatMul", MinInputs: 2, Infer: inferMatMul, Eval: ref}},
		{OpFlatten, OpInfo{Name: "Flatten", Attrs: "Axis", Infer: inferFlatten, Eval: ref}},
		{OpReshape, OpInfo{Name: "Reshape", Attrs: "Shape", Infer: func(n *Node) (Shape, error) { return reshapeShape(n, n.Input(0).Shape, n.Attrs.Shape) }, Eval: ref}},
		{OpTranspose, OpInfo{Name: "Transpose", Attrs: "Perm", Infer: inferTranspose, Eval: ref}},
		{OpSoftmax, OpInfo{Name: "Softmax", Attrs: "Axis", Infer: inferSoftmax, Eval: ref}},
		{OpConcat, OpInfo{Name: "Concat", Attrs: "Axis", Infer: inferConcat, Eval: ref}},
		{OpPad, OpInfo{Name: "Pad", Attrs: "PadAmounts, PadValue, PadMode", Infer: inferPad, Eval: ref}},
		{OpReduceMean, OpInfo{Name: "ReduceMean", Attrs: "Axes, KeepDims", Infer: inferReduceMean, Eval: ref}},
		{OpIdentity, OpInfo{Name: "Identity", Infer: inferUnary, Eval: ref}},
		{OpDropout, OpInfo{Name: "Dropout", Infer: inferUnary, Eval: ref}},
	} {
		RegisterOp(e.op, e.info)
	}
}

func inferConv(n *Node) (Shape, error) {
	a, x, w := &n.Attrs, n.Input(0).Shape, n.Input(1).Shape
	if len(x) != 4 {
		return fail(n, "input %q must be 4-D NCHW, got %v", n.Input(0).Name, x)
	}
	if len(w) != 4 {
		return fail(n, "weight %q must be 4-D [out, in/group, kh, kw], got %v", n.Input(1).Name, w)
	}
	g := a.Group
	if g <= 0 {
		return fail(n, "group %d must be positive", g)
	}
	if x[1] >= 0 && g > x[1] {
		return fail(n, "group %d is more than the input's %d channels", g, x[1])
	}
	// A 0×0 kernel passed every check below and indexed an empty weight
	// row in the kernels.
	for _, d := range w {
		if d <= 0 || d > MaxDim {
			return fail(n, "weight %q has shape %v: every dimension must be between 1 and %d", n.Input(1).Name, w, MaxDim)
		}
	}
	if err := checkWindow(n, [2]int{w[2], w[3]}, a.Strides, a.Dilations, a.Pads); err != nil {
		return nil, err
	}
	if x[1] >= 0 && x[1] != w[1]*g {
		return fail(n, "input has %d channels but weight %q expects %d (in/group %d × group %d)", x[1], n.Input(1).Name, w[1]*g, w[1], g)
	}
	if w[0]%g != 0 {
		return fail(n, "%d output channels not divisible by group %d", w[0], g)
	}
	if b := n.Input(2); b != nil && !(len(b.Shape) == 1 && b.Shape[0] == w[0]) {
		return fail(n, "bias %q has shape %v, want [%d]", b.Name, b.Shape, w[0])
	}
	oh := ConvOutSize(x[2], w[2], a.Strides[0], a.Pads[0], a.Pads[2], a.Dilations[0], false)
	ow := ConvOutSize(x[3], w[3], a.Strides[1], a.Pads[1], a.Pads[3], a.Dilations[1], false)
	if oh <= 0 || ow <= 0 {
		return fail(n, "kernel %dx%d does not fit input %v with pads %v", w[2], w[3], x, a.Pads)
	}
	out := Shape{x[0], w[0], oh, ow}
	if err := checkResidual(n, 3, out); err != nil {
		return nil, err
	}
	return out, nil
}

func inferBatchNorm(n *Node) (Shape, error) {
	x := n.Input(0).Shape
	if len(x) < 2 {
		return fail(n, "input must have a channel axis, got %v", x)
	}
	for i := 1; i < 5; i++ {
		p := n.Input(i).Shape
		if !(len(p) == 1 && p[0] == x[1]) {
			return fail(n, "parameter %q has shape %v, want [%d]", n.Input(i).Name, p, x[1])
		}
	}
	return x.Clone(), nil
}

// inferUnary is the shape of an elementwise operator of one input.
func inferUnary(n *Node) (Shape, error) {
	if n.Op == OpClip && n.Attrs.Min > n.Attrs.Max {
		return fail(n, "min %g > max %g", n.Attrs.Min, n.Attrs.Max)
	}
	return n.Input(0).Shape.Clone(), nil
}

func inferSoftmax(n *Node) (Shape, error) {
	x := n.Input(0).Shape
	if ax := normAxis(n.Attrs.Axis, len(x)); ax < 0 || ax >= len(x) {
		return fail(n, "axis %d out of range for rank %d", n.Attrs.Axis, len(x))
	}
	return x.Clone(), nil
}

// inferBroadcast is the shape of a binary elementwise operator.
func inferBroadcast(n *Node) (Shape, error) {
	x := n.Input(0).Shape
	s, ok := BroadcastShapes(x, n.Input(1).Shape)
	if !ok {
		return fail(n, "cannot broadcast %q %v with %q %v", n.Input(0).Name, x, n.Input(1).Name, n.Input(1).Shape)
	}
	return s, nil
}

func inferGlobalPool(n *Node) (Shape, error) {
	x := n.Input(0).Shape
	if len(x) < 3 {
		return fail(n, "input must be at least 3-D, got %v", x)
	}
	out := x.Clone()
	for i := 2; i < len(out); i++ {
		out[i] = 1
	}
	return out, nil
}

func inferPool(n *Node) (Shape, error) {
	a, x := &n.Attrs, n.Input(0).Shape
	if len(x) != 4 {
		return fail(n, "input must be 4-D NCHW, got %v", x)
	}
	d := a.Dilations
	if d[0] == 0 {
		d = [2]int{1, 1}
	}
	if err := checkWindow(n, a.Kernel, a.Strides, d, a.Pads); err != nil {
		return nil, err
	}
	oh := ConvOutSize(x[2], a.Kernel[0], a.Strides[0], a.Pads[0], a.Pads[2], d[0], a.CeilMode)
	ow := ConvOutSize(x[3], a.Kernel[1], a.Strides[1], a.Pads[1], a.Pads[3], d[1], a.CeilMode)
	if oh <= 0 || ow <= 0 {
		return fail(n, "window %v does not fit input %v", a.Kernel, x)
	}
	return Shape{x[0], x[1], oh, ow}, nil
}

func inferGemm(n *Node) (Shape, error) {
	a, x, b := &n.Attrs, n.Input(0).Shape, n.Input(1).Shape
	if len(x) != 2 || len(b) != 2 {
		return fail(n, "A %v and B %v must be 2-D", x, b)
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
		return fail(n, "inner dimensions differ: A %v B %v (transA=%v transB=%v)", x, b, a.TransA, a.TransB)
	}
	out := Shape{m, nn}
	if c := n.Input(2); c != nil {
		if bs, ok := BroadcastShapes(out, c.Shape); !ok || !bs.Equal(out) {
			return fail(n, "C %q %v does not broadcast to %v", c.Name, c.Shape, out)
		}
	}
	if err := checkResidual(n, 3, out); err != nil {
		return nil, err
	}
	return out, nil
}

func inferMatMul(n *Node) (Shape, error) {
	x, b := n.Input(0).Shape, n.Input(1).Shape
	if len(x) < 1 || len(b) < 1 {
		return fail(n, "operands must have rank ≥ 1")
	}
	xa, ba := x, b
	if len(xa) == 1 {
		xa = Shape{1, xa[0]}
	}
	if len(ba) == 1 {
		ba = Shape{ba[0], 1}
	}
	if xa[len(xa)-1] != ba[len(ba)-2] && xa[len(xa)-1] >= 0 && ba[len(ba)-2] >= 0 {
		return fail(n, "inner dimensions differ: %v × %v", x, b)
	}
	batch, ok := BroadcastShapes(xa[:len(xa)-2], ba[:len(ba)-2])
	if !ok {
		return fail(n, "batch dimensions do not broadcast: %v × %v", x, b)
	}
	out := append(batch.Clone(), xa[len(xa)-2], ba[len(ba)-1])
	if len(x) == 1 {
		out = append(out[:len(out)-2], out[len(out)-1])
	}
	if len(b) == 1 {
		out = out[:len(out)-1]
	}
	return out, nil
}

func inferFlatten(n *Node) (Shape, error) {
	x := n.Input(0).Shape
	ax := normAxis(n.Attrs.Axis, len(x))
	if ax < 0 || ax > len(x) {
		return fail(n, "axis %d out of range for rank %d", n.Attrs.Axis, len(x))
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
}

func inferTranspose(n *Node) (Shape, error) {
	x, perm := n.Input(0).Shape, n.Attrs.Perm
	if len(perm) != len(x) {
		return fail(n, "perm %v has %d entries for rank %d", perm, len(perm), len(x))
	}
	out := make(Shape, len(x))
	seen := make([]bool, len(x))
	for i, p := range perm {
		if p < 0 || p >= len(x) || seen[p] {
			return fail(n, "perm %v is not a permutation", perm)
		}
		seen[p] = true
		out[i] = x[p]
	}
	return out, nil
}

func inferConcat(n *Node) (Shape, error) {
	x := n.Input(0).Shape
	ax := normAxis(n.Attrs.Axis, len(x))
	if ax < 0 || ax >= len(x) {
		return fail(n, "axis %d out of range for rank %d", n.Attrs.Axis, len(x))
	}
	out := x.Clone()
	for i := 1; i < len(n.Inputs); i++ {
		s := n.Inputs[i].Shape
		if len(s) != len(x) {
			return fail(n, "input %q has rank %d, want %d", n.Inputs[i].Name, len(s), len(x))
		}
		for d := range s {
			if d != ax && s[d] != x[d] {
				return fail(n, "input %q shape %v differs from %v outside axis %d", n.Inputs[i].Name, s, x, ax)
			}
		}
		if out[ax] < 0 || s[ax] < 0 {
			out[ax] = -1 // unknown stays unknown
		} else {
			out[ax] += s[ax]
		}
	}
	return out, nil
}

func inferPad(n *Node) (Shape, error) {
	a, x := &n.Attrs, n.Input(0).Shape
	if len(a.PadAmounts) != 2*len(x) {
		return fail(n, "pads %v need %d entries for rank %d", a.PadAmounts, 2*len(x), len(x))
	}
	switch a.PadMode {
	case "", "constant", "reflect", "edge":
	default:
		return fail(n, "unsupported pad mode %q", a.PadMode)
	}
	out := x.Clone()
	for _, p := range a.PadAmounts {
		if p < -MaxDim || p > MaxDim {
			return fail(n, "pads %v must be between %d and %d", a.PadAmounts, -MaxDim, MaxDim)
		}
	}
	for i := range out {
		if x[i] < 0 {
			continue // an unknown (batch) dimension stays unknown
		}
		out[i] += a.PadAmounts[i] + a.PadAmounts[i+len(x)]
		if out[i] < 0 {
			return fail(n, "pads %v make axis %d negative", a.PadAmounts, i)
		}
	}
	return out, nil
}

func inferReduceMean(n *Node) (Shape, error) {
	a, x := &n.Attrs, n.Input(0).Shape
	out := Shape{}
	red := map[int]bool{}
	for _, ax := range a.Axes {
		k := normAxis(ax, len(x))
		if k < 0 || k >= len(x) {
			return fail(n, "axis %d out of range for rank %d", ax, len(x))
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
