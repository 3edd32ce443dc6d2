package models

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
)

// activationBound is a lower bound on the bytes any executor of g needs
// for activations: the largest node's computed inputs and output together
// (both live while it runs; just the output for an elementwise node, which
// may run in place or fused), and that node.
func activationBound(g *ir.Graph) (int64, *ir.Node) {
	var most int64
	var at *ir.Node
	for _, n := range g.Nodes {
		out := limits.Mul(4, int64(n.Output().Shape.Size()))
		var in int64
		computed := 0
		for _, v := range n.Inputs {
			if v != nil && !v.IsConst() {
				in = min(in+limits.Mul(4, int64(v.Shape.Size())), 1<<62)
				computed++
			}
		}
		b := min(in+out, 1<<62)
		if computed == 1 && in == out {
			b = out // elementwise: fused into its producer, or run in place
		}
		if b > most {
			most, at = b, n
		}
	}
	return most, at
}

// checkActivations fails when running g (calibrating it, or any plan of it
// at this batch) cannot fit the memory budget.
func checkActivations(g *ir.Graph, what string) error {
	b, n := activationBound(g)
	if n == nil {
		return nil
	}
	return limits.Check(0, fmt.Sprintf("%s: running layer %q (%s) with its input and output %v", what, n.Name, n.Op, n.Output().Shape), b)
}

// checkSpec builds s without weights (zero constants cost no time) and
// checks its activations against the memory budget, so that
// mobilenet_v1:alpha=4,res=4096 fails in milliseconds instead of after
// generating and calibrating its weights (the weights themselves are
// checked as the builder makes them).
func checkSpec(s Spec) error {
	g, err := BuildFrom(s, BuildOptions{NoWeights: true, shapesOnly: true})
	if err != nil {
		return err
	}
	return checkActivations(g, "model "+s.String())
}
