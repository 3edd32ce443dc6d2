package reference

import (
	"fmt"
	"math"

	"github.com/mnc-go/mnc/ir"
)

// The quantized operators, computed plainly from the definitions in
// ir/quant.go. Quantized tensors are float32 tensors holding integers; the
// integer sums (Σ (x − xzp)(w − wzp) + bias) reuse conv, gemm and matMul,
// which accumulate in float64: every product and partial sum of 8-bit
// operands is an integer below 2^53, so the sums are exact.

// qparam returns element c of a scale or zero-point tensor (a scalar or a
// per-channel vector), or def when t is nil.
func qparam(t *ir.Tensor, c int, def float32) float32 {
	if t == nil {
		return def
	}
	if len(t.Data) == 1 {
		return t.Data[0]
	}
	return t.Data[c]
}

// chanOf returns a function mapping a flat index of a tensor of shape s to
// its index along axis (0 for per-tensor parameters).
func chanOf(s ir.Shape, axis int, perChannel bool) func(i int) int {
	if !perChannel {
		return func(int) int { return 0 }
	}
	if axis < 0 {
		axis += len(s)
	}
	inner := 1
	for _, d := range s[axis+1:] {
		inner *= d
	}
	c := s[axis]
	return func(i int) int { return i / inner % c }
}

func isPerChannel(scale *ir.Tensor) bool { return scale != nil && len(scale.Data) != 1 }

// zeroPoint checks that a zero point is an integer of type t.
func checkZeroPoints(t *ir.Tensor, qt ir.QType, what string) error {
	if t == nil {
		return nil
	}
	lo, hi := qt.Range()
	for _, v := range t.Data {
		if v != float32(math.Trunc(float64(v))) || float64(v) < float64(lo) || float64(v) > float64(hi) {
			return fmt.Errorf("%s zero point %g is not a %v value", what, v, qt)
		}
	}
	return nil
}

// shifted returns x − zp (per channel along axis when zp is a vector).
func shifted(x, zp *ir.Tensor, axis int) *ir.Tensor {
	out := x.Clone()
	if zp == nil {
		return out
	}
	ch := chanOf(x.Shape, axis, isPerChannel(zp))
	for i := range out.Data {
		out.Data[i] -= qparam(zp, ch(i), 0)
	}
	return out
}

