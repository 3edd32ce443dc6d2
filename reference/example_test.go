package reference_test

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// Run a two-node graph (a 1×1 conv with a fused ReLU6, then a global
// average pool) and compare it with an expected tensor.
func ExampleRun() {
	g := ir.New("example")
	x := g.AddInput("x", 1, 1, 2, 2)
	a := ir.ConvAttrs(1, 0, 1)
	a.Fused = ir.Epilogue{Act: ir.ActClip, Min: 0, Max: 6}
	w := g.AddConst("w", ir.FromData([]float32{4}, 1, 1, 1, 1))
	c := g.AddNode(ir.OpConv, "conv", a, x, w)
	p := g.AddNode(ir.OpGlobalAveragePool, "pool", ir.Attrs{}, c)
	g.SetOutputs(p)
	if err := g.InferShapes(); err != nil {
		panic(err)
	}

	in := ir.FromData([]float32{-1, 0.5, 1, 2}, 1, 1, 2, 2)
	out, err := reference.Run(g, map[string]*ir.Tensor{"x": in}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(out["pool"].Shape, out["pool"].Data) // relu6(4x) = 0, 2, 4, 6

	ok, msg := reference.Close(out["pool"], ir.FromData([]float32{3}, 1, 1, 1, 1), 1e-6)
	fmt.Println(ok, msg)
	// Output:
	// [1×1×1×1] [3]
	// true
}
