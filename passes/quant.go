package passes

import (
	"math"

	"github.com/mnc-go/mnc/ir"
)

// fuseQDQ turns the QDQ groups of a quantized model into the integer
// operators ONNX Runtime runs for them (ir/quant.go):
//
//	DQ(x) → Conv(DQ(w), DQ(b)) → Q   becomes  QLinearConv
//	DQ(a) → Gemm(DQ(w), DQ(b)) → Q   becomes  QGemm (com.microsoft's semantics)
//	DQ(a), DQ(b) → Add → Q           becomes  QLinearAdd
//	DQ(x) → GlobalAveragePool → Q    becomes  QLinearGlobalAveragePool
//	DQ(x) → Flatten/Reshape → Q      becomes  Flatten/Reshape of the integers (same parameters)
//
// Activations keep per-tensor parameters; weights may be per output
// channel. A group that does not match (an unquantized neighbour, a float
// bias whose scale is not xs·ws, a shared intermediate) stays a float
// island. The rewrite changes what is computed from QDQ's float reading to
// the integer pipeline (one requantization per group), which is what
// ONNX Runtime computes for the same file.
func fuseQDQ(s *State) error {
	g := s.G
	cons := g.Consumers()
	changed := false
	for _, q := range g.Nodes {
		if q.Op != ir.OpQuantizeLinear || !perTensorConst(q.Input(1), q.Input(2)) {
			continue
		}
		p := q.Input(0).Producer
		if p == nil || soleReader(g, cons, q.Input(0)) != q {
			continue
		}
		ys, yzp := q.Input(1), zeroOr(g, q.Input(2))
		var in []*ir.Value
		a := p.Attrs
		op := ir.OpInvalid
		switch p.Op {
		case ir.OpConv, ir.OpGemm:
			if p.Attrs.Fused != (ir.Epilogue{}) || len(p.Inputs) > 3 {
				continue
			}
			x, xs, xzp, ok := dqActivation(g, p.Input(0))
			if !ok {
				continue
			}
			axis := 0
			if p.Op == ir.OpGemm {
				if p.Attrs.Alpha != 1 || p.Attrs.Beta != 1 || p.Attrs.TransA || len(p.Input(1).Shape) != 2 {
					continue
				}
				if !p.Attrs.TransB {
					axis = 1
				}
			}
			w, ws, wzp, ok := dqWeight(g, p.Input(1), axis)
			if !ok {
				continue
			}
			b, ok := quantBias(g, p.Input(2), xs, ws)
			if !ok {
				continue
			}
			if p.Op == ir.OpConv {
				op, in = ir.OpQLinearConv, []*ir.Value{x, xs, xzp, w, ws, wzp, ys, yzp}
				if b != nil {
					in = append(in, b)
				}
			} else {
				op, in = ir.OpQGemm, []*ir.Value{x, xs, xzp, w, ws, wzp, b, ys, yzp}
				if b == nil {
					continue
				}
				a.Alpha, a.Beta = 1, 1
			}
		case ir.OpAdd:
			x, xs, xzp, ok1 := dqActivation(g, p.Input(0))
			y, ysc, yzp2, ok2 := dqActivation(g, p.Input(1))
			if !ok1 || !ok2 || !x.Shape.Equal(y.Shape) {
				continue
			}
			op, in = ir.OpQLinearAdd, []*ir.Value{x, xs, xzp, y, ysc, yzp2, ys, yzp}
		case ir.OpGlobalAveragePool:
			x, xs, xzp, ok := dqActivation(g, p.Input(0))
			if !ok {
				continue
			}
			op, in = ir.OpQLinearGlobalAveragePool, []*ir.Value{x, xs, xzp, ys, yzp}
		case ir.OpFlatten, ir.OpReshape:
			x, xs, xzp, ok := dqActivation(g, p.Input(0))
			if !ok || !sameConst(xs, ys) || !sameConst(xzp, yzp) || !sameQType(x, q.Attrs.QType) {
				continue
			}
			op, in = p.Op, []*ir.Value{x}
		default:
			continue
		}
		a.QType = q.Attrs.QType
		a.Fused = ir.Epilogue{}
		q.Op, q.Inputs, q.Attrs = op, in, a
		s.fuse(q, "qdq")
		changed = true
	}
	if changed {
		g.RemoveDead()
	}
	return nil
}

// quantScalars gives the scalar constants of quantized operators the shape
// [1] (the same per-tensor parameter): plan operands have rank 1 or more.
func quantScalars(s *State) error {
	for _, n := range s.G.Nodes {
		if !n.Op.IsQuant() {
			continue
		}
		for i, v := range n.Inputs {
			if v != nil && v.IsConst() && len(v.Shape) == 0 {
				n.Inputs[i] = s.G.AddConst(v.Name+".1", &ir.Tensor{Shape: ir.Shape{1}, Data: v.Const.Data})
			}
		}
	}
	return nil
}

