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
func init() {
	RegisterOp(OpArgMax, OpInfo{Name: "ArgMax", Attrs: "Axis, KeepDims, SelectLastIndex", Infer: inferArgMax, Eval: "reference/argmax.go argMax"})
}

// MaxArgMaxAxis is the longest axis ArgMax takes: its indices must be exact
// float32 integers.
const MaxArgMaxAxis = 1 << 24

func inferArgMax(n *Node) (Shape, error) {
	x := n.Input(0).Shape
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
