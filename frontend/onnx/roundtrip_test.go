package onnx

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/reference"
)

// roundTrip exports g and imports the result.
func roundTrip(t *testing.T, g *ir.Graph) *ir.Graph {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, g); err != nil {
		t.Fatal(err)
	}
	h, err := Read("roundtrip.onnx", buf.Bytes(), "")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// expectIdentical runs both graphs with the reference executor on
// DESIGN.md's fixed input and requires bit-identical outputs: export and
// import must not change what is computed, nor its order.
func expectIdentical(t *testing.T, g, h *ir.Graph) { expectSame(t, g, h, 0) }

// expectSame is expectIdentical with a tolerance relative to the largest
// output value.
func expectSame(t *testing.T, g, h *ir.Graph, rel float64) {
	t.Helper()
	x := reference.FixedInput(g.Inputs[0].Shape...)
	a, err := reference.Run(g, map[string]*ir.Tensor{g.Inputs[0].Name: x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := reference.Run(h, map[string]*ir.Tensor{h.Inputs[0].Name: x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, o := range g.Outputs {
		got := b[h.Outputs[k].Name]
		if h.Outputs[k].Name != o.Name {
			t.Errorf("output %d is named %q after the round trip, want %q", k, h.Outputs[k].Name, o.Name)
		}
		if ok, msg := reference.Close(got, a[o.Name], rel); !ok {
			t.Errorf("output %q differs after the round trip: %s", o.Name, msg)
		}
	}
}

// TestRoundTripModels exports and re-imports the built-in models. With
// -short they are built at 96×96 to keep the reference runs quick.
func TestRoundTripModels(t *testing.T) {
	for _, name := range []string{"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "mobilenet_v4_conv_small"} {
		spec := name
		if testing.Short() {
			spec += ":res=96"
		}
		t.Run(spec, func(t *testing.T) {
			g, err := models.Build(spec)
			if err != nil {
				t.Fatal(err)
			}
			h := roundTrip(t, g)
			if len(h.Nodes) != len(g.Nodes) {
				t.Errorf("%d nodes after the round trip, want %d", len(h.Nodes), len(g.Nodes))
			}
			expectIdentical(t, g, h)
		})
	}
}

// TestRoundTripFusedEpilogues: Conv and Gemm with fused bias, residual and
// activation are expanded on export into nodes that compute the same up to
// rounding (the reference adds a fused residual before rounding to
// float32, the expanded Add after it): within 1e-6 of the largest output.
func TestRoundTripFusedEpilogues(t *testing.T) {
	for _, ep := range fusedEpilogues {
		t.Run(ep.Act.String(), func(t *testing.T) {
			g := fusedGraph(t, ep)
			h := roundTrip(t, g)
			for _, n := range h.Nodes {
				if n.Attrs.Fused != (ir.Epilogue{}) {
					t.Errorf("node %s still has a fused epilogue after import", n)
				}
			}
			expectSame(t, g, h, 1e-6)
		})
	}
}

// fusedEpilogues are the epilogues fusedGraph puts on its Conv and Gemm.
var fusedEpilogues = []ir.Epilogue{
	{Act: ir.ActRelu},
	{Act: ir.ActClip, Min: 0, Max: 6, Residual: true},
	{Act: ir.ActHardSwish, Residual: true},
	{Act: ir.ActHardSigmoid, Alpha: 1.0 / 6, Beta: 0.5},
	{Act: ir.ActSigmoid},
	{Act: ir.ActSwish, Residual: true},
	{Residual: true},
	{Act: ir.ActLeakyRelu, Alpha: 0.1},
	{Act: ir.ActPRelu, Residual: true, Slope: &ir.Tensor{Shape: ir.Shape{4}, Data: []float32{-0.5, 0, 0.25, 2}}},
}

// TestRoundTripActivations: LeakyRelu and PRelu (per-channel, scalar and
// non-constant slopes) import and export as themselves.
func TestRoundTripActivations(t *testing.T) {
	g := ir.New("acts")
	x := g.AddInput("x", 1, 4, 5, 5)
	c := g.AddNode(ir.OpConv, "conv", ir.ConvAttrs(1, 1, 1), x, g.AddConst("w", seq(4, 4, 3, 3)))
	l := g.AddNode(ir.OpLeakyRelu, "leaky", ir.Attrs{Alpha: 0.2}, c)
	s := ir.NewTensor(4, 1, 1)
	copy(s.Data, []float32{-0.5, 0, 0.25, 2})
	p := g.AddNode(ir.OpPRelu, "prelu", ir.Attrs{}, l, g.AddConst("slope", s))
	one := ir.NewTensor(1)
	one.Data[0] = 0.3
	q := g.AddNode(ir.OpPRelu, "prelu1", ir.Attrs{}, p, g.AddConst("slope1", one))
	r := g.AddNode(ir.OpPRelu, "prelu_dyn", ir.Attrs{}, q, x) // slope computed: elementwise
	g.SetOutputs(r)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	h := roundTrip(t, g)
	for _, op := range []ir.Op{ir.OpLeakyRelu, ir.OpPRelu} {
		if countOp(g, op) != countOp(h, op) {
			t.Errorf("%d %s nodes after the round trip, want %d", countOp(h, op), op, countOp(g, op))
		}
	}
	expectIdentical(t, g, h)
}

func countOp(g *ir.Graph, op ir.Op) int {
	n := 0
	for _, nd := range g.Nodes {
		if nd.Op == op {
			n++
		}
	}
	return n
}

// fusedGraph is Conv(+bias, epilogue) → GlobalAveragePool → Flatten →
// Gemm(+bias, epilogue), with the residual (when fused) being each layer's
// own input.
func fusedGraph(t *testing.T, ep ir.Epilogue) *ir.Graph {
	t.Helper()
	g := ir.New("fused")
	x := g.AddInput("x", 1, 4, 5, 5)
	a := ir.ConvAttrs(1, 1, 1)
	a.Fused = ep
	in := []*ir.Value{x, g.AddConst("w", seq(4, 4, 3, 3)), g.AddConst("b", seq(4))}
	if ep.Residual {
		in = append(in, x)
	}
	c := g.AddNode(ir.OpConv, "conv", a, in...)
	p := g.AddNode(ir.OpGlobalAveragePool, "pool", ir.Attrs{}, c)
	f := g.AddNode(ir.OpFlatten, "flat", ir.Attrs{Axis: 1}, p)
	ga := ir.GemmAttrs()
	ga.Fused = ep
	gin := []*ir.Value{f, g.AddConst("fw", seq(4, 4)), g.AddConst("fb", seq(4))}
	if ep.Residual {
		gin = append(gin, f)
	}
	g.SetOutputs(g.AddNode(ir.OpGemm, "fc", ga, gin...))
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestRoundTripSymbolicBatch: an unknown batch is written as the symbolic
// dimension "N" and read back as -1; the graph still binds to any batch.
func TestRoundTripSymbolicBatch(t *testing.T) {
	g := ir.New("dyn")
	x := g.AddInput("x", -1, 2, 4, 4)
	c := g.AddNode(ir.OpConv, "conv", ir.ConvAttrs(1, 0, 1), x, g.AddConst("w", seq(3, 2, 1, 1)))
	p := g.AddNode(ir.OpGlobalAveragePool, "pool", ir.Attrs{}, c)
	y := g.AddNode(ir.OpReshape, "flat", ir.Attrs{Shape: []int{0, -1}}, p)
	g.SetOutputs(y)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	h := roundTrip(t, g)
	if got := h.Inputs[0].Shape; !got.Equal(ir.Shape{-1, 2, 4, 4}) {
		t.Fatalf("input shape %v after the round trip, want [? 2 4 4]", got)
	}
	for _, gr := range []*ir.Graph{g, h} {
		if err := gr.SetBatch(3); err != nil {
			t.Fatal(err)
		}
	}
	expectIdentical(t, g, h)
}

// TestWriteRejectsInvalidGraph: Write verifies the graph first and names
// the node at fault.
func TestWriteRejectsInvalidGraph(t *testing.T) {
	g := ir.New("bad")
	x := g.AddInput("x", 1, 3, 4, 4)
	a := ir.ConvAttrs(1, 0, 1)
	a.Fused.Residual = true // but no residual input
	y := g.AddNode(ir.OpConv, "conv", a, x, g.AddConst("w", seq(3, 3, 1, 1)))
	g.SetOutputs(y)
	y.Shape = ir.Shape{1, 3, 4, 4}
	var buf bytes.Buffer
	err := Write(&buf, g)
	if err == nil || !strings.Contains(err.Error(), `"conv"`) {
		t.Errorf("error %v, want one naming node \"conv\"", err)
	}
}
