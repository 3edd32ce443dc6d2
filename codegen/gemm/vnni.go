package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// vnniGemm is the int8 GEMM micro-kernel for AVX-512 VNNI (issue #14's
// building block, not yet used by plans): rows × 32 int32 sums
//
//	C[i][j] = Σ_p A[i][p]·B[p][j],  A uint8 (activations, row stride lda),
//	                                B int8 (weights), p < 4·kq
//
// with B packed as kq groups of 32 columns × 4 bytes (kernels.PackGemmS8):
// per group, VPBROADCASTD puts A[i][4q:4q+4] in every lane and VPDPBUSD
// adds the four u8×s8 products of each column into its int32 lane, exactly
// (no int16 intermediate, unlike AVX2's VPMADDUBSW). The epilogue
// (zero-point compensation, bias, requantization) is the caller's.
type vnniGemm struct {
	name string
	rows int
	// q: requantize in the epilogue and store bytes (kernels.QGemmU8S8):
	// y = sat(roundEven(float32(acc − comp[j])·mult[j]) + zp), with the
	// clamp in float32 before the conversion (no int32 overflow) and the
	// conversion rounding to nearest even by its {rn-sae} operand. The q
	// block: comp *int32, mult *float32, flo, fhi float32 (the type's range
	// minus zp), zp int32.
	q bool
}

// Offsets in the q block (kernels.qgemmParams).
const qComp, qMult, qLo, qHi, qZp = 0, 8, 16, 20, 24

