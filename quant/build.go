package quant

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// scalar is a rank-0 constant tensor.
func scalar(x float32) *ir.Tensor { return &ir.Tensor{Shape: ir.Shape{}, Data: []float32{x}} }

// actQ are one quantized tensor's parameters, as constants of the graph.
type actQ struct {
	scale, zp *ir.Value
	s         float32
}

// build rewrites h (prepared and calibrated; h is modified) as a QDQ
// model.
func build(h *ir.Graph, d *decisions, ranges map[*ir.Value][2]float32, o Options) (*ir.Graph, *Stats, error) {
	st := &Stats{Quantized: map[ir.Op]int{}, Float: map[ir.Op]int{}}
	cons := h.Consumers()
	params := map[*ir.Value]*actQ{}
	orig := map[*ir.Value]*ir.Value{} // DequantizeLinear output → the tensor it stands for
	// paramsOf returns (making them once) the parameters of v's root.
	paramsOf := func(v *ir.Value) *actQ {
		r := d.root(v)
		if p := params[r]; p != nil {
			return p
		}
		rg := ranges[r]
		if m, ok := d.clipMax[r]; ok {
			rg[1] = min(rg[1], m)
		}
		s, zp := actParams(rg[0], rg[1])
		if m, ok := d.clipMax[r]; ok && 255*s > m {
			// A removed Clip's bound must stay the top of the range
			// (an all-zero calibration gives scale 1).
			s = m / 255
		}
		p := &actQ{scale: h.AddConst(r.Name+"_scale", scalar(s)), zp: h.AddConst(r.Name+"_zero_point", scalar(float32(zp))), s: s}
		params[r] = p
		return p
	}
	// qdq inserts QuantizeLinear/DequantizeLinear after v and makes every
	// reader of v (and the graph outputs) read the DequantizeLinear.
	qdq := func(v *ir.Value) []*ir.Node {
		p := paramsOf(v)
		name := v.Name
		out := h.IsOutput(v)
		if out {
			v.Name = h.UniqueName(name + "_QuantizeLinear_Input")
			if v.Producer != nil && v.Producer.Name == name {
				v.Producer.Name = v.Name // node and value names share one namespace
			}
		}
		qv := h.AddNode(ir.OpQuantizeLinear, name+"_QuantizeLinear", ir.Attrs{QType: ir.QUint8}, v, p.scale, p.zp)
		dv := h.AddNode(ir.OpDequantizeLinear, name+"_DequantizeLinear", ir.Attrs{QType: ir.QUint8}, qv, p.scale, p.zp)
		if out {
			dv.Name = name
		}
		orig[dv] = v
		for _, r := range cons[v] {
			for i, x := range r.Inputs {
				if x == v {
					r.Inputs[i] = dv
				}
			}
		}
		for i, x := range h.Outputs {
			if x == v {
				h.Outputs[i] = dv
			}
		}
		st.Activations++
		return []*ir.Node{qv.Producer, dv.Producer}
	}
	var order []*ir.Node
	nodes := append([]*ir.Node(nil), h.Nodes...)
	for _, v := range h.Inputs {
		if d.quantized(v) {
			order = append(order, qdq(v)...)
		}
	}
	for _, n := range nodes {
		if d.removed[n] != nil {
			continue
		}
		if d.ops[n] {
			st.Quantized[n.Op]++
			if n.Op == ir.OpConv || n.Op == ir.OpGemm {
				x := n.Input(0)
				if v := orig[x]; v != nil {
					x = v
				}
				pre, err := quantizeWeightsOf(h, n, paramsOf(x).s, o, st)
				if err != nil {
					return nil, nil, err
				}
				order = append(order, pre...)
			}
			if r := soleReader(h, cons, n.Output()); r != nil && d.removed[r] == n {
				// The Relu/Clip goes: n computes its output directly.
				st.Removed++
				out := r.Output()
				n.Outputs[0] = out
				out.Producer = n
			}
		} else if n.Op != ir.OpFlatten && n.Op != ir.OpReshape || !d.quantized(n.Output()) {
			st.Float[n.Op]++
		}
		order = append(order, n)
		for _, v := range n.Outputs {
			if d.quantized(v) {
				order = append(order, qdq(v)...)
			}
		}
	}
	h.Nodes = order
	h.RemoveDead()
	if err := h.InferShapes(); err != nil {
		return nil, nil, fmt.Errorf("quantized graph: %w", err)
	}
	if err := h.Verify(); err != nil {
		return nil, nil, fmt.Errorf("quantized graph: %w", err)
	}
	return h, st, nil
}

// quantizeWeightsOf replaces the weights (and bias) of Conv or Gemm n by
// DequantizeLinear of int8 weights and int32 biases; xs is the scale of
// n's input. It returns the new DequantizeLinear nodes.
func quantizeWeightsOf(h *ir.Graph, n *ir.Node, xs float32, o Options, st *Stats) ([]*ir.Node, error) {
	w := n.Input(1)
	axis := 0
	if n.Op == ir.OpGemm && !n.Attrs.TransB {
		axis = 1
	}
	var bvals []float32
	if b := n.Input(2); b != nil {
		bvals = b.Const.Data
	}
	q, scales := quantizeWeights(w.Const, axis, !o.PerTensor, biasFloor(bvals, xs))
	cout := w.Shape[axis]
	var sT, zT *ir.Tensor
	if len(scales) == 1 {
		sT, zT = scalar(scales[0]), scalar(0)
	} else {
		sT, zT = ir.FromData(scales, cout), ir.NewTensor(cout)
	}
	wq := h.AddConst(w.Name+"_quantized", q)
	dw := h.AddNode(ir.OpDequantizeLinear, w.Name+"_DequantizeLinear", ir.Attrs{QType: ir.QInt8, Axis: axis},
		wq, h.AddConst(w.Name+"_scale", sT), h.AddConst(w.Name+"_zero_point", zT))
	n.Inputs[1] = dw
	st.Weights++
	pre := []*ir.Node{dw.Producer}
	b := n.Input(2)
	if b == nil && n.Op == ir.OpConv {
		return pre, nil
	}
	bias := make([]float32, cout)
	name := n.Name + ".bias"
	if b != nil {
		copy(bias, b.Const.Data)
		name = b.Name
	}
	bs := make([]float32, cout)
	bq := make([]float32, cout)
	for c := range cout {
		bs[c] = xs * scales[min(c, len(scales)-1)]
		bq[c] = quantizeBias(bias[c], bs[c])
		if r := float64(bias[c]) / float64(bs[c]); r > 2147483647 || r < -2147483648 {
			st.BiasClamped++
		}
	}
	db := h.AddNode(ir.OpDequantizeLinear, name+"_DequantizeLinear", ir.Attrs{QType: ir.QInt32, Axis: 0},
		h.AddConst(name+"_quantized", ir.FromData(bq, cout)), h.AddConst(name+"_quantized_scale", ir.FromData(bs, cout)),
		h.AddConst(name+"_quantized_zero_point", ir.NewTensor(cout)))
	for len(n.Inputs) < 3 {
		n.Inputs = append(n.Inputs, nil)
	}
	n.Inputs[2] = db
	if n.Op == ir.OpGemm {
		n.Attrs.Beta = 1
	}
	return append(pre, db.Producer), nil
}
