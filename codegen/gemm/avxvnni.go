package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// avxVNNIGemm is avx2Int8Gemm on AVX-VNNI (Alder/Raptor/Meteor Lake
// clients, Zen 5 client: VPDPBUSD on ymm without AVX-512): per group of 4
// inputs, VPBROADCASTD of A's 4 bytes and one VPDPBUSD per 8 columns adds
// the four u8×s8 products of each column into its int32 lane, exactly (no
// int16 step, so no split of the activation byte). Same packed weights and
// the same half panels of 16 columns as avx2Int8Gemm (b points at the
// first or second half, groups 128 bytes apart).
//
// The Go assembler only knows the EVEX form of VPDPBUSD (AVX512_VNNI +
// AVX512VL: it faults on AVX-VNNI-only machines), so the VEX form is
// emitted as BYTEs (vexVPDPBUSD) on fixed physical registers.
type avxVNNIGemm struct {
	name string
	rows int
	// q: requantize in the epilogue and store bytes, as vnniGemm's q
	// (same q block): acc − comp[j], VCVTDQ2PS, ×mult[j], clamp in float32,
	// VROUNDPS to nearest even (immediate rounding, not MXCSR's), VCVTTPS2DQ
	// (exact: integral), +zp; then each row's 16 int32 (in [−128, 255])
	// to their low bytes: VPACKSSDW (exact), VPERMQ back to column order,
	// the low byte of each word kept and VPACKUSWB (exact on [0, 255]).
	q bool
}

// vexVPDPBUSD encodes VEX.256.66.0F38.W0 50 /r, `{vex} vpdpbusd ymm(src2),
// ymm(src1), ymm(dst)` in AT&T order: dst += Σ4 src1(u8)·src2(s8) per
// int32 lane. The 3-byte VEX prefix: C4; R̄X̄B̄ and map 0F38 (00010); W=0,
// v̄v̄v̄v̄ = ¬src1, L=1 (256 bits), pp=01 (66); then the opcode and ModRM
// (mod 11, reg dst, r/m src2).
func vexVPDPBUSD(dst, src1, src2 int) [5]byte {
	if dst|src1|src2 < 0 || dst > 15 || src1 > 15 || src2 > 15 {
		panic(fmt.Sprintf("vexVPDPBUSD: registers %d %d %d", dst, src1, src2))
	}
	b1 := byte(0x02) // map 0F38
	if dst < 8 {
		b1 |= 0x80 // R̄
	}
	b1 |= 0x40 // X̄: no index register
	if src2 < 8 {
		b1 |= 0x20 // B̄
	}
	b2 := byte(^src1&15)<<3 | 0x04 | 0x01 // W0, v̄v̄v̄v̄, L1, pp 66
	return [5]byte{0xC4, b1, b2, 0x50, 0xC0 | byte(dst&7)<<3 | byte(src2&7)}
}

// vpdpbusdVEX emits vexVPDPBUSD for physical ymm registers (dst += src1(u8)
// ·src2(s8)), with the instruction in a comment.
func vpdpbusdVEX(src2, src1, dst VecPhysical) {
	Comment(fmt.Sprintf("{vex} VPDPBUSD %s, %s, %s", src2.Asm(), src1.Asm(), dst.Asm()))
	for _, b := range vexVPDPBUSD(int(dst.PhysicalIndex()), int(src1.PhysicalIndex()), int(src2.PhysicalIndex())) {
		Instruction(&ir.Instruction{Opcode: "BYTE", Operands: []Op{U8(b)}})
	}
}

