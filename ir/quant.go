package ir

import (
	"fmt"
	"math"
)

// Quantized operators (numbers 100–139).
//
// # Integer semantics (the one place they are defined)
//
// mnc keeps every IR tensor float32. A quantized tensor is a float32 tensor
// whose elements are integers of its quantized type (QType): exact for the
// 8- and 16-bit types, and for int32 values up to 2^24 in magnitude (larger
// int32 constants, such as a bias quantized with a tiny scale, are rounded
// to float32 on import; int32 results are exact wherever ONNX Runtime's are,
// since it converts its int32 accumulators to float32 before rescaling).
//
// Every rounding is round-half-to-even and every narrowing saturates to the
// type's range, as ONNX defines them:
//
//	QuantizeLinear:    y = sat(roundEven(x / s) + zp)       x/s in float32; NaN gives zp
//	DequantizeLinear:  y = (x − zp) · s                     in float32
//	QLinearConv/MatMul/QGemm: acc = Σ (x − xzp)(w − wzp) + bias   (exact integers)
//	                   y = sat(roundEven(float32(acc) · M) + yzp), M = float32(xs·ws)/ys
//	                   (QGemm: M = alpha·xs·ws/ys; without ys, y = float32(acc)·alpha·xs·ws)
//	QLinearAdd/Mul:    y = Q(f(DQ(a), DQ(b))) with the float32 arithmetic above
//	QLinearGlobalAveragePool: acc = Σ (x − xzp) over H·W, y = sat(roundEven(float32(acc)·xs/(ys·HW)) + yzp)
//	QLinearSigmoid/LeakyRelu: y = Q(f(DQ(x)))
//	ConvInteger/MatMulInteger: y = Σ (x − xzp)(w − wzp)     (int32 result)
//	DynamicQuantizeLinear: s = (max(0, max x) − min(0, min x)) / 255 (1 when that is 0),
//	                   zp = sat_u8(roundEven(−min(0, min x) / s)), y = Q(x, s, zp) as uint8
//
// Scales and zero points are per tensor (one element) or per channel along
// Attrs.Axis (a 1-D tensor of the axis's length). These are the formulas
// ONNX Runtime's kernels compute; its integer pipeline for a QDQ model
// (requantizing a Conv's int32 sum once) can differ from QDQ's float
// reading (DequantizeLinear → float Conv → QuantizeLinear) by one
// quantization step per layer, which is why whole-model comparisons with
// ONNX Runtime use a tolerance (see frontend/onnx's int8 tests).
const (
	OpQuantizeLinear           Op = 100 // inputs x, scale [, zp]; Axis, QType: y = sat(roundEven(x/s) + zp)
	OpDequantizeLinear         Op = 101 // inputs x, scale [, zp]; Axis: y = (x − zp)·s
	OpQLinearConv              Op = 102 // inputs x, xs, xzp, w, ws, wzp, ys, yzp [, B]; Conv attrs, QType
	OpQLinearMatMul            Op = 103 // inputs a, as, azp, b, bs, bzp, ys, yzp; QType
	OpQLinearAdd               Op = 104 // inputs a, as, azp, b, bs, bzp, cs, czp; QType (com.microsoft)
	OpQLinearMul               Op = 105 // as QLinearAdd, product
	OpQLinearGlobalAveragePool Op = 106 // inputs x, xs, xzp, ys, yzp; QType (NCHW)
	OpQLinearSigmoid           Op = 107 // inputs x, xs, xzp, ys, yzp; QType
	OpQLinearLeakyRelu         Op = 108 // inputs x, xs, xzp, ys, yzp; Alpha, QType
	OpQGemm                    Op = 109 // inputs a, as, azp, b, bs, bzp [, C [, ys [, yzp]]]; Alpha, TransA, TransB, QType (com.microsoft)
	OpConvInteger              Op = 110 // inputs x, w [, xzp [, wzp]]; Conv attrs: int32 sum
	OpMatMulInteger            Op = 111 // inputs a, b [, azp [, bzp]]: int32 sum
	OpDynQuantScale            Op = 112 // input x: DynamicQuantizeLinear's scale (a scalar)
	OpDynQuantZeroPoint        Op = 113 // input x: DynamicQuantizeLinear's uint8 zero point (a scalar)
	// OpRequantize is mnc's own (compiled plans, passes/quant.go): inputs acc,
	// m (a scalar or per channel along axis 1), zp; QType. It maps an exact
	// integer sum to a centred quantized value (stored minus its zero point):
	// y = sat(roundEven(float32(acc)·m[c]) + zp) − zp.
	OpRequantize Op = 114
	// OpQAdd is mnc's own too: QLinearAdd on centred operands, the four
	// steps Mul, Mul, Add, QuantizeLinear as one (inputs a, b, as, bs, cs, zp;
	// QType): y = sat(roundEven(float32(float32(a·as) + float32(b·bs))/cs) + zp)
	// − zp, a division as QuantizeLinear's (a multiply by 1/cs rounds a
	// near-tie the other way: one step, which a network amplifies). a, b and
	// y have one shape (no broadcasting).
	OpQAdd Op = 115
)

