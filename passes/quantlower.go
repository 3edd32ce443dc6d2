package passes

import (
	"math"

	"github.com/mnc-go/mnc/ir"
)

// lowerQLinear runs a quantized model's convolutions on the float kernels,
// exactly. Every quantized activation is stored centred (its integer minus
// its zero point), so that a convolution's zero padding is the zero point
// and Σ (x − xzp)(w − wzp) + bias is a plain float Conv/Gemm of centred
// inputs by w − wzp. All its operands and partial sums are integers; when
// max|x − xzp|·Σ|w − wzp| + |bias| < 2^24 for every output channel (checked
// here, per layer) float32 computes the sum exactly, in any order, and a
// Requantize step then applies the layer's rounding. Layers over the bound
// stay integer QLinearConv steps between re-centring adds.
//
// QLinearAdd becomes (a·as + b·bs)/cs in float, QLinearGlobalAveragePool
// a float mean, each followed by Requantize: these round like ONNX
// Runtime up to float rounding of the float expression, so a value at a
// rounding boundary may land one step away.
//
// The pass applies to a graph whose quantized values all come from
// QuantizeLinear, QLinearConv, QGemm, QLinearAdd, QLinearGlobalAveragePool
// (and Flatten/Reshape of those) and are read by those or by
// DequantizeLinear; otherwise it leaves the graph alone.
func lowerQLinear(s *State) error {
	g := s.G
	cons := g.Consumers()
	quantized := map[*ir.Value]bool{}
	any := false
	for _, n := range g.Nodes {
		switch n.Op {
		case ir.OpQuantizeLinear, ir.OpQLinearConv, ir.OpQLinearAdd, ir.OpQLinearGlobalAveragePool:
			quantized[n.Output()] = true
			any = true
		case ir.OpQGemm:
			if n.Input(7) != nil {
				quantized[n.Output()] = true
			}
			any = true
		case ir.OpFlatten, ir.OpReshape:
			if quantized[n.Input(0)] {
				quantized[n.Output()] = true
			}
		default:
			if n.Op.IsQuant() && n.Op != ir.OpDequantizeLinear {
				return nil
			}
		}
	}
	if !any {
		return nil
	}
	for v := range quantized {
		if g.IsOutput(v) {
			return nil
		}
		for _, c := range cons[v] {
			switch c.Op {
			case ir.OpQLinearConv, ir.OpQLinearAdd, ir.OpQLinearGlobalAveragePool, ir.OpQGemm, ir.OpFlatten, ir.OpReshape:
			case ir.OpDequantizeLinear:
				if c.Input(0) != v || c.Input(1).Shape.Size() != 1 {
					return nil
				}
			default:
				return nil
			}
		}
		if p := v.Producer; p.Op == ir.OpQuantizeLinear && p.Input(1).Shape.Size() != 1 {
			return nil
		}
	}
	var nodes []*ir.Node
	mk := func(op ir.Op, name string, a ir.Attrs, in ...*ir.Value) *ir.Value {
		n := &ir.Node{Name: g.UniqueName(name), Op: op, Inputs: in, Attrs: a}
		out := &ir.Value{Name: n.Name, Producer: n}
		n.Outputs = []*ir.Value{out}
		sh, err := ir.InferNode(n)
		if err != nil {
			panic(err) // the shapes were verified; a failure is a bug in this pass
		}
		out.Shape = sh
		nodes = append(nodes, n)
		return out
	}
	scalar := func(name string, v float32) *ir.Value {
		return g.AddConst(name, &ir.Tensor{Shape: ir.Shape{1}, Data: []float32{v}})
	}
	val := func(v *ir.Value) float32 {
		if v == nil {
			return 0
		}
		return v.Const.Data[0]
	}
	// replace makes nw stand for old's value from now on.
	repl := map[*ir.Value]*ir.Value{}
	get := func(v *ir.Value) *ir.Value {
		if r, ok := repl[v]; ok {
			return r
		}
		return v
	}
	qtype := map[*ir.Value]ir.QType{}
	for v := range quantized {
		qtype[v], _ = quantProducer(v)
	}
	for _, n := range g.Nodes {
		xt, q0 := qtype[n.Input(0)], quantized[n.Input(0)]
		for i, v := range n.Inputs {
			if v != nil {
				n.Inputs[i] = get(v)
			}
		}
		out := n.Output()
		switch n.Op {
		case ir.OpQuantizeLinear:
			nodes = append(nodes, n)
			if zp := val(n.Input(2)); zp != 0 {
				repl[out] = mk(ir.OpSub, out.Name+".centred", ir.Attrs{}, out, scalar(out.Name+".zp", zp))
			}
		case ir.OpDequantizeLinear:
			if !q0 {
				nodes = append(nodes, n)
				continue
			}
			repl[out] = mk(ir.OpMul, out.Name, ir.Attrs{}, n.Input(0), scalar(out.Name+".scale", val(n.Input(1))))
		case ir.OpQLinearConv, ir.OpQGemm:
			conv := n.Op == ir.OpQLinearConv
			x, xs, xzp, w, ws, wzp := n.Input(0), n.Input(1), n.Input(2), n.Input(3), n.Input(4), n.Input(5)
			var b, ys, yzp *ir.Value
			if conv {
				ys, yzp, b = n.Input(6), n.Input(7), n.Input(8)
			} else {
				b, ys, yzp = n.Input(6), n.Input(7), n.Input(8)
			}
			wt, bt, ok := centredWeights(n, xt, xzp, w, wzp, b)
			if !ok {
				// Over the float32 bound: the integer step, between re-centring adds.
				xu := x
				if z := val(xzp); z != 0 {
					xu = mk(ir.OpAdd, out.Name+".uncentred", ir.Attrs{}, x, scalar(out.Name+".xzp", z))
				}
				n.Inputs[0] = xu
				nodes = append(nodes, n)
				if z := val(yzp); z != 0 && ys != nil {
					repl[out] = mk(ir.OpSub, out.Name+".centred", ir.Attrs{}, out, scalar(out.Name+".yzp", z))
				}
				continue
			}
			wv := g.AddConst(w.Name+".centred", wt)
			var bv *ir.Value
			if bt != nil {
				bv = g.AddConst(out.Name+".bias", bt)
			}
			a := n.Attrs
			a.QType = 0
			a.Folded = nil // the QLinear node's record (fuse-qdq's "qdq") is not carried over to the float conv
			var acc *ir.Value
			nOut := wt.Shape[0]
			if conv {
				in := []*ir.Value{x, wv}
				if bv != nil {
					in = append(in, bv)
				}
				acc = mk(ir.OpConv, out.Name+".conv", a, in...)
			} else {
				a.TransB, a.Alpha, a.Beta = true, 1, 1
				in := []*ir.Value{x, wv}
				if bv != nil {
					in = append(in, bv)
				}
				acc = mk(ir.OpGemm, out.Name+".gemm", a, in...)
			}
			alpha := float32(1)
			if !conv {
				alpha = n.Attrs.Alpha
			}
			m := ir.NewTensor(nOut)
			for c := range m.Data {
				sc := alpha * val(xs) * ws.Const.Data[min(c, len(ws.Const.Data)-1)]
				if ys != nil {
					sc /= val(ys)
				}
				m.Data[c] = sc
			}
			mv := g.AddConst(out.Name+".multiplier", m)
			if ys == nil { // QGemm with a float output
				repl[out] = mk(ir.OpMul, out.Name, ir.Attrs{}, acc, mv)
				continue
			}
			repl[out] = mk(ir.OpRequantize, out.Name+".requant", ir.Attrs{QType: n.Attrs.QType}, acc, mv, scalar(out.Name+".yzp", val(yzp)))
		case ir.OpQLinearAdd:
			cs := val(n.Input(6))
			a, b := n.Input(0), n.Input(3)
			as, bs, m, zp := scalar(out.Name+".as", val(n.Input(1))), scalar(out.Name+".bs", val(n.Input(4))),
				scalar(out.Name+".cs", cs), scalar(out.Name+".zp", val(n.Input(7)))
			if a.Shape.Equal(b.Shape) {
				// One step: the Mul, Mul, Add, Requantize below, fused.
				repl[out] = mk(ir.OpQAdd, out.Name+".qadd", ir.Attrs{QType: n.Attrs.QType}, a, b, as, bs, m, zp)
				continue
			}
			t1 := mk(ir.OpMul, out.Name+".a", ir.Attrs{}, a, as)
			t2 := mk(ir.OpMul, out.Name+".b", ir.Attrs{}, b, bs)
			sum := mk(ir.OpAdd, out.Name+".sum", ir.Attrs{}, t1, t2)
			repl[out] = mk(ir.OpRequantize, out.Name+".requant", ir.Attrs{QType: n.Attrs.QType}, sum, m, zp)
		case ir.OpQLinearGlobalAveragePool:
			mean := mk(ir.OpGlobalAveragePool, out.Name+".mean", ir.Attrs{}, n.Input(0))
			m := val(n.Input(1)) / val(n.Input(3))
			repl[out] = mk(ir.OpRequantize, out.Name+".requant", ir.Attrs{QType: n.Attrs.QType}, mean, scalar(out.Name+".m", m), scalar(out.Name+".zp", val(n.Input(4))))
		default:
			nodes = append(nodes, n)
		}
	}
	g.Nodes = nodes
	for i, v := range g.Outputs {
		nv := get(v)
		if nv != v && nv.Producer != nil {
			nv.Name = v.Name // outputs keep their names (mnc run -output DIR names files after them)
		}
		g.Outputs[i] = nv
	}
	g.RemoveDead()
	return nil
}