func (g avxVNNIGemm) emit() {
	doc := fmt.Sprintf("%s computes %d rows × 16 columns of u8 A (row stride lda bytes) times packed s8 B (a half panel: groups 128 bytes apart) over 4·kq inputs, requantized to bytes in C (row stride ldc bytes) by the block q (16 comp and mult); needs AVX-VNNI (VEX VPDPBUSD, emitted as bytes).", g.name, g.rows)
	if !g.q {
		doc = fmt.Sprintf("%s computes %d rows × 16 columns of int32 sums of u8 A (row stride lda bytes) times packed s8 B (a half panel: groups 128 bytes apart) over 4·kq inputs into C (row stride ldc int32s), exactly; needs AVX-VNNI (VEX VPDPBUSD, emitted as bytes).", g.name, g.rows)
	}
	kq, b, rowp := int8TileHeader(g.name, g.rows, g.q, doc)
	r := avx2.regs
	acc := r[:2*g.rows]
	for _, v := range acc {
		VPXOR(v, v, v)
	}
	b0, b1, t := r[2*g.rows], r[2*g.rows+1], r[2*g.rows+2]
	TESTQ(kq, kq)
	JZ(LabelRef("store"))
	Label("loop")
	VMOVDQU(Mem{Base: b}, b0)
	VMOVDQU(Mem{Base: b, Disp: 32}, b1)
	for i, p := range rowp {
		VPBROADCASTD(Mem{Base: p}, t)
		vpdpbusdVEX(b0, t, acc[2*i]) // acc += Σ4 t(u8)·b0(s8)
		vpdpbusdVEX(b1, t, acc[2*i+1])
		ADDQ(Imm(4), p)
	}
	ADDQ(Imm(128), b)
	DECQ(kq)
	JNZ(LabelRef("loop"))
	Label("store")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	if !g.q {
		storeSumsYmm(acc, c, ldc)
		return
	}
	requantStoreYmm(acc, c, ldc, [4]VecPhysical{b0, b1, t, r[2*g.rows+3]})
	VZEROUPPER()
	RET()
}

// requantStoreYmm is the q epilogue of avxVNNIGemm and avx2Int8Gemm: rows
// of two ymm int32 sums (acc[2i], acc[2i+1]: 16 columns) requantized by the
// q block (Param "q") and stored as 16 bytes per row at c (row stride ldc
// bytes); k4 are four free registers for the constants.
func requantStoreYmm(acc []VecPhysical, c, ldc Register, k4 [4]VecPhysical) {
	rows := len(acc) / 2
	q := Load(Param("q"), GP64())
	comp, mult := GP64(), GP64()
	MOVQ(Mem{Base: q, Disp: qComp}, comp)
	MOVQ(Mem{Base: q, Disp: qMult}, mult)
	lo, hi, zp, bytes := k4[0], k4[1], k4[2], k4[3]
	VBROADCASTSS(Mem{Base: q, Disp: qLo}, lo)
	VBROADCASTSS(Mem{Base: q, Disp: qHi}, hi)
	VPBROADCASTD(Mem{Base: q, Disp: qZp}, zp)
	k := GP32()
	MOVL(U32(0x00ff00ff), k)
	VMOVD(k, bytes.AsX())
	VPBROADCASTD(bytes.AsX(), bytes)
	for i := 0; i < rows; i++ {
		for v := 0; v < 2; v++ {
			x := acc[2*i+v]
			VPSUBD(Mem{Base: comp, Disp: 32 * v}, x, x)
			VCVTDQ2PS(x, x) // exact rounding of the int32 sum, as float32(acc)
			VMULPS(Mem{Base: mult, Disp: 32 * v}, x, x)
			VMAXPS(lo, x, x)
			VMINPS(hi, x, x)
			VROUNDPS(Imm(0), x, x) // to nearest even
			VCVTTPS2DQ(x, x)
			VPADDD(zp, x, x)
		}
		x0, x1 := acc[2*i], acc[2*i+1]
		VPACKSSDW(x1, x0, x0)     // words: 0-3, 8-11 | 4-7, 12-15
		VPERMQ(Imm(0xd8), x0, x0) // 0-15 in order
		VPAND(bytes, x0, x0)      // the low byte (two's complement for int8 outputs)
		VEXTRACTI128(Imm(1), x0, x1.AsX())
		VPACKUSWB(x1.AsX(), x0.AsX(), x0.AsX())
		VMOVDQU(x0.AsX(), Mem{Base: c})
		if i+1 < rows {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}
