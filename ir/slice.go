package ir

import (
	"fmt"
	"slices"
)

// Slice (ONNX Slice, and each output of ONNX Split) takes along axis
// Axes[i] the elements Starts[i], Starts[i]+Steps[i], … up to (not
// including) Ends[i], the bounds clamped to the axis as ONNX clamps them
// (SliceBounds); other axes whole.
//
// A Slice taking a contiguous range of the channels of an NHWC tensor
// (step 1, every other axis whole) costs no step when its readers address
// strided operands (pass slice-in-place): they read the channel slice of
// the input's storage (plan.Operand.Pitch).
func init() {
	RegisterOp(OpSlice, OpInfo{Name: "Slice", Attrs: "Axes, Starts, Ends, Steps (ONNX bounds, clamped at use)", Infer: inferSlice, Eval: "reference/slice.go slice"})
}

// SliceAttrs checks ONNX Slice's starts, ends, axes (nil: 0, 1, …) and
// steps (nil: all 1) for an input of rank r and returns the attributes
// (axes made non-negative). The bounds stay as given (ONNX clamps them to
// the axis at each use: SliceBounds), so a batch change keeps the meaning.
func SliceAttrs(r int, starts, ends, axes, steps []int) (Attrs, error) {
	if axes == nil {
		for k := range starts {
			axes = append(axes, k)
		}
	}
	if steps == nil {
		for range starts {
			steps = append(steps, 1)
		}
	}
	if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return Attrs{}, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	// Bounds beyond ±2^31 (INT64_MAX: "to the end") clamp like ±2^31 on
	// any axis a plan holds; the plan file stores them smaller.
	clamp := func(v []int) []int {
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = min(max(x, -sliceBound), sliceBound)
		}
		return out
	}
	a := Attrs{Axes: make([]int, len(axes)), Starts: clamp(starts), Ends: clamp(ends), Steps: clamp(steps)}
	seen := make([]bool, r)
	for i, ax := range axes {
		k := normAxis(ax, r)
		if k < 0 || k >= r || seen[k] {
			return Attrs{}, fmt.Errorf("axis %d out of range for rank %d or repeated", ax, r)
		}
		if steps[i] == 0 {
			return Attrs{}, fmt.Errorf("step 0 on axis %d", ax)
		}
		seen[k] = true
		a.Axes[i] = k
	}
	return a, nil
}

// sliceBound is the largest bound SliceAttrs keeps.
const sliceBound = 1 << 31

// SliceBounds returns, for every axis of x, the first index, the bound and
// the step Slice attributes a take, clamped as ONNX does: a positive step
// has 0 ≤ start ≤ end ≤ d, a negative one −1 ≤ end ≤ start ≤ d−1.
func SliceBounds(a *Attrs, x Shape) (starts, ends, steps []int, err error) {
	r := len(x)
	if len(a.Ends) != len(a.Starts) || len(a.Axes) != len(a.Starts) || len(a.Steps) != len(a.Starts) {
		return nil, nil, nil, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", a.Starts, a.Ends, a.Axes, a.Steps)
	}
	starts, ends, steps = make([]int, r), slices.Clone([]int(x)), make([]int, r)
	for k := range steps {
		steps[k] = 1
	}
	seen := make([]bool, r)
	for i, k := range a.Axes {
		if k < 0 || k >= r || seen[k] {
			return nil, nil, nil, fmt.Errorf("axis %d out of range for rank %d or repeated", k, r)
		}
		seen[k] = true
		d, s, e, st := x[k], a.Starts[i], a.Ends[i], a.Steps[i]
		if s < 0 {
			s += d
		}
		if e < 0 {
			e += d
		}
		switch {
		case st > 0:
			s, e = min(max(s, 0), d), min(max(e, 0), d)
			e = max(e, s)
		case st < 0:
			s, e = min(max(s, 0), d-1), min(max(e, -1), d-1)
			e = min(e, s)
		default:
			return nil, nil, nil, fmt.Errorf("step 0 on axis %d", k)
		}
		starts[k], ends[k], steps[k] = s, e, st
	}
	return starts, ends, steps, nil
}

// SliceCount is the number of elements a normalised (start, end, step)
// takes.
func SliceCount(s, e, st int) int {
	if st > 0 {
		return max(0, (e-s+st-1)/st)
	}
	return max(0, (s-e-st-1)/(-st))
}

func inferSlice(n *Node) (Shape, error) {
	x := n.Input(0).Shape
	starts, ends, steps, err := SliceBounds(&n.Attrs, x)
	if err != nil {
		return fail(n, "%v", err)
	}
	out := make(Shape, len(x))
	for k := range x {
		out[k] = SliceCount(starts[k], ends[k], steps[k])
	}
	return out, nil
}

// ChannelSlice reports whether Slice attributes a take the contiguous
// channel range c0… (at least one channel) of a 4-D input of shape x and
// every other axis whole.
func ChannelSlice(a *Attrs, x Shape) (c0 int, ok bool) {
	if len(x) != 4 {
		return 0, false
	}
	starts, ends, steps, err := SliceBounds(a, x)
	if err != nil {
		return 0, false
	}
	for k := range 4 {
		if steps[k] != 1 || k != 1 && (starts[k] != 0 || ends[k] != x[k]) {
			return 0, false
		}
	}
	return starts[1], ends[1] > starts[1]
}
