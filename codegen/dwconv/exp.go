package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// ExpSum: out[i] = exp(x[i] − m) for n elements and the sum of them, the
// exponential of a softmax row. exp is Cephes' expf: k = round(x·log2 e),
// r = x − k·ln2 (two-part ln2, FMA), e^r = 1 + r + r²·P(r) with a degree-5
// P, times 2^k built in two halves 2^(k>>1)·2^(k−k>>1) so that results
// down to the subnormals (and the underflow to 0) and up to the overflow
// to +Inf come out with one rounding. x is clamped to [−110, 89] first
// (VMAXPS/VMINPS with x as the second source keep a NaN a NaN).

const expSig = "func(x, out *float32, n int, ms *float32, mask *int32)"

// expConsts are broadcast from the expconst table, in this order.
var expConsts = []float32{
	-110, 89, // clamp
	float32(math.Log2E),
	0.693359375, -2.12194440e-4, // ln2 = C1 + C2, C1 with few bits
	1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
	1,
}

var expTab Mem

func genExpConsts() {
	expTab = GLOBL("expconst", RODATA|NOPTR)
	for i, c := range expConsts {
		DATA(4*i, F32(c))
	}
	DATA(4*len(expConsts), U32(127)) // exponent bias, for 2^k
}

func expConst(i int) Mem { return expTab.Offset(4 * i) }

func genExpSum(t *target) {
	name := miscName("ExpSum", t)
	TEXT(name, NOSPLIT, expSig)
	Pragma("noescape")
	Doc(name + " sets out[i] = exp(x[i] − ms[0]) for n > 0 elements and ms[1] to their sum (out may be x).")
	x := loadGP("x")
	out := loadGP("out")
	ms := loadGP("ms")
	m, acc := t.vec(), t.vec()
	VBROADCASTSS(Mem{Base: ms}, m)
	VXORPS(acc, acc, acc)
	c, cst := expConstRegs(t)
	ns, nend := channelBounds(t, "n")
	channelLoop(t, ns, nend, func(i GPVirtual) {
		v := t.vec()
		t.load(Mem{Base: x, Index: i, Scale: 1}, v)
		VSUBPS(m, v, v)
		p := expVec(t, v, c, cst)
		t.store(p, Mem{Base: out, Index: i, Scale: 1})
		switch {
		case !t.masked:
			VADDPS(p, acc, acc)
		case t.VL == 16:
			VADDPS(p, acc, t.kmask, acc)
		default:
			VANDPS(t.ymask, p, p)
			VADDPS(p, acc, acc)
		}
	})
	// Horizontal sum of acc into ms[1].
	y, xl := acc.AsY(), acc.AsX()
	if t.VL == 16 {
		u := YMM()
		VEXTRACTF32X8(U8(1), acc, u)
		VADDPS(u, y, y)
	}
	u := XMM()
	VEXTRACTF128(U8(1), y, u)
	VADDPS(u, xl, xl)
	VMOVHLPS(xl, xl, u)
	VADDPS(u, xl, xl)
	VMOVSHDUP(xl, u)
	VADDSS(u, xl, xl)
	VMOVSS(xl, Mem{Base: ms, Disp: 4})
	VZEROUPPER()
	RET()
}

// expConstRegs loads the exp constants: all of them on AVX-512, the first
// five on AVX2 (16 registers; cst broadcasts the others where used).
func expConstRegs(t *target) (c []VecVirtual, cst func(i int) VecVirtual) {
	c = make([]VecVirtual, len(expConsts)+1)
	for i := range c {
		if t.VL == 16 || i < 5 {
			c[i] = t.vec()
			VBROADCASTSS(expConst(i), c[i])
		}
	}
	cst = func(i int) VecVirtual {
		if c[i] != nil {
			return c[i]
		}
		r := t.vec()
		VBROADCASTSS(expConst(i), r)
		return r
	}
	return c, cst
}