func (g vnniGemm) emit() {
	doc := fmt.Sprintf("%s computes %d rows × 32 columns of u8 A (row stride lda bytes) times packed s8 B over 4·kq inputs, requantized to bytes in C (row stride ldc bytes) by the block q; needs AVX512_VNNI.", g.name, g.rows)
	if !g.q {
		doc = fmt.Sprintf("%s computes %d rows × 32 columns of int32 sums of u8 A (row stride lda bytes) times packed s8 B over 4·kq inputs into C (row stride ldc int32s); needs AVX512_VNNI.", g.name, g.rows)
	}
	kq, b, rowp := int8TileHeader(g.name, g.rows, g.q, doc)
	acc := make([]VecPhysical, 2*g.rows)
	for i := range acc {
		acc[i] = avx512.regs[i]
		VPXORD(acc[i], acc[i], acc[i])
	}
	b0, b1, t := avx512.regs[2*g.rows], avx512.regs[2*g.rows+1], avx512.regs[2*g.rows+2]
	TESTQ(kq, kq)
	JZ(LabelRef("store"))
	Label("loop")
	VMOVDQU32(Mem{Base: b}, b0)
	VMOVDQU32(Mem{Base: b, Disp: 64}, b1)
	for i, p := range rowp {
		VPBROADCASTD(Mem{Base: p}, t)
		VPDPBUSD(b0, t, acc[2*i]) // acc += Σ4 t(u8)·b0(s8)
		VPDPBUSD(b1, t, acc[2*i+1])
		ADDQ(Imm(4), p)
	}
	ADDQ(Imm(128), b)
	DECQ(kq)
	JNZ(LabelRef("loop"))
	Label("store")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	if !g.q {
		SHLQ(Imm(2), ldc)
		for i := 0; i < g.rows; i++ {
			VMOVDQU32(acc[2*i], Mem{Base: c})
			VMOVDQU32(acc[2*i+1], Mem{Base: c, Disp: 64})
			if i+1 < g.rows {
				ADDQ(ldc, c)
			}
		}
		VZEROUPPER()
		RET()
		return
	}
	q := Load(Param("q"), GP64())
	comp, mult := GP64(), GP64()
	MOVQ(Mem{Base: q, Disp: qComp}, comp)
	MOVQ(Mem{Base: q, Disp: qMult}, mult)
	lo, hi, zp := avx512.regs[2*g.rows], avx512.regs[2*g.rows+1], avx512.regs[2*g.rows+2]
	VBROADCASTSS(Mem{Base: q, Disp: qLo}, lo)
	VBROADCASTSS(Mem{Base: q, Disp: qHi}, hi)
	VPBROADCASTD(Mem{Base: q, Disp: qZp}, zp)
	for v := 0; v < 2; v++ {
		for i := 0; i < g.rows; i++ {
			x := acc[2*i+v]
			VPSUBD(Mem{Base: comp, Disp: 64 * v}, x, x)
			VCVTDQ2PS(x, x) // exact rounding of the int32 sum, as float32(acc)
			VMULPS(Mem{Base: mult, Disp: 64 * v}, x, x)
			VMAXPS(lo, x, x)
			VMINPS(hi, x, x)
			VCVTPS2DQ_RN_SAE(x, x) // round to nearest even
			VPADDD(zp, x, x)
		}
	}
	for i := 0; i < g.rows; i++ {
		VPMOVDB(acc[2*i], Mem{Base: c})
		VPMOVDB(acc[2*i+1], Mem{Base: c, Disp: 16})
		if i+1 < g.rows {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// avx2Int8Gemm is vnniGemm for AVX2, exactly: VPMADDUBSW adds two u8×s8
// products into an int16 with saturation, and 255·127 + 255·127 = 64770
// does not fit. So each activation byte a is split as a = (a & 0x7F) +
// (a & 0x80): pairs of (a & 0x7F)·w lie in [−32512, 32512] and pairs of
// (a & 0x80)·w (128·w) in [−32768, 32512], both exact in int16; VPMADDWD
// by ones widens each to int32 sums of 4 products, added to the
// accumulators. Twice VNNI's instruction count per product, no rounding
// anywhere. It uses the same packed weights (32-column groups of 4 bytes)
// and does 16 columns of a panel: b points at the first or second half.
type avx2Int8Gemm struct {
	name string
	rows int
	q    bool // requantize to bytes in the epilogue, as avxVNNIGemm's q
}

func (g avx2Int8Gemm) emit() {
	doc := fmt.Sprintf("%s computes %d rows × 16 columns of u8 A (row stride lda bytes) times packed s8 B (a half panel: groups 128 bytes apart) over 4·kq inputs, exactly, requantized to bytes in C (row stride ldc bytes) by the block q (16 comp and mult), on AVX2.", g.name, g.rows)
	if !g.q {
		doc = fmt.Sprintf("%s computes %d rows × 16 columns of int32 sums of u8 A (row stride lda bytes) times packed s8 B (a half panel: groups 128 bytes apart) over 4·kq inputs into C (row stride ldc int32s), exactly, on AVX2.", g.name, g.rows)
	}
	kq, b, rowp := int8TileHeader(g.name, g.rows, g.q, doc)
	r := avx2.regs
	acc := r[:2*g.rows]
	for _, v := range acc {
		VPXOR(v, v, v)
	}
	b0, b1, mask, ones, alo, ahi, t := r[2*g.rows], r[2*g.rows+1], r[2*g.rows+2], r[2*g.rows+3], r[2*g.rows+4], r[2*g.rows+5], r[2*g.rows+6]
	k := GP32()
	MOVL(U32(0x7f7f7f7f), k)
	VMOVD(k, mask.AsX())
	VPBROADCASTD(mask.AsX(), mask)
	MOVL(U32(0x00010001), k)
	VMOVD(k, ones.AsX())
	VPBROADCASTD(ones.AsX(), ones)
	TESTQ(kq, kq)
	JZ(LabelRef("store"))
	Label("loop")
	VMOVDQU(Mem{Base: b}, b0)
	VMOVDQU(Mem{Base: b, Disp: 32}, b1)
	for i, p := range rowp {
		VPBROADCASTD(Mem{Base: p}, alo)
		VPANDN(alo, mask, ahi) // a & 0x80
		VPAND(mask, alo, alo)  // a & 0x7F
		for v, bv := range []VecPhysical{b0, b1} {
			for _, x := range []VecPhysical{alo, ahi} {
				VPMADDUBSW(bv, x, t) // int16 pairs x(u8)·b(s8), exact (see above)
				VPMADDWD(ones, t, t)
				VPADDD(t, acc[2*i+v], acc[2*i+v])
			}
		}
		ADDQ(Imm(4), p)
	}
	ADDQ(Imm(128), b)
	DECQ(kq)
	JNZ(LabelRef("loop"))
	Label("store")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	if g.q {
		requantStoreYmm(acc, c, ldc, [4]VecPhysical{b0, b1, alo, ahi})
		return
	}
	storeSumsYmm(acc, c, ldc)
}

// int8TileHeader declares an int8 tile kernel of the given rows, requantizing
// to bytes (q) or storing int32 sums, documented by doc; it loads kq and b
// and returns them with the pointers to the tile's rows of A.
func int8TileHeader(name string, rows int, q bool, doc string) (kq, b Register, rowp []GPVirtual) {
	if q {
		TEXT(name, NOSPLIT, "func(kq int, a *uint8, lda int, b *int8, c *uint8, ldc int, q *int32)")
	} else {
		TEXT(name, NOSPLIT, "func(kq int, a *uint8, lda int, b *int8, c *int32, ldc int)")
	}
	Pragma("noescape")
	Doc(doc)
	kq = Load(Param("kq"), GP64())
	a := Load(Param("a"), GP64())
	lda := Load(Param("lda"), GP64())
	b = Load(Param("b"), GP64())
	rowp = make([]GPVirtual, rows)
	for i := range rowp {
		rowp[i] = GP64()
		if i == 0 {
			MOVQ(a, rowp[i])
		} else {
			LEAQ(Mem{Base: rowp[i-1], Index: lda, Scale: 1}, rowp[i])
		}
	}
	return kq, b, rowp
}

// storeSumsYmm stores rows of two ymm int32 sums (acc[2i], acc[2i+1]: 16
// columns) at c, row stride ldc int32s, and returns.
func storeSumsYmm(acc []VecPhysical, c, ldc Register) {
	SHLQ(Imm(2), ldc)
	for i := 0; i < len(acc)/2; i++ {
		VMOVDQU(acc[2*i], Mem{Base: c})
		VMOVDQU(acc[2*i+1], Mem{Base: c, Disp: 32})
		if 2*i+2 < len(acc) {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}
