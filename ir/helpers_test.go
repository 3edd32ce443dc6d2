package ir

import "testing"

// tiny builds input [1,3,8,8] → Conv 3×3 (4 out) → Relu → GlobalAveragePool
// → Flatten → Gemm (2 out, transB, bias), with shapes inferred.
func tiny(t *testing.T) *Graph {
	t.Helper()
	g := New("tiny")
	x := g.AddInput("x", 1, 3, 8, 8)
	w := g.AddConst("conv.weight", NewTensor(4, 3, 3, 3))
	c := g.AddNode(OpConv, "conv", ConvAttrs(1, 1, 1), x, w)
	r := g.AddNode(OpRelu, "relu", Attrs{}, c)
	p := g.AddNode(OpGlobalAveragePool, "pool", Attrs{}, r)
	f := g.AddNode(OpFlatten, "flatten", Attrs{Axis: 1}, p)
	fw := g.AddConst("fc.weight", NewTensor(2, 4))
	fb := g.AddConst("fc.bias", NewTensor(2))
	y := g.AddNode(OpGemm, "fc", GemmAttrs(), f, fw, fb)
	g.SetOutputs(y)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	if err := g.Verify(); err != nil {
		t.Fatal(err)
	}
	return g
}

func nodeNamed(g *Graph, name string) *Node {
	for _, n := range g.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}
