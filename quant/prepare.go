package quant

import (
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/passes"
)

// prepare returns a copy of g ready to quantize, computing what g computes:
// Identity and Dropout dropped, and each BatchNorm that follows a Conv with
// constant weights (and no other reader) folded into it — ONNX Runtime's
// quantize_static expects the same preprocessing (quant_pre_process), and a
// BatchNorm between a Conv and its QuantizeLinear would keep the conv in
// float.
func prepare(g *ir.Graph) (*ir.Graph, error) {
	h := g.Clone()
	cons := h.Consumers()
	for _, n := range h.Nodes {
		switch n.Op {
		case ir.OpIdentity, ir.OpDropout:
			if x := n.Input(0); x != nil && !h.IsOutput(n.Output()) {
				replace(h, cons, n.Output(), x)
			}
		case ir.OpBatchNorm:
			x := n.Input(0)
			p := x.Producer
			if p == nil || p.Op != ir.OpConv || len(cons[x]) != 1 || h.IsOutput(x) || len(p.Inputs) > 3 ||
				p.Attrs.Fused != (ir.Epilogue{}) || !p.Input(1).IsConst() || len(p.Input(1).Shape) != 4 {
				continue
			}
			if b := p.Input(2); b != nil && !b.IsConst() {
				continue
			}
			scale, shift, ok := passes.BNAffine(n)
			if !ok || len(scale) != p.Input(1).Shape[0] {
				continue
			}
			w := p.Input(1).Const
			nw := w.Clone()
			per := len(w.Data) / len(scale)
			for i := range nw.Data {
				nw.Data[i] = float32(float64(w.Data[i]) * scale[i/per])
			}
			nb := make([]float32, len(scale))
			for c := range nb {
				b := 0.0
				if bv := p.Input(2); bv != nil {
					b = float64(bv.Const.Data[c])
				}
				nb[c] = float32(b*scale[c] + shift[c])
			}
			p.Inputs[1] = h.AddConst(p.Inputs[1].Name, nw)
			if len(p.Inputs) < 3 {
				p.Inputs = append(p.Inputs, nil)
			}
			bname := p.Name + ".bias"
			if p.Inputs[2] != nil {
				bname = p.Inputs[2].Name
			}
			p.Inputs[2] = h.AddConst(bname, ir.FromData(nb, len(nb)))
			// The conv now produces what the BatchNorm did (its name too).
			out := n.Output()
			p.Outputs[0] = out
			out.Producer = p
			n.Outputs[0] = x
			x.Producer = n
			n.Inputs = nil
		}
	}
	h.RemoveDead()
	if err := h.InferShapes(); err != nil {
		return nil, err
	}
	return h, nil
}

// replace makes every reader of old read nw (cons kept current).
func replace(g *ir.Graph, cons map[*ir.Value][]*ir.Node, old, nw *ir.Value) {
	for _, r := range cons[old] {
		for i, v := range r.Inputs {
			if v == old {
				r.Inputs[i] = nw
			}
		}
	}
	cons[nw] = append(cons[nw], cons[old]...)
	delete(cons, old)
}