func perTensorConst(scale, zp *ir.Value) bool {
	return scale != nil && scale.IsConst() && scale.Shape.Size() == 1 && (zp == nil || zp.IsConst() && zp.Shape.Size() == 1)
}

// zeroOr returns zp, or a zero constant when it is absent.
func zeroOr(g *ir.Graph, zp *ir.Value) *ir.Value {
	if zp != nil {
		return zp
	}
	return g.AddConst("zero_point", &ir.Tensor{Shape: ir.Shape{}, Data: []float32{0}})
}

// dqActivation matches v = DequantizeLinear(x, s, zp) with per-tensor
// constant parameters and a computed x.
func dqActivation(g *ir.Graph, v *ir.Value) (x, s, zp *ir.Value, ok bool) {
	d := v.Producer
	if d == nil || d.Op != ir.OpDequantizeLinear || d.Input(0).IsConst() || !perTensorConst(d.Input(1), d.Input(2)) {
		return nil, nil, nil, false
	}
	if _, isQ := quantProducer(d.Input(0)); !isQ {
		return nil, nil, nil, false
	}
	return d.Input(0), d.Input(1), zeroOr(g, d.Input(2)), true
}

// quantProducer reports the QType of a value computed by a quantized op.
func quantProducer(v *ir.Value) (ir.QType, bool) {
	p := v.Producer
	if p == nil {
		return 0, false
	}
	switch p.Op {
	case ir.OpQuantizeLinear, ir.OpQLinearConv, ir.OpQLinearAdd, ir.OpQLinearGlobalAveragePool,
		ir.OpQLinearMul, ir.OpQLinearSigmoid, ir.OpQLinearLeakyRelu, ir.OpQLinearMatMul:
		return p.Attrs.QType, p.Attrs.QType == ir.QUint8 || p.Attrs.QType == ir.QInt8
	case ir.OpFlatten, ir.OpReshape:
		return quantProducer(p.Input(0))
	}
	return 0, false
}

func sameQType(v *ir.Value, t ir.QType) bool {
	qt, ok := quantProducer(v)
	return ok && qt == t
}

// dqWeight matches v = DequantizeLinear(w) of constant 8-bit weights, per
// tensor or per output channel (axis).
func dqWeight(g *ir.Graph, v *ir.Value, axis int) (w, s, zp *ir.Value, ok bool) {
	d := v.Producer
	if d == nil || d.Op != ir.OpDequantizeLinear || !d.Input(0).IsConst() || !d.Input(1).IsConst() {
		return nil, nil, nil, false
	}
	if z := d.Input(2); z != nil && !z.IsConst() {
		return nil, nil, nil, false
	}
	if d.Attrs.QType != ir.QInt8 && d.Attrs.QType != ir.QUint8 {
		return nil, nil, nil, false
	}
	if d.Input(1).Shape.Size() != 1 {
		ax := d.Attrs.Axis
		if ax < 0 {
			ax += len(v.Shape)
		}
		if ax != axis {
			return nil, nil, nil, false
		}
	}
	return d.Input(0), d.Input(1), zeroOr(g, d.Input(2)), true
}

// quantBias returns the int32 bias for multiplier xs·ws: the integers of
// DequantizeLinear(b_int32, xs·ws) (the scale must match), nil for no bias.
func quantBias(g *ir.Graph, b, xs, ws *ir.Value) (*ir.Value, bool) {
	if b == nil {
		return nil, true
	}
	d := b.Producer
	if d == nil || d.Op != ir.OpDequantizeLinear || !d.Input(0).IsConst() || !d.Input(1).IsConst() {
		return nil, false
	}
	if z := d.Input(2); z != nil && (!z.IsConst() || anyNonZero(z.Const.Data)) {
		return nil, false
	}
	bs := d.Input(1).Const.Data
	n := b.Shape.Size()
	for c := 0; c < n; c++ {
		want := xs.Const.Data[0] * ws.Const.Data[min(c, len(ws.Const.Data)-1)]
		got := bs[min(c, len(bs)-1)]
		if math.Abs(float64(got-want)) > 1e-6*math.Abs(float64(want)) {
			return nil, false
		}
	}
	return d.Input(0), true
}

func anyNonZero(x []float32) bool {
	for _, v := range x {
		if v != 0 {
			return true
		}
	}
	return false
}

func sameConst(a, b *ir.Value) bool {
	if a == b {
		return true
	}
	if !a.IsConst() || !b.IsConst() || len(a.Const.Data) != len(b.Const.Data) {
		return false
	}
	for i := range a.Const.Data {
		if a.Const.Data[i] != b.Const.Data[i] {
			return false
		}
	}
	return true
}
