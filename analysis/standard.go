package analysis

import "github.com/mnc-go/mnc/ir"

// standardCost replaces each depthwise-separable pair's cost by a standard
// conv's. A pair is a depthwise conv whose output reaches exactly one 1×1
// conv through BatchNorm, activations and SE scaling (the squeeze branch's
// pool is not a use of the activation).
func standardCost(g *ir.Graph, r *Report, rows map[*ir.Node]int) Standard {
	s := Standard{MACs: r.MACs, Weights: r.Weights}
	cons := g.Consumers()
	for _, n := range g.Nodes {
		i, ok := rows[n]
		if !ok || n.Op != ir.OpConv {
			continue
		}
		dw := r.Layers[i]
		if dw.Kind != KindDepthwise(dw.Kernel[0], dw.Kernel[1]) {
			continue
		}
		pw := pointwiseAfter(n, cons)
		if pw == nil {
			continue
		}
		p := r.Layers[rows[pw]]
		m := int64(dw.Out[1])
		nOut := int64(p.Out[1])
		df2 := int64(dw.Out[2] * dw.Out[3] * dw.Out[0])
		kk := int64(dw.Kernel[0] * dw.Kernel[1])
		s.MACs += kk*m*nOut*df2 - dw.MACs - p.MACs
		s.Weights += kk*m*nOut - dw.Weights - p.Weights
		s.Pairs++
	}
	if s.MACs > 0 {
		s.Ratio = float64(r.MACs) / float64(s.MACs)
	}
	return s
}

// pointwiseAfter follows n's output through per-element ops to the single
// 1×1 group-1 conv that reads it, or returns nil.
func pointwiseAfter(n *ir.Node, cons map[*ir.Value][]*ir.Node) *ir.Node {
	v := n.Output()
	for steps := 0; steps < 16; steps++ {
		var next []*ir.Node
		for _, c := range cons[v] {
			if c.Op != ir.OpGlobalAveragePool {
				next = append(next, c)
			}
		}
		if len(next) != 1 {
			return nil
		}
		c := next[0]
		switch {
		case c.Op == ir.OpConv:
			w := c.Input(1)
			if c.Input(0) == v && c.Attrs.Group == 1 && len(w.Shape) == 4 && w.Shape[2] == 1 && w.Shape[3] == 1 {
				return c
			}
			return nil
		case c.Op == ir.OpBatchNorm || c.Op == ir.OpMul || c.Op.IsElementwiseActivation():
			v = c.Output()
		default:
			return nil
		}
	}
	return nil
}
