package passes

import "github.com/mnc-go/mnc/ir"

// insertAfter places node nw right after node at in g's node order (so the
// order stays topological when nw reads only at's output and older values).
// Each call scans the node list: passes that insert many nodes collect them
// and call insertAll once.
func insertAfter(g *ir.Graph, at, nw *ir.Node) {
	insertAll(g, map[*ir.Node][]*ir.Node{at: {nw}})
}

// insertAll places each node of after[at] right after at, in one pass over
// the node list (nodes whose at is not in the graph go at the end).
func insertAll(g *ir.Graph, after map[*ir.Node][]*ir.Node) {
	if len(after) == 0 {
		return
	}
	out := make([]*ir.Node, 0, len(g.Nodes)+len(after))
	for _, n := range g.Nodes {
		out = append(out, n)
		if nw, ok := after[n]; ok {
			out = append(out, nw...)
			delete(after, n)
		}
	}
	for _, nw := range after {
		out = append(out, nw...)
	}
	g.Nodes = out
}

// replaceUses makes every reader of old (nodes and graph outputs) read nw,
// like ir.Graph.ReplaceUses, but finds the readers in cons instead of
// scanning the graph, so a pass that rewrites every node stays linear. cons
// is kept current: old's readers become nw's, and when old's producer read
// nw (the usual bypass: an activation folded into the conv before it) that
// now-dead producer no longer counts as a reader of nw.
func replaceUses(g *ir.Graph, cons map[*ir.Value][]*ir.Node, old, nw *ir.Value) {
	readers := cons[old]
	for k, r := range readers {
		if k > 0 && readers[k-1] == r {
			continue // one entry per input slot; the first visit replaced them all
		}
		for i, v := range r.Inputs {
			if v == old {
				r.Inputs[i] = nw
			}
		}
	}
	for i, v := range g.Outputs {
		if v == old {
			g.Outputs[i] = nw
			if nw.Producer != nil {
				nw.Name = old.Name
			}
		}
	}
	kept := cons[nw][:0:0]
	for _, r := range cons[nw] {
		if old.Producer == nil || r != old.Producer {
			kept = append(kept, r)
		}
	}
	cons[nw] = append(kept, readers...)
	delete(cons, old)
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
