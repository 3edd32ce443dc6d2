package ir

import (
	"strings"
	"testing"
)

// Each broken invariant is reported, naming the node (or value) at fault.
func TestVerifyErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		break_ func(g *Graph)
		want   string
	}{
		{"empty name", func(g *Graph) { nodeNamed(g, "pool").Name = "" }, "has an empty name"},
		{"out of order", func(g *Graph) { g.Nodes[1], g.Nodes[2] = g.Nodes[2], g.Nodes[1] }, `node "pool" (GlobalAveragePool): input 0 "relu" is not produced before it is read`},
		{"wrong producer", func(g *Graph) { nodeNamed(g, "relu").Output().Producer = nodeNamed(g, "conv") }, `node "relu" (Relu): output "relu" does not point back at its producer`},
		{"two producers", func(g *Graph) {
			r := nodeNamed(g, "relu")
			dup := &Node{Name: "relu2", Op: OpRelu, Inputs: r.Inputs, Outputs: r.Outputs}
			g.Nodes = append(g.Nodes[:2], append([]*Node{dup}, g.Nodes[2:]...)...)
		}, `node "relu2" (Relu): output "relu" is also produced by "relu"`},
		{"stale shape", func(g *Graph) { nodeNamed(g, "pool").Output().Shape = Shape{1, 4, 2, 2} }, `node "pool" (GlobalAveragePool): output shape [1×4×2×2], but its inputs give [1×4×1×1]`},
		{"bad node", func(g *Graph) { nodeNamed(g, "fc").Inputs[1].Const = NewTensor(2, 5) }, `node "fc" (Gemm): constant "fc.weight" has 10 values for shape [2×4]`},
		{"shape error", func(g *Graph) { nodeNamed(g, "conv").Attrs.Group = 0 }, `node "conv" (Conv): group 0 must be positive`},
		{"no outputs", func(g *Graph) { g.Outputs = nil }, `graph "tiny" has no outputs`},
		{"dangling output", func(g *Graph) { g.Outputs = []*Value{{Name: "ghost"}} }, `graph output "ghost" is not produced by any node`},
		{"input with producer", func(g *Graph) { g.Inputs[0].Producer = g.Nodes[0] }, `graph input "x" has a producer`},
		{"const name clash", func(g *Graph) { nodeNamed(g, "fc").Inputs[2].Name = "relu" }, `node "fc" (Gemm): name "relu" is used by both`},
	} {
		g := tiny(t)
		c.break_(g)
		err := g.Verify()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Verify() = %v, want %q", c.name, err, c.want)
		}
	}
}

// Two nodes with one name must be rejected.
func TestVerifyDuplicateNodeNames(t *testing.T) {
	g := tiny(t)
	nodeNamed(g, "relu").Name = "conv"
	if err := g.Verify(); err == nil {
		t.Fatal("Verify accepted two nodes named \"conv\"")
	} else if !strings.Contains(err.Error(), `"conv"`) {
		t.Errorf("Verify() = %v, want it to name \"conv\"", err)
	}
}
