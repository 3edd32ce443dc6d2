package quant

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// smallNet is a little MobileNet-like graph: stem conv + BatchNorm + ReLU6,
// depthwise + ReLU, 1×1 project, residual Add, GlobalAveragePool, Flatten,
// Gemm — every pattern Quantize handles.
func smallNet(t testing.TB) *ir.Graph { return smallNetSized(t, 12, 12) }

func smallNetSized(t testing.TB, h, w int) *ir.Graph {
	r := rand.New(rand.NewPCG(7, 11))
	rnd := func(scale float64, shape ...int) *ir.Tensor {
		w := ir.NewTensor(shape...)
		for i := range w.Data {
			w.Data[i] = float32(r.NormFloat64() * scale)
		}
		return w
	}
	pos := func(shape ...int) *ir.Tensor {
		w := rnd(0.2, shape...)
		for i := range w.Data {
			w.Data[i] = 1 + float32(math.Abs(float64(w.Data[i])))
		}
		return w
	}
	g := ir.New("small")
	x := g.AddInput("x", 1, 3, h, w)
	c := g.AddNode(ir.OpConv, "stem", ir.ConvAttrs(1, 1, 1), x, g.AddConst("stem.w", rnd(0.3, 8, 3, 3, 3)))
	c = g.AddNode(ir.OpBatchNorm, "stem.bn", ir.Attrs{Epsilon: 1e-5}, c, g.AddConst("bn.s", pos(8)), g.AddConst("bn.b", rnd(0.5, 8)),
		g.AddConst("bn.m", rnd(0.1, 8)), g.AddConst("bn.v", pos(8)))
	c = g.AddNode(ir.OpClip, "stem.relu6", ir.Relu6Attrs(), c)
	d := g.AddNode(ir.OpConv, "dw", ir.ConvAttrs(1, 1, 8), c, g.AddConst("dw.w", rnd(0.4, 8, 1, 3, 3)), g.AddConst("dw.b", rnd(0.1, 8)))
	d = g.AddNode(ir.OpRelu, "dw.relu", ir.Attrs{}, d)
	p := g.AddNode(ir.OpConv, "project", ir.ConvAttrs(1, 0, 1), d, g.AddConst("pw.w", rnd(0.3, 8, 8, 1, 1)), g.AddConst("pw.b", rnd(0.1, 8)))
	a := g.AddNode(ir.OpAdd, "add", ir.Attrs{}, c, p)
	gp := g.AddNode(ir.OpGlobalAveragePool, "pool", ir.Attrs{}, a)
	f := g.AddNode(ir.OpFlatten, "flatten", ir.Attrs{Axis: 1}, gp)
	y := g.AddNode(ir.OpGemm, "fc", ir.GemmAttrs(), f, g.AddConst("fc.w", rnd(0.5, 10, 8)), g.AddConst("fc.b", rnd(0.1, 10)))
	g.SetOutputs(y)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	return g
}

