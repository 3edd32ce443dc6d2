package quant

import "github.com/mnc-go/mnc/ir"

// ToQOperator rewrites a QDQ model written by Quantize into ONNX
// Runtime's QOperator form: each DequantizeLinear → Conv/Gemm/Add/
// GlobalAveragePool → QuantizeLinear group becomes one QLinearConv, QGemm
// (com.microsoft), QLinearAdd (com.microsoft) or QLinearGlobalAveragePool
// (com.microsoft), and DequantizeLinear → Flatten/Reshape →
// QuantizeLinear with the same parameters a Flatten/Reshape of the
// integers. That is the integer pipeline ONNX Runtime (and mnc's compiled
// plans) run for the QDQ file, so the reference executor on this graph is
// their oracle. Operators left in float keep their DequantizeLinear and
// QuantizeLinear. g is not modified.
func ToQOperator(g *ir.Graph) (*ir.Graph, error) {
	h := g.Clone()
	cons := h.Consumers()
	for _, q := range h.Nodes {
		if q.Op != ir.OpQuantizeLinear || !perTensor(q) {
			continue
		}
		p := q.Input(0).Producer
		if p == nil || soleReader(h, cons, q.Input(0)) != q {
			continue
		}
		ys, yzp := q.Input(1), q.Input(2)
		a := p.Attrs
		a.QType = q.Attrs.QType
		var in []*ir.Value
		op := ir.OpInvalid
		switch p.Op {
		case ir.OpConv, ir.OpGemm:
			x := dqAct(p.Input(0))
			wd := dqConst(p.Input(1), ir.QInt8)
			if x == nil || wd == nil {
				continue
			}
			var b *ir.Value
			if p.Input(2) != nil {
				bd := dqConst(p.Input(2), ir.QInt32)
				if bd == nil {
					continue
				}
				b = bd.Input(0)
			}
			w := []*ir.Value{wd.Input(0), wd.Input(1), wd.Input(2)}
			if p.Op == ir.OpConv {
				op, in = ir.OpQLinearConv, append(append(append([]*ir.Value{}, x.Inputs...), w...), ys, yzp)
				if b != nil {
					in = append(in, b)
				}
			} else {
				if b == nil {
					continue
				}
				op, in = ir.OpQGemm, append(append(append([]*ir.Value{}, x.Inputs...), w...), b, ys, yzp)
				a.Alpha, a.Beta = 1, 1
			}
		case ir.OpAdd:
			x, y := dqAct(p.Input(0)), dqAct(p.Input(1))
			if x == nil || y == nil {
				continue
			}
			op, in = ir.OpQLinearAdd, append(append(append([]*ir.Value{}, x.Inputs...), y.Inputs...), ys, yzp)
		case ir.OpGlobalAveragePool:
			x := dqAct(p.Input(0))
			if x == nil {
				continue
			}
			op, in = ir.OpQLinearGlobalAveragePool, append(append([]*ir.Value{}, x.Inputs...), ys, yzp)
		case ir.OpFlatten, ir.OpReshape:
			x := dqAct(p.Input(0))
			if x == nil || !sameScalar(x.Input(1), ys) || !sameScalar(x.Input(2), yzp) {
				continue
			}
			op, in = p.Op, []*ir.Value{x.Input(0)}
			a.QType = 0
		default:
			continue
		}
		q.Op, q.Inputs, q.Attrs = op, in, a
		q.Name = p.Name
	}
	h.RemoveDead()
	if err := h.InferShapes(); err != nil {
		return nil, err
	}
	return h, h.Verify()
}

func perTensor(n *ir.Node) bool {
	s, z := n.Input(1), n.Input(2)
	return s.IsConst() && s.Shape.Size() == 1 && z != nil && z.IsConst() && z.Shape.Size() == 1
}

// dqAct is the DequantizeLinear node computing v from a computed tensor
// with per-tensor parameters, nil otherwise.
func dqAct(v *ir.Value) *ir.Node {
	d := v.Producer
	if d == nil || d.Op != ir.OpDequantizeLinear || d.Input(0).IsConst() || !perTensor(d) {
		return nil
	}
	return d
}

// dqConst is the DequantizeLinear node computing v from constants of type t.
func dqConst(v *ir.Value, t ir.QType) *ir.Node {
	d := v.Producer
	if d == nil || d.Op != ir.OpDequantizeLinear || d.Attrs.QType != t || !d.Input(0).IsConst() || !d.Input(1).IsConst() ||
		d.Input(2) == nil || !d.Input(2).IsConst() {
		return nil
	}
	return d
}

func sameScalar(a, b *ir.Value) bool {
	return a == b || a.IsConst() && b.IsConst() && a.Shape.Size() == 1 && b.Shape.Size() == 1 && a.Const.Data[0] == b.Const.Data[0]
}
