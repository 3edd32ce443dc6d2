package runtime_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/reference"
)

// randSoftmaxGraph is a Softmax on an NHWC activation's channels (conv →
// Softmax(axis 1) → Relu, a segmenter's per-pixel classes; sometimes the
// Softmax is the output) or on the last axis of a row-major [N, A, K]
// (conv → Reshape → Softmax(axis -1 or 2), a detector's class scores).
func randSoftmaxGraph(r *rand.Rand, i int) *ir.Graph {
	g := ir.New(fmt.Sprintf("softmax%d", i))
	c, h, w := 1+r.Intn(40), 1+r.Intn(9), 1+r.Intn(9)
	x := g.AddInput("x", 1, 3, h, w)
	y := g.AddNode(ir.OpConv, "conv", ir.ConvAttrs(1, 0, 1), x,
		g.AddConst("w", reference.FixedInput(c, 3, 1, 1)), g.AddConst("b", reference.FixedInput(c)))
	if r.Intn(2) == 0 {
		y = g.AddNode(ir.OpSoftmax, "softmax", ir.Attrs{Axis: []int{1, -3}[r.Intn(2)]}, y)
		if r.Intn(2) == 0 {
			y = g.AddNode(ir.OpRelu, "relu", ir.Attrs{}, y)
		}
	} else {
		y = g.AddNode(ir.OpReshape, "reshape", ir.Attrs{Shape: []int{-1, c * h, w}}, y)
		y = g.AddNode(ir.OpSoftmax, "softmax", ir.Attrs{Axis: []int{2, -1}[r.Intn(2)]}, y)
	}
	g.SetOutputs(y)
	return g
}

// TestSoftmaxRandom: channel and last-axis Softmax steps (the kernels' row
// path, split over threads) match the reference executor.
func TestSoftmaxRandom(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	cs := []config{{2, 1, 1, kernels.Available()[len(kernels.Available())-1]}, {2, 2, 3, kernels.Available()[0]}, {0, 2, 1, kernels.Generic}}
	for i := 0; i < 24; i++ {
		g := randSoftmaxGraph(r, i)
		if err := g.InferShapes(); err != nil {
			t.Fatalf("%s: %v", g.Name, err)
		}
		checkGraph(t, g, cs)
	}
}