// centredWeights returns w − wzp as float weights ([out, in/g, kh, kw] for
// a conv, [N, K] for a QGemm) and the bias, or ok=false when a float32 sum
// of centred inputs by them might not be exact.
func centredWeights(n *ir.Node, qt ir.QType, xzp, w, wzp, b *ir.Value) (*ir.Tensor, *ir.Tensor, bool) {
	if !w.IsConst() || (wzp != nil && !wzp.IsConst()) || (b != nil && !b.IsConst()) {
		return nil, nil, false
	}
	lo, hi := qt.Range()
	z := float64(0)
	if xzp != nil {
		z = float64(xzp.Const.Data[0])
	}
	maxX := math.Max(z-float64(lo), float64(hi)-z)
	var nOut, k int
	wt := w.Const.Clone()
	if n.Op == ir.OpQGemm {
		if len(w.Shape) != 2 || n.Attrs.TransA {
			return nil, nil, false
		}
		if n.Attrs.TransB {
			nOut, k = w.Shape[0], w.Shape[1]
		} else { // store [N, K]
			k, nOut = w.Shape[0], w.Shape[1]
			t := ir.NewTensor(nOut, k)
			for i := 0; i < k; i++ {
				for j := 0; j < nOut; j++ {
					t.Data[j*k+i] = w.Const.Data[i*nOut+j]
				}
			}
			wt = t
		}
	} else {
		nOut = w.Shape[0]
		k = w.Shape.Size() / nOut
	}
	for c := 0; c < nOut; c++ {
		zc := float32(0)
		if wzp != nil {
			zc = wzp.Const.Data[min(c, len(wzp.Const.Data)-1)]
		}
		var sum float64
		for i := c * k; i < (c+1)*k; i++ {
			wt.Data[i] -= zc
			sum += math.Abs(float64(wt.Data[i]))
		}
		if b != nil {
			sum = sum*maxX + math.Abs(float64(b.Const.Data[min(c, len(b.Const.Data)-1)]))
		} else {
			sum *= maxX
		}
		if sum >= 1<<24 {
			return nil, nil, false
		}
	}
	var bt *ir.Tensor
	if b != nil {
		bt = ir.NewTensor(nOut)
		for c := range bt.Data {
			bt.Data[c] = b.Const.Data[min(c, len(b.Const.Data)-1)]
		}
	}
	return wt, bt, true
}