func computeQuant(op ir.Op, a *ir.Attrs, in []*ir.Tensor, shape ir.Shape) (*ir.Tensor, error) {
	opt := func(i int) *ir.Tensor { return optional(in, i) }
	switch op {
	case ir.OpQuantizeLinear:
		x, s, zp := in[0], in[1], opt(2)
		if err := checkZeroPoints(zp, a.QType, "output"); err != nil {
			return nil, err
		}
		ch := chanOf(x.Shape, a.Axis, isPerChannel(s))
		out := ir.NewTensor(shape...)
		for i, v := range x.Data {
			c := ch(i)
			out.Data[i] = ir.Quantize(v, qparam(s, c, 1), int32(qparam(zp, c, 0)), a.QType)
		}
		return out, nil
	case ir.OpDequantizeLinear:
		x, s, zp := in[0], in[1], opt(2)
		ch := chanOf(x.Shape, a.Axis, isPerChannel(s))
		out := ir.NewTensor(shape...)
		for i, v := range x.Data {
			c := ch(i)
			out.Data[i] = ir.Dequantize(v, int32(qparam(zp, c, 0)), qparam(s, c, 1))
		}
		return out, nil
	case ir.OpQLinearConv, ir.OpConvInteger:
		var x, w, xzp, wzp, bias *ir.Tensor
		if op == ir.OpConvInteger {
			x, w, xzp, wzp = in[0], in[1], opt(2), opt(3)
		} else {
			x, xzp, w, wzp, bias = in[0], in[2], in[3], in[5], opt(8)
		}
		ca := *a
		ca.Fused = ir.Epilogue{}
		acc := conv(&ca, shifted(x, xzp, 1), shifted(w, wzp, 0), bias, nil, shape)
		if op == ir.OpConvInteger {
			return acc, nil
		}
		return requantize(acc, 1, in[1], in[4], in[6], in[7], a.QType, 1)
	case ir.OpQLinearMatMul, ir.OpMatMulInteger:
		var x, y, xzp, yzp *ir.Tensor
		if op == ir.OpMatMulInteger {
			x, y, xzp, yzp = in[0], in[1], opt(2), opt(3)
		} else {
			x, xzp, y, yzp = in[0], in[2], in[3], in[5]
		}
		acc := matMul(shifted(x, xzp, -1), shifted(y, yzp, -1), shape)
		if op == ir.OpMatMulInteger {
			return acc, nil
		}
		return requantize(acc, 1, in[1], in[4], in[6], in[7], a.QType, -1)
	case ir.OpQGemm:
		ga := *a
		ga.Alpha, ga.Beta, ga.Fused = 1, 1, ir.Epilogue{}
		bzp := in[5]
		bAxis := 1
		if a.TransB {
			bAxis = 0
		}
		acc := gemm(&ga, shifted(in[0], in[2], -1), shifted(in[3], bzp, bAxis), opt(6), nil, shape)
		if opt(7) == nil {
			ch := chanOf(shape, -1, isPerChannel(in[4]))
			for i, v := range acc.Data {
				acc.Data[i] = v * (a.Alpha * in[1].Data[0] * qparam(in[4], ch(i), 1))
			}
			return acc, nil
		}
		return requantize(acc, a.Alpha, in[1], in[4], in[7], opt(8), a.QType, -1)
	case ir.OpQLinearAdd, ir.OpQLinearMul:
		as, azp, bs, bzp := in[1], opt(2), in[4], opt(5)
		da := deq(in[0], as, azp)
		db := deq(in[3], bs, bzp)
		f := func(x, y float32) float32 { return x + y }
		if op == ir.OpQLinearMul {
			f = func(x, y float32) float32 { return x * y }
		}
		return quant(binary(da, db, shape, f), in[6], opt(7), a.QType), nil
	case ir.OpQLinearSigmoid, ir.OpQLinearLeakyRelu:
		act := ir.ActSigmoid
		if op == ir.OpQLinearLeakyRelu {
			act = ir.ActNone
		}
		alpha := a.Alpha
		y := unary(deq(in[0], in[1], opt(2)), func(v float32) float32 {
			if act == ir.ActNone {
				if v < 0 {
					return alpha * v
				}
				return v
			}
			return ir.ApplyAct(act, v, 0, 0, 0, 0)
		})
		return quant(y, in[3], opt(4), a.QType), nil
	case ir.OpQLinearGlobalAveragePool:
		x := shifted(in[0], opt(2), 1)
		hw := 1
		for _, d := range x.Shape[2:] {
			hw *= d
		}
		out := ir.NewTensor(shape...)
		m := in[1].Data[0] / (in[3].Data[0] * float32(hw))
		zp := int32(qparam(opt(4), 0, 0))
		for i := range out.Data {
			var acc float64
			for _, v := range x.Data[i*hw : (i+1)*hw] {
				acc += float64(v)
			}
			out.Data[i] = ir.Requantize(acc, m, zp, a.QType)
		}
		return out, nil
	case ir.OpRequantize:
		x, m := in[0], in[1]
		zp := int32(qparam(in[2], 0, 0))
		ch := chanOf(x.Shape, 1, isPerChannel(m))
		out := ir.NewTensor(shape...)
		for i, v := range x.Data {
			out.Data[i] = ir.Requantize(float64(v), qparam(m, ch(i), 1), zp, a.QType) - float32(zp)
		}
		return out, nil
	case ir.OpQAdd:
		as, bs, m := in[2].Data[0], in[3].Data[0], in[4].Data[0]
		zp := int32(in[5].Data[0])
		out := ir.NewTensor(shape...)
		for i := range out.Data {
			out.Data[i] = ir.QAdd(in[0].Data[i], as, in[1].Data[i], bs, m, zp, a.QType)
		}
		return out, nil
	case ir.OpDynQuantScale, ir.OpDynQuantZeroPoint:
		lo, hi := float32(0), float32(0)
		for _, v := range in[0].Data {
			lo, hi = min(lo, v), max(hi, v)
		}
		s := (hi - lo) / 255
		if s == 0 || s != s {
			s = 1
		}
		if op == ir.OpDynQuantScale {
			return &ir.Tensor{Shape: ir.Shape{}, Data: []float32{s}}, nil
		}
		zp := ir.Quantize(-lo, s, 0, ir.QUint8)
		return &ir.Tensor{Shape: ir.Shape{}, Data: []float32{zp}}, nil
	}
	return nil, fmt.Errorf("operator %s %w", op, errNotImplemented)
}

// deq is DequantizeLinear with per-tensor parameters.
func deq(x, s, zp *ir.Tensor) *ir.Tensor {
	sc, z := s.Data[0], int32(qparam(zp, 0, 0))
	return unary(x, func(v float32) float32 { return ir.Dequantize(v, z, sc) })
}

// quant is QuantizeLinear with per-tensor parameters.
func quant(x, s, zp *ir.Tensor, qt ir.QType) *ir.Tensor {
	sc, z := s.Data[0], int32(qparam(zp, 0, 0))
	return unary(x, func(v float32) float32 { return ir.Quantize(v, sc, z, qt) })
}

// requantize maps exact integer sums to the output type with the
// multiplier float32(alpha·xs·ws[c])/ys, c along axis (per output channel).
func requantize(acc *ir.Tensor, alpha float32, xs, ws, ys, yzp *ir.Tensor, qt ir.QType, axis int) (*ir.Tensor, error) {
	if err := checkZeroPoints(yzp, qt, "output"); err != nil {
		return nil, err
	}
	ch := chanOf(acc.Shape, axis, isPerChannel(ws))
	zp := int32(qparam(yzp, 0, 0))
	y := ys.Data[0]
	for i, v := range acc.Data {
		m := alpha * xs.Data[0] * qparam(ws, ch(i), 1) / y
		acc.Data[i] = ir.Requantize(float64(v), m, zp, qt)
	}
	return acc, nil
}
