package passes

import "github.com/mnc-go/mnc/ir"

// insertAfter places node nw right after node at in g's node order (so the
// order stays topological when nw reads only at's output and older values).
func insertAfter(g *ir.Graph, at, nw *ir.Node) {
	for i, n := range g.Nodes {
		if n == at {
			g.Nodes = append(g.Nodes[:i+1], append([]*ir.Node{nw}, g.Nodes[i+1:]...)...)
			return
		}
	}
	g.Nodes = append(g.Nodes, nw)
}

// soleReader returns the only node reading v, or nil when v has no reader,
// several, or is a graph output (then a rewrite must keep v as it is).
func soleReader(g *ir.Graph, cons map[*ir.Value][]*ir.Node, v *ir.Value) *ir.Node {
	if len(cons[v]) != 1 || g.IsOutput(v) {
		return nil
	}
	return cons[v][0]
}

// perChannel returns the C values of constant c when c broadcast against a
// 4-D NCHW tensor of shape out varies along the channel axis only (shapes
// [1,C,1,1], [C,1,1], a single element, ...), else nil.
func perChannel(c *ir.Value, out ir.Shape) []float64 {
	if !c.IsConst() || len(out) != 4 || len(c.Shape) > 4 {
		return nil
	}
	ch := out[1]
	off := 4 - len(c.Shape)
	perC := false
	for i, d := range c.Shape {
		switch {
		case d == 1:
		case i+off == 1 && d == ch:
			perC = true
		default:
			return nil
		}
	}
	v := make([]float64, ch)
	for i := range v {
		if perC {
			v[i] = float64(c.Const.Data[i])
		} else {
			v[i] = float64(c.Const.Data[0])
		}
	}
	return v
}