// expVec returns exp(v) (v is overwritten), the body both ExpSum and
// Sigmoid share.
func expVec(t *target, v VecVirtual, c []VecVirtual, cst func(i int) VecVirtual) VecVirtual {
	lo, hi, log2e, c1, c2 := c[0], c[1], c[2], c[3], c[4]
	VMAXPS(v, lo, v) // NaN in v: v (second source)
	VMINPS(v, hi, v)
	k, kf := t.vec(), t.vec()
	VMULPS(log2e, v, kf)
	VCVTPS2DQ(kf, k) // round to nearest (MXCSR default)
	VCVTDQ2PS(k, kf)
	VFNMADD231PS(c1, kf, v) // r = x − k·C1 − k·C2
	VFNMADD231PS(c2, kf, v)
	p := t.vec()
	VMOVAPS(cst(5), p)
	for i := 6; i < 11; i++ {
		VFMADD213PS(cst(i), v, p) // p = p·r + P[i]
	}
	r2 := t.vec()
	VMULPS(v, v, r2)
	VFMADD213PS(v, r2, p) // p = p·r² + r
	VADDPS(cst(11), p, p)
	k1 := t.vec()
	VPSRAD(U8(1), k, k1)
	VPSUBD(k1, k, k) // k − k>>1
	bias := cst(12)
	VPADDD(bias, k1, k1)
	VPADDD(bias, k, k)
	VPSLLD(U8(23), k1, k1)
	VPSLLD(U8(23), k, k)
	VMULPS(k1, p, p)
	VMULPS(k, p, p)
	return p
}

const sigmoidSig = "func(x, out *float32, n int, mask *int32)"

// genSigmoid emits Sigmoid: out[i] = 1/(1+exp(−x[i])) over n > 0 elements
// with ExpSum's exponential (x below −88.7 gives 0 where float64 would give
// a subnormal; NaN stays NaN; out may be x).
func genSigmoid(t *target) {
	name := miscName("Sigmoid", t)
	TEXT(name, NOSPLIT, sigmoidSig)
	Pragma("noescape")
	Doc(name + " sets out[i] = 1/(1+exp(−x[i])) for n > 0 elements (out may be x).")
	x := loadGP("x")
	out := loadGP("out")
	c, cst := expConstRegs(t)
	zero := t.vec()
	VXORPS(zero, zero, zero)
	ns, nend := channelBounds(t, "n")
	channelLoop(t, ns, nend, func(i GPVirtual) {
		v := t.vec()
		t.load(Mem{Base: x, Index: i, Scale: 1}, v)
		VSUBPS(v, zero, v) // −x
		p := expVec(t, v, c, cst)
		one := cst(11)
		VADDPS(one, p, p)
		VDIVPS(p, one, p) // 1/(1+e^−x)
		t.store(p, Mem{Base: out, Index: i, Scale: 1})
	})
	VZEROUPPER()
	RET()
}

const maxSig = "func(x *float32, n int, res *float32, mask *int32)"

// genMax emits Max: res[0] = max(res[0], x[0..n)) over n > 0 elements. A NaN
// in x may or may not come out (VMAXPS returns its second source).
func genMax(t *target) {
	name := miscName("Max", t)
	TEXT(name, NOSPLIT, maxSig)
	Pragma("noescape")
	Doc(name + " sets res[0] = max(res[0], x[i]) over n > 0 elements (NaN in x: unspecified).")
	x := loadGP("x")
	res := loadGP("res")
	acc := t.vec()
	VBROADCASTSS(Mem{Base: res}, acc)
	ns, nend := channelBounds(t, "n")
	channelLoop(t, ns, nend, func(i GPVirtual) {
		v := t.vec()
		t.load(Mem{Base: x, Index: i, Scale: 1}, v)
		switch {
		case !t.masked:
			VMAXPS(v, acc, acc)
		case t.VL == 16:
			VMAXPS(v, acc, t.kmask, acc)
		default:
			VBLENDVPS(t.ymask, v, acc, v) // tail lanes: acc's
			VMAXPS(v, acc, acc)
		}
	})
	y, xl := acc.AsY(), acc.AsX()
	if t.VL == 16 {
		u := YMM()
		VEXTRACTF32X8(U8(1), acc, u)
		VMAXPS(u, y, y)
	}
	u := XMM()
	VEXTRACTF128(U8(1), y, u)
	VMAXPS(u, xl, xl)
	VMOVHLPS(xl, xl, u)
	VMAXPS(u, xl, xl)
	VMOVSHDUP(xl, u)
	VMAXSS(u, xl, xl)
	VMOVSS(xl, Mem{Base: res})
	VZEROUPPER()
	RET()
}
