package quant

import "github.com/mnc-go/mnc/ir"

// decisions are which nodes run quantized and which tensors get
// QuantizeLinear/DequantizeLinear pairs.
type decisions struct {
	ops     map[*ir.Node]bool       // Conv, Gemm, Add, GlobalAveragePool run in 8 bits
	removed map[*ir.Node]*ir.Node   // a Relu/Clip absorbed → the quantized node before it
	shared  map[*ir.Value]*ir.Value // Flatten/Reshape output → the tensor whose parameters it keeps
	clipMax map[*ir.Value]float32   // a tensor whose range must stay within a removed Clip's bound
	order   []*ir.Value             // tensors with parameters of their own, first seen first
	marked  map[*ir.Value]bool
}

// tensors are the activations to calibrate.
func (d *decisions) tensors() []*ir.Value { return d.order }

// quantized reports whether v gets a QuantizeLinear/DequantizeLinear pair.
func (d *decisions) quantized(v *ir.Value) bool { return d.marked[v] || d.shared[v] != nil }

// root is the tensor whose parameters v uses.
func (d *decisions) root(v *ir.Value) *ir.Value {
	for d.shared[v] != nil {
		v = d.shared[v]
	}
	return v
}

func (d *decisions) mark(v *ir.Value) {
	if v == nil || v.IsConst() || d.quantized(v) {
		return
	}
	d.marked[v] = true
	d.order = append(d.order, v)
}

// decide chooses, in node order, what to quantize (see the package comment).
func decide(g *ir.Graph) *decisions {
	d := &decisions{ops: map[*ir.Node]bool{}, removed: map[*ir.Node]*ir.Node{}, shared: map[*ir.Value]*ir.Value{},
		clipMax: map[*ir.Value]float32{}, marked: map[*ir.Value]bool{}}
	cons := g.Consumers()
	for _, n := range g.Nodes {
		if _, gone := d.removed[n]; gone {
			continue
		}
		var ins []*ir.Value
		switch n.Op {
		case ir.OpConv:
			if !quantizableConv(n) {
				continue
			}
			ins = n.Inputs[:1]
		case ir.OpGemm:
			if !quantizableGemm(n) {
				continue
			}
			ins = n.Inputs[:1]
		case ir.OpAdd:
			a, b := n.Input(0), n.Input(1)
			if a == nil || b == nil || a.IsConst() || b.IsConst() || !a.Shape.Equal(b.Shape) || a.Shape.Size() == 0 {
				continue
			}
			ins = n.Inputs[:2]
		case ir.OpGlobalAveragePool:
			if x := n.Input(0); x == nil || x.IsConst() || len(x.Shape) != 4 {
				continue
			}
			ins = n.Inputs[:1]
		case ir.OpFlatten, ir.OpReshape:
			if x := n.Input(0); x != nil && d.quantized(x) && len(n.Outputs) == 1 {
				d.shared[n.Output()] = x
			}
			continue
		default:
			continue
		}
		d.ops[n] = true
		for _, v := range ins {
			d.mark(v)
		}
		out := n.Output()
		if r := soleReader(g, cons, out); r != nil && removable(r) {
			d.removed[r] = n
			if r.Op == ir.OpClip {
				d.clipMax[r.Output()] = r.Attrs.Max
			}
			out = r.Output()
		}
		d.mark(out)
	}
	return d
}

// soleReader is the one node reading v, nil when v has several readers or
// is a graph output.
func soleReader(g *ir.Graph, cons map[*ir.Value][]*ir.Node, v *ir.Value) *ir.Node {
	rs := cons[v]
	if len(rs) != 1 || g.IsOutput(v) {
		return nil
	}
	return rs[0]
}

// removable: Relu, or Clip from 0, whose clamp a uint8 output with zero
// point 0 and top ≤ the bound computes exactly.
func removable(n *ir.Node) bool {
	switch n.Op {
	case ir.OpRelu:
		return true
	case ir.OpClip:
		return n.Attrs.Min == 0 && n.Attrs.Max > 0
	}
	return false
}

func quantizableConv(n *ir.Node) bool {
	x, w, b := n.Input(0), n.Input(1), n.Input(2)
	if x == nil || x.IsConst() || len(x.Shape) != 4 || !w.IsConst() || len(w.Shape) != 4 || len(n.Inputs) > 3 ||
		n.Attrs.Fused != (ir.Epilogue{}) || w.Shape[0] == 0 {
		return false
	}
	return b == nil || b.IsConst() && b.Shape.Size() == w.Shape[0]
}

func quantizableGemm(n *ir.Node) bool {
	a, w, c := n.Input(0), n.Input(1), n.Input(2)
	if a == nil || a.IsConst() || len(a.Shape) != 2 || !w.IsConst() || len(w.Shape) != 2 || len(n.Inputs) > 3 ||
		n.Attrs.Fused != (ir.Epilogue{}) || n.Attrs.TransA || n.Attrs.Alpha != 1 {
		return false
	}
	if c == nil {
		return true
	}
	cols := w.Shape[1]
	if n.Attrs.TransB {
		cols = w.Shape[0]
	}
	return n.Attrs.Beta == 1 && c.IsConst() && c.Shape.Size() == cols && (len(c.Shape) == 1 || len(c.Shape) == 2 && c.Shape[0] == 1)
}
