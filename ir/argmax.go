package ir

// ArgMax (ONNX ArgMax, opsets 1–13) returns, along Attrs.Axis, the index of
// the largest value, with the axis kept as size 1 (KeepDims) or removed.
// Ties go to the first index, or to the last with SelectLastIndex (opset
// 12). NaN is the largest value, as numpy's and ONNX Runtime's argmax take
// it: the first NaN wins (the last with SelectLastIndex).
//
// ONNX's output is int64. mnc keeps every IR tensor float32 (see
// ir/quant.go): the indices are float32 integers, exact because shape
// inference refuses an axis longer than 2^24. The ONNX frontend writes the
// output back as int64 and reads only Cast, Reshape-like ops or a graph
// output after it (frontend/onnx/ops_argmax.go).
//
// The pass fuse-resize-argmax folds a Resize read by ArgMax alone into it
// (a segmenter's full-resolution class scores are then never stored):
// the ArgMax's Resize attributes (ResizeMode, CoordMode, NearestMode,
// ResizeScales, ResizeSizes; see ResizeOf) are then set and it computes
// ArgMax(Resize(x)) over the channels of 4-D x.
func init() {
	RegisterOp(OpArgMax, OpInfo{Name: "ArgMax", Attrs: "Axis, KeepDims, SelectLastIndex; a fused Resize's ResizeMode, CoordMode, NearestMode, ResizeScales, ResizeSizes",
		Infer: inferArgMax, Eval: "reference/argmax.go argMax"})
}

// ResizeOf returns the attributes of the Resize fused into ArgMax
// attributes a (ResizeMode "" when none is).
func ResizeOf(a *Attrs) Attrs {
	return Attrs{ResizeMode: a.ResizeMode, CoordMode: a.CoordMode, NearestMode: a.NearestMode, ResizeScales: a.ResizeScales, ResizeSizes: a.ResizeSizes}
}

// ArgMaxInput is the shape ArgMax reduces: x's, resized when a Resize is
// fused into it (a.ResizeMode set).
func ArgMaxInput(a *Attrs, x Shape) Shape {
	if a.ResizeMode == "" || len(x) != 4 {
		return x
	}
	out := x.Clone()
	for k := 0; k < 2; k++ {
		out[k+2] = ResizeOutSize(x[k+2], a.ResizeScales[k], a.ResizeSizes[k])
	}
	return out
}

// MaxArgMaxAxis is the longest axis ArgMax takes: its indices must be exact
// float32 integers.
const MaxArgMaxAxis = 1 << 24

func inferArgMax(n *Node) (Shape, error) {
	x := n.Input(0).Shape
	if n.Attrs.ResizeMode != "" { // fuse-resize-argmax: ArgMax(Resize(x)) over the channels
		r := &Node{Name: n.Name, Op: OpResize, Inputs: n.Inputs[:1], Attrs: ResizeOf(&n.Attrs), Outputs: n.Outputs}
		s, err := inferResize(r)
		if err != nil {
			return nil, err
		}
		if normAxis(n.Attrs.Axis, 4) != 1 {
			return fail(n, "a fused Resize needs ArgMax over the channels (axis 1), not axis %d", n.Attrs.Axis)
		}
		x = s
	}
	if len(x) == 0 {
		return fail(n, "ArgMax of a scalar has no axis")
	}
	k := normAxis(n.Attrs.Axis, len(x))
	if k < 0 || k >= len(x) {
		return fail(n, "axis %d out of range for rank %d", n.Attrs.Axis, len(x))
	}
	if x[k] == 0 {
		return fail(n, "ArgMax over axis %d of length 0", k)
	}
	if x[k] > MaxArgMaxAxis {
		return fail(n, "ArgMax over axis %d of length %d: indices above 2^24 are not exact in mnc's float32 tensors", k, x[k])
	}
	out := Shape{}
	for i, d := range x {
		switch {
		case i != k:
			out = append(out, d)
		case n.Attrs.KeepDims:
			out = append(out, 1)
		}
	}
	return out, nil
}

// ArgMaxAxis returns ArgMax's axis of an input of the given rank, made
// non-negative.
func ArgMaxAxis(a *Attrs, rank int) int { return normAxis(a.Axis, rank) }

// ArgMaxBetter reports whether value v at a later index replaces the best
// value so far, b: the one comparison every ArgMax implementation uses.
// NaN beats everything; among equal values (and NaNs) the first index wins,
// or the last with last.
func ArgMaxBetter(v, b float32, last bool) bool {
	if b != b { // a NaN is already best
		return last && v != v
	}
	if v != v {
		return true
	}
	if last {
		return v >= b
	}
	return v > b
}
