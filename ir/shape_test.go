package ir

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestConvOutSize(t *testing.T) {
	for _, c := range []struct {
		in, k, s, pb, pe, d int
		ceil                bool
		want                int
	}{
		{224, 3, 2, 1, 1, 1, false, 112},
		{112, 3, 1, 1, 1, 1, false, 112},
		{7, 7, 1, 0, 0, 1, false, 1},
		{8, 3, 1, 0, 0, 2, false, 4}, // dilated: effective kernel 5
		{5, 2, 2, 0, 0, 1, false, 2},
		{5, 2, 2, 0, 0, 1, true, 3},
		{6, 3, 2, 1, 0, 1, true, 3},  // last window would start in the end padding
		{2, 5, 1, 0, 0, 1, false, 0}, // does not fit
	} {
		if got := ConvOutSize(c.in, c.k, c.s, c.pb, c.pe, c.d, c.ceil); got != c.want {
			t.Errorf("ConvOutSize(%+v) = %d, want %d", c, got, c.want)
		}
	}
}

func TestBroadcastShapes(t *testing.T) {
	for _, c := range []struct {
		a, b, want Shape
		ok         bool
	}{
		{Shape{1, 16, 8, 8}, Shape{1, 16, 1, 1}, Shape{1, 16, 8, 8}, true},
		{Shape{16, 1, 1}, Shape{2, 16, 4, 4}, Shape{2, 16, 4, 4}, true},
		{Shape{3}, Shape{}, Shape{3}, true},
		{Shape{-1, 4}, Shape{1, 4}, Shape{-1, 4}, true},
		{Shape{2, 3}, Shape{3, 2}, nil, false},
	} {
		got, ok := BroadcastShapes(c.a, c.b)
		if ok != c.ok || (ok && !got.Equal(c.want)) {
			t.Errorf("BroadcastShapes(%v, %v) = %v, %v; want %v, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}

// infer builds one node over inputs of the given shapes (constants when
// named with a leading '$') and returns its inferred shape.
func infer(op Op, a Attrs, shapes ...Shape) (Shape, error) {
	g := New("g")
	var ins []*Value
	for i, s := range shapes {
		if s == nil {
			ins = append(ins, nil)
			continue
		}
		ins = append(ins, g.AddInput(string(rune('a'+i)), s...))
	}
	v := g.AddNode(op, "n", a, ins...)
	return InferNode(v.Producer)
}

func TestInferShapes(t *testing.T) {
	for _, c := range []struct {
		name   string
		op     Op
		a      Attrs
		shapes []Shape
		want   Shape
	}{
		{"stem conv", OpConv, ConvAttrs(2, 1, 1), []Shape{{1, 3, 224, 224}, {32, 3, 3, 3}}, Shape{1, 32, 112, 112}},
		{"depthwise 5x5", OpConv, ConvAttrs(2, 2, 72), []Shape{{1, 72, 56, 56}, {72, 1, 5, 5}}, Shape{1, 72, 28, 28}},
		{"conv with bias", OpConv, ConvAttrs(1, 0, 1), []Shape{{2, 8, 1, 1}, {4, 8, 1, 1}, {4}}, Shape{2, 4, 1, 1}},
		{"asymmetric pad", OpConv, Attrs{Strides: [2]int{2, 2}, Pads: [4]int{0, 0, 1, 1}, Dilations: [2]int{1, 1}, Group: 1}, []Shape{{1, 3, 224, 224}, {8, 3, 3, 3}}, Shape{1, 8, 112, 112}},
		{"batch norm", OpBatchNorm, Attrs{Epsilon: 1e-5}, []Shape{{1, 4, 2, 2}, {4}, {4}, {4}, {4}}, Shape{1, 4, 2, 2}},
		{"clip", OpClip, Relu6Attrs(), []Shape{{1, 4}}, Shape{1, 4}},
		{"se mul", OpMul, Attrs{}, []Shape{{1, 16, 7, 7}, {1, 16, 1, 1}}, Shape{1, 16, 7, 7}},
		{"gap", OpGlobalAveragePool, Attrs{}, []Shape{{1, 16, 7, 7}}, Shape{1, 16, 1, 1}},
		{"avgpool", OpAveragePool, Attrs{Kernel: [2]int{7, 7}, Strides: [2]int{1, 1}}, []Shape{{1, 16, 7, 7}}, Shape{1, 16, 1, 1}},
		{"maxpool ceil", OpMaxPool, Attrs{Kernel: [2]int{2, 2}, Strides: [2]int{2, 2}, CeilMode: true}, []Shape{{1, 1, 5, 5}}, Shape{1, 1, 3, 3}},
		{"gemm transB", OpGemm, GemmAttrs(), []Shape{{1, 1024}, {1000, 1024}, {1000}}, Shape{1, 1000}},
		{"gemm transA", OpGemm, Attrs{Alpha: 1, Beta: 1, TransA: true}, []Shape{{5, 3}, {5, 2}}, Shape{3, 2}},
		{"matmul batch", OpMatMul, Attrs{}, []Shape{{2, 1, 3, 4}, {5, 4, 6}}, Shape{2, 5, 3, 6}},
		{"matmul vector", OpMatMul, Attrs{}, []Shape{{4}, {4, 6}}, Shape{6}},
		{"matmul vector right", OpMatMul, Attrs{}, []Shape{{3, 4}, {4}}, Shape{3}},
		{"flatten", OpFlatten, Attrs{Axis: 1}, []Shape{{2, 16, 1, 1}}, Shape{2, 16}},
		{"flatten symbolic", OpFlatten, Attrs{Axis: 1}, []Shape{{-1, 16, 1, 1}}, Shape{-1, 16}},
		{"reshape", OpReshape, Attrs{Shape: []int{0, -1}}, []Shape{{2, 3, 4}}, Shape{2, 12}},
		{"transpose", OpTranspose, Attrs{Perm: []int{0, 2, 3, 1}}, []Shape{{1, 3, 5, 7}}, Shape{1, 5, 7, 3}},
		{"concat", OpConcat, Attrs{Axis: 1}, []Shape{{1, 3, 4, 4}, {1, 5, 4, 4}}, Shape{1, 8, 4, 4}},
		{"pad", OpPad, Attrs{PadAmounts: []int{0, 0, 1, 2, 0, 0, 3, 4}}, []Shape{{1, 3, 4, 4}}, Shape{1, 3, 8, 10}},
		{"reduce mean", OpReduceMean, Attrs{Axes: []int{2, -1}, KeepDims: true}, []Shape{{1, 3, 4, 4}}, Shape{1, 3, 1, 1}},
		{"reduce mean drop", OpReduceMean, Attrs{Axes: []int{2, 3}}, []Shape{{1, 3, 4, 4}}, Shape{1, 3}},
		{"softmax", OpSoftmax, Attrs{Axis: -1}, []Shape{{1, 10}}, Shape{1, 10}},
	} {
		got, err := infer(c.op, c.a, c.shapes...)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// Shape errors are ShapeErrors naming the node, its op and the mismatch.
func TestInferErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		op     Op
		a      Attrs
		shapes []Shape
		want   string
	}{
		{"conv channels", OpConv, ConvAttrs(1, 1, 1), []Shape{{1, 4, 8, 8}, {8, 3, 3, 3}}, `input has 4 channels but weight "b" expects 3`},
		{"conv rank", OpConv, ConvAttrs(1, 1, 1), []Shape{{4, 8, 8}, {8, 4, 3, 3}}, `input "a" must be 4-D NCHW`},
		{"conv group", OpConv, ConvAttrs(1, 1, 0), []Shape{{1, 4, 8, 8}, {8, 4, 3, 3}}, "group 0 must be positive"},
		{"conv groups out", OpConv, ConvAttrs(1, 1, 2), []Shape{{1, 4, 8, 8}, {5, 2, 3, 3}}, "5 output channels not divisible by group 2"},
		{"conv bias", OpConv, ConvAttrs(1, 1, 1), []Shape{{1, 3, 8, 8}, {8, 3, 3, 3}, {4}}, `bias "c" has shape [4], want [8]`},
		{"conv stride", OpConv, ConvAttrs(0, 1, 1), []Shape{{1, 3, 8, 8}, {8, 3, 3, 3}}, "must be positive"},
		{"conv too small", OpConv, ConvAttrs(1, 0, 1), []Shape{{1, 3, 2, 2}, {8, 3, 3, 3}}, "does not fit"},
		{"conv missing weight", OpConv, ConvAttrs(1, 0, 1), []Shape{{1, 3, 2, 2}}, "input 1 is missing"},
		{"bn param", OpBatchNorm, Attrs{}, []Shape{{1, 4, 2, 2}, {4}, {3}, {4}, {4}}, `parameter "c" has shape [3], want [4]`},
		{"clip bounds", OpClip, ClipAttrs(6, 0), []Shape{{1, 4}}, "min 6 > max 0"},
		{"add broadcast", OpAdd, Attrs{}, []Shape{{1, 4, 2, 2}, {1, 3, 2, 2}}, "cannot broadcast"},
		{"gemm inner", OpGemm, GemmAttrs(), []Shape{{1, 1024}, {1000, 512}}, "inner dimensions differ"},
		{"gemm C", OpGemm, GemmAttrs(), []Shape{{1, 8}, {4, 8}, {5}}, "does not broadcast"},
		{"reshape", OpReshape, Attrs{Shape: []int{5, -1}}, []Shape{{2, 3}}, "cannot reshape"},
		{"reshape two -1", OpReshape, Attrs{Shape: []int{-1, -1}}, []Shape{{2, 3}}, "two -1"},
		{"transpose", OpTranspose, Attrs{Perm: []int{0, 0}}, []Shape{{2, 3}}, "not a permutation"},
		{"concat", OpConcat, Attrs{Axis: 1}, []Shape{{1, 3, 4, 4}, {1, 5, 4, 5}}, "differs from"},
		{"pad count", OpPad, Attrs{PadAmounts: []int{1, 1}}, []Shape{{1, 3, 4, 4}}, "need 8 entries"},
		{"pad mode", OpPad, Attrs{PadAmounts: make([]int, 4), PadMode: "wrap"}, []Shape{{4, 4}}, `unsupported pad mode "wrap"`},
		{"softmax axis", OpSoftmax, Attrs{Axis: 3}, []Shape{{1, 10}}, "axis 3 out of range"},
		{"pool window", OpMaxPool, Attrs{Kernel: [2]int{0, 2}, Strides: [2]int{1, 1}}, []Shape{{1, 1, 4, 4}}, "must be positive"},
		// Hostile shapes: each passed inference and broke later (a kernel
		// panicked on the 0×0 weight, the Pads wrapped around int).
		{"conv 0×0 kernel", OpConv, ConvAttrs(1, 0, 1), []Shape{{1, 3, 8, 8}, {4, 3, 0, 0}}, `weight "b" has shape [4×3×0×0]: every dimension must be between 1`},
		{"conv 0 outputs", OpConv, ConvAttrs(1, 0, 1), []Shape{{1, 3, 8, 8}, {0, 3, 3, 3}}, "every dimension must be between 1"},
		{"conv group beyond channels", OpConv, ConvAttrs(1, 0, 1<<62), []Shape{{1, 3, 8, 8}, {4, 5, 3, 3}}, "group 4611686018427387904 is more than the input's 3 channels"},
		{"conv dilation overflow", OpConv, Attrs{Strides: [2]int{1, 1}, Dilations: [2]int{1 << 40, 1 << 40}, Group: 1}, []Shape{{1, 3, 8, 8}, {4, 3, 3, 3}}, "spans more than"},
		{"conv huge stride", OpConv, Attrs{Strides: [2]int{math.MaxInt, 1}, Dilations: [2]int{1, 1}, Group: 1}, []Shape{{1, 3, 8, 8}, {4, 3, 3, 3}}, "must be positive and at most"},
		{"pool huge pads", OpMaxPool, Attrs{Kernel: [2]int{2, 2}, Strides: [2]int{1, 1}, Pads: [4]int{math.MaxInt, 0, 0, 0}}, []Shape{{1, 1, 4, 4}}, "pads [9223372036854775807 0 0 0] must be non-negative and at most"},
		{"pad MaxInt", OpPad, Attrs{PadAmounts: []int{0, 0, math.MaxInt, math.MaxInt}}, []Shape{{1, 8}}, "pads [0 0 9223372036854775807 9223372036854775807] must be between"},
		{"pad MinInt", OpPad, Attrs{PadAmounts: []int{0, math.MinInt, 0, 0}}, []Shape{{1, 8}}, "must be between"},
		{"concat too large", OpConcat, Attrs{Axis: 1}, []Shape{{1, 1 << 40, 2, 2}, {1, 1 << 40, 2, 2}}, "output shape [1×2199023255552×2×2] is too large"},
		{"matmul too many elements", OpMatMul, Attrs{}, []Shape{{1 << 30, 4}, {4, 1 << 30}}, "is too large"},
		{"fused residual", OpConv, Attrs{Strides: [2]int{1, 1}, Dilations: [2]int{1, 1}, Group: 1, Fused: Epilogue{Residual: true}}, []Shape{{1, 2, 4, 4}, {2, 2, 1, 1}, nil, {1, 2, 4, 3}}, "residual"},
	} {
		_, err := infer(c.op, c.a, c.shapes...)
		var se *ShapeError
		if !errors.As(err, &se) {
			t.Errorf("%s: error %v is not a *ShapeError", c.name, err)
			continue
		}
		if se.Node != "n" || se.Op != c.op || !strings.HasPrefix(err.Error(), `node "n" (`+c.op.String()+`): `) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q, want node \"n\" (%s) and %q", c.name, err, c.op, c.want)
		}
	}
}

func TestSetBatch(t *testing.T) {
	g := tiny(t)
	if err := g.SetBatch(4); err != nil {
		t.Fatal(err)
	}
	if s := g.Outputs[0].Shape; !s.Equal(Shape{4, 2}) {
		t.Errorf("output after SetBatch(4): %v", s)
	}
	if s := nodeNamed(g, "conv").Output().Shape; !s.Equal(Shape{4, 4, 8, 8}) {
		t.Errorf("conv after SetBatch(4): %v", s)
	}
}