func init() {
	const ref = "reference/quant.go"
	for _, e := range []struct {
		op          Op
		name, attrs string
		min         int
	}{
		{OpQuantizeLinear, "QuantizeLinear", "Axis, QType", 2},
		{OpDequantizeLinear, "DequantizeLinear", "Axis, QType", 2},
		{OpQLinearConv, "QLinearConv", "Strides, Pads, Dilations, Group, QType", 8},
		{OpQLinearMatMul, "QLinearMatMul", "QType", 8},
		{OpQLinearAdd, "QLinearAdd", "QType", 7},
		{OpQLinearMul, "QLinearMul", "QType", 7},
		{OpQLinearGlobalAveragePool, "QLinearGlobalAveragePool", "QType", 4},
		{OpQLinearSigmoid, "QLinearSigmoid", "QType", 4},
		{OpQLinearLeakyRelu, "QLinearLeakyRelu", "Alpha, QType", 4},
		{OpQGemm, "QGemm", "Alpha, TransA, TransB, QType", 5},
		{OpConvInteger, "ConvInteger", "Strides, Pads, Dilations, Group", 2},
		{OpMatMulInteger, "MatMulInteger", "", 2},
		{OpDynQuantScale, "DynamicQuantizeLinear.scale", "", 1},
		{OpDynQuantZeroPoint, "DynamicQuantizeLinear.zero_point", "", 1},
		{OpRequantize, "mnc.Requantize", "QType", 3},
		{OpQAdd, "mnc.QAdd", "QType", 6},
	} {
		RegisterOp(e.op, OpInfo{Name: e.name, MinInputs: e.min, Attrs: e.attrs, Infer: inferQuant, Eval: ref})
	}
}

// IsQuant reports whether o is one of the quantized operators (100–139).
func (o Op) IsQuant() bool { return o >= 100 && o < 140 }

// QType is the integer type of a quantized tensor.
type QType uint8

const (
	QUint8 QType = iota // the zero value: ONNX's default for QuantizeLinear
	QInt8
	QUint16
	QInt16
	QInt32
)

var qtypeNames = [...]string{"uint8", "int8", "uint16", "int16", "int32"}

func (t QType) String() string {
	if int(t) < len(qtypeNames) {
		return qtypeNames[t]
	}
	return fmt.Sprintf("QType(%d)", uint8(t))
}

// Range is the type's [lo, hi].
func (t QType) Range() (lo, hi int32) {
	switch t {
	case QInt8:
		return -128, 127
	case QUint16:
		return 0, 65535
	case QInt16:
		return -32768, 32767
	case QInt32:
		return math.MinInt32, math.MaxInt32
	}
	return 0, 255
}

// requantAct is ActRequant (ir/op.go): Requantize of x by multiplier m
// with the zero point subtracted, the type's range minus the zero point
// being [lo, hi].
func requantAct(x, m, lo, hi float32) float32 {
	v := x * m
	if v != v {
		return 0
	}
	r := float32(math.RoundToEven(float64(v)))
	if r < lo {
		r = lo
	}
	if r > hi {
		r = hi
	}
	return r
}

// QAdd is OpQAdd on one pair of centred values.
func QAdd(a, as, b, bs, cs float32, zp int32, t QType) float32 {
	return Quantize(float32(a*as)+float32(b*bs), cs, zp, t) - float32(zp)
}

// Quantize is QuantizeLinear on one value: sat(roundEven(x/s) + zp),
// x/s in float32.
func Quantize(x, s float32, zp int32, t QType) float32 {
	q := x / s
	if q != q {
		return float32(zp)
	}
	lo, hi := t.Range()
	// Clamp before adding zp so that ±Inf and huge quotients saturate.
	r := math.RoundToEven(float64(q)) + float64(zp)
	return float32(math.Max(float64(lo), math.Min(float64(hi), r)))
}

// Dequantize is DequantizeLinear on one value: (x − zp)·s in float32.
func Dequantize(x float32, zp int32, s float32) float32 {
	return float32(int64(x)-int64(zp)) * s
}

// Requantize maps an int32 accumulator (held exactly in acc) to the output
// type: sat(roundEven(float32(acc)·m) + zp).
func Requantize(acc float64, m float32, zp int32, t QType) float32 {
	v := float32(acc) * m
	if v != v {
		return float32(zp)
	}
	lo, hi := t.Range()
	r := math.RoundToEven(float64(v)) + float64(zp)
	return float32(math.Max(float64(lo), math.Min(float64(hi), r)))
}
