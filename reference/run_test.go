package reference

import (
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// smallGraph is x → conv 1×1 (weight 2) → relu, named "tiny".
func smallGraph(t *testing.T, batch int) *ir.Graph {
	t.Helper()
	g := ir.New("tiny")
	x := g.AddInput("x", batch, 1, 2, 2)
	w := g.AddConst("w", tensorOf([]int{1, 1, 1, 1}, 2))
	c := g.AddNode(ir.OpConv, "conv", ir.ConvAttrs(1, 0, 1), x, w)
	y := g.AddNode(ir.OpRelu, "relu", ir.Attrs{}, c)
	g.SetOutputs(y)
	if batch > 0 {
		if err := g.InferShapes(); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func TestRunSmallGraph(t *testing.T) {
	g := smallGraph(t, 1)
	out, err := Run(g, map[string]*ir.Tensor{"x": tensorOf([]int{1, 1, 2, 2}, -1, 0.5, 2, -3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "relu", out["relu"], []int{1, 1, 2, 2}, 0, 0, 1, 4, 0)
}

func TestRunErrorsNameTheNode(t *testing.T) {
	g := smallGraph(t, 1)
	_, err := Run(g, map[string]*ir.Tensor{"x": ir.NewTensor(1, 1, 3, 2)}, nil)
	if err == nil || !strings.Contains(err.Error(), `"x"`) || !strings.Contains(err.Error(), `"conv"`) || !strings.Contains(err.Error(), "[1×1×3×2]") {
		t.Errorf("mismatched shape: error %v, want it to name input x, node conv and the shape", err)
	}
	_, err = Run(g, map[string]*ir.Tensor{}, nil)
	if err == nil || !strings.Contains(err.Error(), `"x"`) || !strings.Contains(err.Error(), `"conv"`) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing input: error %v, want it to name input x and node conv", err)
	}
	_, err = Run(g, map[string]*ir.Tensor{"x": ir.NewTensor(1, 1, 2, 2), "y": ir.NewTensor(1)}, nil)
	if err == nil || !strings.Contains(err.Error(), `"y"`) {
		t.Errorf("unknown input: error %v, want it to name y", err)
	}

	// A node whose input is never produced.
	h := smallGraph(t, 1)
	h.Nodes[1].Inputs[0] = &ir.Value{Name: "ghost", Shape: ir.Shape{1, 1, 2, 2}}
	_, err = Run(h, map[string]*ir.Tensor{"x": ir.NewTensor(1, 1, 2, 2)}, nil)
	if err == nil || !strings.Contains(err.Error(), `"relu"`) || !strings.Contains(err.Error(), `"ghost"`) {
		t.Errorf("dangling input: error %v, want it to name node relu and value ghost", err)
	}

	// A node whose op rejects its input shapes (weight channels mismatch).
	k := smallGraph(t, 1)
	k.Nodes[0].Inputs[1] = k.AddConst("w2", ir.NewTensor(1, 3, 1, 1))
	_, err = Run(k, map[string]*ir.Tensor{"x": ir.NewTensor(1, 1, 2, 2)}, nil)
	if err == nil || !strings.Contains(err.Error(), `"conv"`) {
		t.Errorf("bad weight: error %v, want it to name node conv", err)
	}

	// A declared output shape that disagrees with the computation.
	s := smallGraph(t, 1)
	s.Nodes[0].Outputs[0].Shape = ir.Shape{1, 1, 2, 3}
	_, err = Run(s, map[string]*ir.Tensor{"x": ir.NewTensor(1, 1, 2, 2)}, nil)
	if err == nil || !strings.Contains(err.Error(), `"conv"`) || !strings.Contains(err.Error(), "declares") {
		t.Errorf("stale shape: error %v, want it to name node conv", err)
	}
}

// A graph input with dimension -1 accepts any batch.
func TestRunDynamicBatch(t *testing.T) {
	g := smallGraph(t, -1)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	x := FixedInput(3, 1, 2, 2)
	out, err := Run(g, map[string]*ir.Tensor{"x": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 12)
	for i, v := range x.Data {
		if v > 0 {
			want[i] = 2 * v
		}
	}
	expect(t, "dynamic", out["relu"], []int{3, 1, 2, 2}, 0, want...)
}

// BeforeNode may change a node's constants (BN calibration); AfterNode sees
// every output in order, and an error from a hook names the node.
func TestRunHooks(t *testing.T) {
	g := smallGraph(t, 1)
	var order []string
	opts := &Options{
		BeforeNode: func(n *ir.Node, in []*ir.Tensor) error {
			if n.Op == ir.OpConv {
				in[1].Data[0] = -1 // the weight constant
			}
			return nil
		},
		AfterNode: func(n *ir.Node, out *ir.Tensor) error {
			order = append(order, n.Name)
			return nil
		},
	}
	out, err := Run(g, map[string]*ir.Tensor{"x": tensorOf([]int{1, 1, 2, 2}, -1, 0.5, 2, -3)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "calibrated", out["relu"], []int{1, 1, 2, 2}, 0, 1, 0, 0, 3)
	if strings.Join(order, ",") != "conv,relu" {
		t.Errorf("AfterNode order %v, want conv,relu", order)
	}
	opts.AfterNode = func(n *ir.Node, out *ir.Tensor) error {
		if n.Op == ir.OpRelu {
			return errFake
		}
		return nil
	}
	_, err = Run(g, map[string]*ir.Tensor{"x": ir.NewTensor(1, 1, 2, 2)}, opts)
	if err == nil || !strings.Contains(err.Error(), `"relu"`) || !strings.Contains(err.Error(), errFake.Error()) {
		t.Errorf("hook error %v, want it to name node relu and wrap the hook's error", err)
	}
}

type fakeError struct{}

func (fakeError) Error() string { return "hook refused" }

var errFake = fakeError{}

// A graph output may be read by another node too, and outputs that are
// intermediate values stay available.
func TestRunIntermediateOutput(t *testing.T) {
	g := smallGraph(t, 1)
	g.SetOutputs(g.Nodes[0].Outputs[0], g.Nodes[1].Outputs[0])
	out, err := Run(g, map[string]*ir.Tensor{"x": tensorOf([]int{1, 1, 2, 2}, -1, 0.5, 2, -3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "conv", out["conv"], []int{1, 1, 2, 2}, 0, -2, 1, 4, -6)
	expect(t, "relu", out["relu"], []int{1, 1, 2, 2}, 0, 0, 1, 4, 0)
}

// A graph input that is also a graph output is returned as a copy.
func TestRunInputAsOutputIsCopied(t *testing.T) {
	g := smallGraph(t, 1)
	g.SetOutputs(g.Inputs[0], g.Nodes[1].Outputs[0])
	x := tensorOf([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	out, err := Run(g, map[string]*ir.Tensor{"x": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out["x"].Data[0] = 99
	if x.Data[0] != 1 {
		t.Error("Run's output aliases the caller's input")
	}
	expect(t, "relu", out["relu"], []int{1, 1, 2, 2}, 0, 2, 4, 6, 8)
}