// runPlan compiles g at level for isa and runs it on x.
func runPlan(t testing.TB, g *ir.Graph, isa kernels.ISA, level int, x *ir.Tensor) *ir.Tensor {
	t.Helper()
	set, err := kernels.ForISA(isa)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := passes.Compile(g, passes.Options{Level: level, Batch: x.Shape[0]}, set)
	if err != nil {
		t.Fatal(err)
	}
	if p.Outputs[0].Name != g.Outputs[0].Name {
		t.Errorf("plan output %q, graph output %q: outputs keep their names", p.Outputs[0].Name, g.Outputs[0].Name)
	}
	e, err := runtime.New(p, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	out := ir.NewTensor(p.Outputs[0].Buf.Shape...)
	if err := e.Run([]*ir.Tensor{x}, []*ir.Tensor{out}); err != nil {
		t.Fatal(err)
	}
	return out
}

// outputStep is the scale of the QuantizeLinear feeding q's first output.
func outputStep(t testing.TB, q *ir.Graph) float32 {
	d := q.Outputs[0].Producer
	if d == nil || d.Op != ir.OpDequantizeLinear {
		t.Fatalf("output %q is not a DequantizeLinear", q.Outputs[0].Name)
	}
	return d.Input(1).Const.Data[0]
}

// checkAgainstReference: the plan at -O2 (every ISA) equals the reference
// executor on the QOperator form within one output quantization step.
func checkAgainstReference(t *testing.T, q *ir.Graph, xs []*ir.Tensor, isas []kernels.ISA) {
	t.Helper()
	qo, err := ToQOperator(q)
	if err != nil {
		t.Fatal(err)
	}
	step := float64(outputStep(t, q))
	for i, x := range xs {
		want, err := reference.Run(qo, map[string]*ir.Tensor{qo.Inputs[0].Name: x}, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := want[qo.Outputs[0].Name]
		for _, isa := range isas {
			got := runPlan(t, q, isa, 2, x)
			d, _ := maxDiff(got.Data, w.Data)
			if d > step*1.0001 {
				t.Errorf("input %d, %v: max|plan − reference| %.4g > one output step %.4g", i, isa, d, step)
			}
		}
	}
}

func TestQuantizeSmallNet(t *testing.T) {
	g := smallNet(t)
	xs := BuiltinInputs(4, []int{1, 3, 12, 12})
	for _, pt := range []bool{false, true} {
		q, st, err := Quantize(g, xs, Options{PerTensor: pt, Reference: pt})
		if err != nil {
			t.Fatal(err)
		}
		if st.Quantized[ir.OpConv] != 3 || st.Quantized[ir.OpAdd] != 1 || st.Quantized[ir.OpGemm] != 1 ||
			st.Quantized[ir.OpGlobalAveragePool] != 1 || st.Removed != 2 || len(st.Float) != 0 {
			t.Errorf("per tensor %v: quantized %v, removed %d, float %v", pt, st.Quantized, st.Removed, st.Float)
		}
		for _, n := range q.Nodes {
			switch n.Op {
			case ir.OpBatchNorm, ir.OpRelu, ir.OpClip:
				t.Errorf("%s left in the quantized graph", n)
			case ir.OpConv, ir.OpGemm:
				// bias scale = input scale · weight scale, per channel.
				xs := n.Input(0).Producer.Input(1).Const.Data[0]
				ws := n.Input(1).Producer.Input(1).Const.Data
				bs := n.Input(2).Producer.Input(1).Const.Data
				if pt != (len(ws) == 1) {
					t.Errorf("%s: %d weight scales (per tensor %v)", n, len(ws), pt)
				}
				for c := range bs {
					if bs[c] != xs*ws[min(c, len(ws)-1)] {
						t.Errorf("%s: bias scale %g, want %g·%g", n, bs[c], xs, ws[min(c, len(ws)-1)])
					}
				}
			}
		}
		acc, err := Evaluate(q, xs, st.FloatOutputs, 1)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("per tensor %v: %v", pt, acc)
		if acc.MaxRel > 0.1 {
			t.Errorf("per tensor %v: accuracy %v", pt, acc)
		}
		checkAgainstReference(t, q, xs[:2], kernels.Available())
	}
}

// TestQuantizeExtremes: weights all zero, tiny, huge or with a NaN, and
// calibration inputs all zero, huge or with NaN/Inf, never panic: Quantize
// returns a model whose -O2 plan matches the reference executor's integer
// pipeline within one output step, or a one-line error.
func TestQuantizeExtremes(t *testing.T) {
	scaleWeights := func(g *ir.Graph, f func(i int, w float32) float32) *ir.Graph {
		h := g.Clone()
		for _, n := range h.Nodes {
			if n.Op == ir.OpConv || n.Op == ir.OpGemm {
				w := n.Input(1).Const.Clone()
				for i := range w.Data {
					w.Data[i] = f(i, w.Data[i])
				}
				n.Inputs[1] = h.AddConst(n.Inputs[1].Name+".x", w)
			}
		}
		return h
	}
	fill := func(v float32) []*ir.Tensor {
		t := ir.NewTensor(1, 3, 12, 12)
		for i := range t.Data {
			t.Data[i] = v
		}
		return []*ir.Tensor{t}
	}
	base := smallNet(t)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		name    string
		g       *ir.Graph
		samples []*ir.Tensor
	}{
		{"zero weights", scaleWeights(base, func(int, float32) float32 { return 0 }), nil},
		{"empty channel", scaleWeights(base, func(i int, w float32) float32 {
			if i < 9 {
				return 0
			}
			return w
		}), nil},
		{"tiny weights", scaleWeights(base, func(_ int, w float32) float32 { return w * 1e-30 }), nil},
		{"huge weights", scaleWeights(base, func(_ int, w float32) float32 { return w * 1e30 }), nil},
		{"NaN weight", scaleWeights(base, func(i int, w float32) float32 {
			if i == 5 {
				return nan
			}
			return w
		}), nil},
		{"Inf weight", scaleWeights(base, func(i int, w float32) float32 {
			if i == 7 {
				return inf
			}
			return w
		}), nil},
		{"zero inputs", base, fill(0)},
		{"huge inputs", base, fill(3e38)},
		{"NaN inputs", base, fill(nan)},
		{"Inf inputs", base, fill(-inf)},
	} {
		t.Run(c.name, func(t *testing.T) {
			xs := c.samples
			if xs == nil {
				xs = BuiltinInputs(2, []int{1, 3, 12, 12})
			}
			q, st, err := Quantize(c.g, xs, Options{})
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if _, err := Evaluate(q, xs, st.FloatOutputs, 1); err != nil {
				t.Fatal(err)
			}
			if st.BiasClamped != 0 {
				t.Errorf("%d biases saturated: the weight scales should have been widened", st.BiasClamped)
			}
			probe := append(xs, BuiltinInputs(3, []int{1, 3, 12, 12})[2])
			checkAgainstReference(t, q, probe, kernels.Available())
		})
	}
}

// TestQuantizeSymbolicSize: a model with a symbolic H×W (paddle2onnx's
// N×3×H×W) is quantized for its calibration inputs' size.
func TestQuantizeSymbolicSize(t *testing.T) {
	g := ir.New("small")
	g.AddInput("x", -1, 3, -1, -1)
	g.Unbound = &ir.UnboundError{Input: "x", Shape: ir.Shape{-1, 3, -1, -1}}
	g.Rebuild = func(s map[string]ir.Shape) (*ir.Graph, error) { return smallNetSized(t, s["x"][2], s["x"][3]), nil }
	xs := BuiltinInputs(2, []int{1, 3, 10, 14})
	q, st, err := Quantize(g, xs, Options{Method: Percentile})
	if err != nil {
		t.Fatal(err)
	}
	if s := q.Inputs[0].Shape; !s.Equal(ir.Shape{1, 3, 10, 14}) {
		t.Errorf("quantized input shape %v, want the calibration inputs' [1 3 10 14]", s)
	}
	acc, err := Evaluate(q, xs, st.FloatOutputs, 1)
	if err != nil || acc.MaxRel > 0.1 {
		t.Errorf("accuracy %v, %v", acc, err)
	}
}

// TestQuantizeGemmWithoutTransB: a Gemm whose weights are [in, out]
// (transB = 0, as TensorFlow exports) gets per-column scales (DequantizeLinear
// axis 1) and still compiles to the integer pipeline; a Gemm without bias
// gets a zero int32 bias (fuse-qdq needs one).
func TestQuantizeGemmWithoutTransB(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	g := ir.New("fc")
	x := g.AddInput("x", 2, 16)
	w := ir.NewTensor(16, 10)
	for i := range w.Data {
		w.Data[i] = float32(r.NormFloat64()) * float32(1+i%10) // columns of different ranges
	}
	h := g.AddNode(ir.OpGemm, "fc1", ir.Attrs{Alpha: 1, Beta: 1}, x, g.AddConst("w", w))
	h = g.AddNode(ir.OpRelu, "relu", ir.Attrs{}, h)
	w2 := ir.NewTensor(4, 10)
	for i := range w2.Data {
		w2.Data[i] = float32(r.NormFloat64())
	}
	y := g.AddNode(ir.OpGemm, "fc2", ir.GemmAttrs(), h, g.AddConst("w2", w2), g.AddConst("b2", ir.FromData([]float32{1, -1, 0.5, 0}, 4)))
	g.SetOutputs(y)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	xs := []*ir.Tensor{ir.NewTensor(2, 16), ir.NewTensor(2, 16)}
	for _, s := range xs {
		for i := range s.Data {
			s.Data[i] = float32(r.NormFloat64())
		}
	}
	q, st, err := Quantize(g, xs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Quantized[ir.OpGemm] != 2 || st.Removed != 1 {
		t.Errorf("quantized %v, removed %d", st.Quantized, st.Removed)
	}
	for _, n := range q.Nodes {
		if n.Op == ir.OpGemm && n.Name == "fc1" {
			d := n.Input(1).Producer
			if d.Attrs.Axis != 1 || d.Input(1).Shape.Size() != 10 {
				t.Errorf("fc1 weights: axis %d, %v scales; want axis 1, 10", d.Attrs.Axis, d.Input(1).Shape)
			}
			if n.Input(2) == nil {
				t.Errorf("fc1 has no bias")
			}
		}
	}
	acc, err := Evaluate(q, xs, st.FloatOutputs, 1)
	if err != nil || acc.MaxRel > 0.05 {
		t.Errorf("accuracy %v, %v", acc, err)
	}
	checkAgainstReference(t, q, xs, kernels.Available())
}
