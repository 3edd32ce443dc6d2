package runtime_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/reference"
)

// randResizeGraph is conv → Resize (random mode, coordinate mode, scales or
// sizes) → conv, so the Resize reads and writes NHWC activations.
func randResizeGraph(r *rand.Rand, i int) *ir.Graph {
	g := ir.New(fmt.Sprintf("resize%d", i))
	c, h, w := 1+r.Intn(9), 1+r.Intn(7), 1+r.Intn(7)
	x := g.AddInput("x", 1, c, h, w)
	a := ir.Attrs{ResizeMode: ir.ResizeModes[r.Intn(2)], CoordMode: ir.CoordModes[r.Intn(len(ir.CoordModes))]}
	if a.ResizeMode == "nearest" {
		a.NearestMode = ir.NearestModes[r.Intn(len(ir.NearestModes))]
	}
	for k := 0; k < 2; k++ {
		if r.Intn(2) == 0 {
			a.ResizeSizes[k] = 1 + r.Intn(13)
		} else {
			a.ResizeScales[k] = []float32{0.5, 0.6, 1, 1.5, 2, 3, 2.4}[r.Intn(7)]
			for ir.ResizeOutSize([]int{h, w}[k], a.ResizeScales[k], 0) == 0 {
				a.ResizeScales[k] *= 2
			}
		}
	}
	y := g.AddNode(ir.OpResize, "resize", a, x)
	if r.Intn(2) == 0 { // fuse-upsample-add at -O2
		oh := ir.ResizeOutSize(h, a.ResizeScales[0], a.ResizeSizes[0])
		ow := ir.ResizeOutSize(w, a.ResizeScales[1], a.ResizeSizes[1])
		other := g.AddNode(ir.OpRelu, "other", ir.Attrs{}, g.AddInput("z", 1, c, oh, ow))
		if r.Intn(2) == 0 {
			y = g.AddNode(ir.OpAdd, "add", ir.Attrs{}, y, other)
		} else {
			y = g.AddNode(ir.OpAdd, "add", ir.Attrs{}, other, y)
		}
	}
	if r.Intn(2) == 0 { // an NHWC output (a graph output Resize writes NCHW)
		y = g.AddNode(ir.OpRelu, "relu", ir.Attrs{}, y)
	}
	g.SetOutputs(y)
	return g
}

// randDilatedDWGraph is a dilated depthwise conv (LR-ASPP's last stage)
// with bias and, sometimes, an h-swish to fuse.
func randDilatedDWGraph(r *rand.Rand, i int) *ir.Graph {
	g := ir.New(fmt.Sprintf("dilated%d", i))
	c, h, w := 1+r.Intn(20), 1+r.Intn(12), 1+r.Intn(12)
	k, d := []int{3, 5}[r.Intn(2)], 2+r.Intn(2)
	x := g.AddInput("x", 1, c, h, w)
	a := ir.ConvAttrs(1, d*(k-1)/2, c)
	a.Dilations = [2]int{d, d}
	y := g.AddNode(ir.OpConv, "dw", a, x, g.AddConst("w", reference.FixedInput(c, 1, k, k)), g.AddConst("b", reference.FixedInput(c)))
	if r.Intn(2) == 0 {
		y = g.AddNode(ir.OpHardSwish, "act", ir.Attrs{}, y)
	}
	g.SetOutputs(g.AddNode(ir.OpRelu, "relu", ir.Attrs{}, y))
	return g
}

// randConvTransposeGraph is one ConvTranspose of random kernel, strides,
// pads (negative ones too: output_shape), dilations, groups and bias, or
// of stride = kernel (the GEMM path), sometimes with a Sigmoid to fuse.
func randConvTransposeGraph(r *rand.Rand, i int) *ir.Graph {
	g := ir.New(fmt.Sprintf("convtranspose%d", i))
	groups := []int{1, 1, 2, 3}[r.Intn(4)]
	cin, mg := groups*(1+r.Intn(4)), 1+r.Intn(4)
	if r.Intn(4) == 0 { // depthwise
		groups, mg = cin, 1
	}
	h, w := 1+r.Intn(6), 1+r.Intn(6)
	kh, kw := 1+r.Intn(4), 1+r.Intn(4)
	a := ir.Attrs{Group: groups}
	for k := 0; k < 2; k++ {
		a.Strides[k], a.Dilations[k] = 1+r.Intn(3), 1+r.Intn(2)
		a.OutputPadding[k] = r.Intn(max(a.Strides[k], a.Dilations[k]))
		a.Pads[k], a.Pads[k+2] = r.Intn(2), r.Intn(3)-1
	}
	if r.Intn(3) == 0 { // stride = kernel, no padding: the GEMM path
		groups, mg = 1, 1+r.Intn(20)
		a = ir.Attrs{Group: 1, Strides: [2]int{kh, kw}, Dilations: [2]int{1, 1}}
	}
	for a.Strides[0]*(h-1)+a.Dilations[0]*(kh-1)+1+a.OutputPadding[0]-a.Pads[0]-a.Pads[2] <= 0 ||
		a.Strides[1]*(w-1)+a.Dilations[1]*(kw-1)+1+a.OutputPadding[1]-a.Pads[1]-a.Pads[3] <= 0 {
		a.Pads = [4]int{}
	}
	x := g.AddInput("x", 1, cin, h, w)
	wt := reference.FixedInput(cin, mg, kh, kw)
	in := []*ir.Value{x, g.AddConst("w", wt)}
	if r.Intn(2) == 0 {
		in = append(in, g.AddConst("b", reference.FixedInput(groups*mg)))
	}
	y := g.AddNode(ir.OpConvTranspose, "convT", a, in...)
	if r.Intn(2) == 0 { // fused at -O2
		y = g.AddNode(ir.OpSigmoid, "act", ir.Attrs{}, y)
	}
	g.SetOutputs(y)
	return g
}

// TestDenseOpsRandom: random Resize, ConvTranspose and dilated depthwise
// nodes compiled every way match the reference executor.
func TestDenseOpsRandom(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	cs := []config{{0, 1, 1, kernels.Available()[0]}, {2, 2, 3, kernels.Available()[0]}, {2, 1, 1, kernels.Generic}}
	n := 60
	if testing.Short() {
		n = 20
	}
	for i := 0; i < n; i++ {
		for _, g := range []*ir.Graph{randResizeGraph(r, i), randConvTransposeGraph(r, i), randDilatedDWGraph(r, i)} {
			if err := g.InferShapes(); err != nil {
				t.Fatalf("%s: %v", g.Name, err)
			}
			checkGraph(t, g, cs)
		}
	}
}
