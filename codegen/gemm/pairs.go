package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// k-pair kernels (AVX2, panels of at most 8 columns). A plain 8-column
// AVX2 tile needs one VBROADCASTSS per FMA, and broadcasts, not FMAs, then
// bound it (67% of the FMA peak measured). Packed in k pairs instead, row q
// of the panel holds 16 floats: lanes 2j and 2j+1 are B[2q][j] and
// B[2q+1][j] (zero past k and past the panel's columns; kernels/
// gemm_pack_pairs_amd64.go). One 64-bit broadcast of A[i][2q:2q+2] then feeds two
// FMAs (columns 0-3 and 4-7), the odd and even k terms accumulate in
// neighbouring lanes, and one VHADDPS + VPERMPD per row folds them into the
// 8 outputs before the usual epilogue.

//
// The AVX-512 k-pair kernels read the same panel: a pair row is one zmm
// (all 8 columns), so one 64-bit broadcast feeds one full-width FMA where
// the AVX2 kernel needs two ymm FMAs. On a host with two zmm FMA pipes the
// ymm kernel reaches at most half the zmm peak (784×120→40: its 8-column
// panel held the GEMM at 84% of the peak, Zen 5). The fold is the same on
// the zmm's halves; VHADDPS has no EVEX form for Y16-Y31, so it is two
// VSHUFPS (even and odd k of each pair) and an add.

// pairVecs is the number of column-pair vectors per row: 2 ymm on AVX2
// (columns 0-3 and 4-7), 1 zmm on AVX-512.
func (g *gemmKernel) pairVecs() int {
	if g.isa.evex {
		return 1
	}
	return 2
}

// pairAcc is row i's accumulator of column pairs for vector v (columns
// 4v…4v+3 on AVX2, all on AVX-512); row i's folded result ends in
// pairAcc(i, 0) = accReg(i, 0).
func (g *gemmKernel) pairAcc(i, v int) VecPhysical { return g.acc[v*g.mr+i] }

func (g *gemmKernel) zeroPairs(h int) {
	for i := 0; i < h; i++ {
		for v := 0; v < g.pairVecs(); v++ {
			g.isa.zero(g.pairAcc(i, v))
		}
	}
}

// pairLoop runs the k loop of an h-row k-pair tile, folds the pairs and
// adds the bias, leaving row i's 8 sums in accReg(i, 0).
func (g *gemmKernel) pairLoop(h int, p string, aMem func(i, disp int) Mem, groups []Register, pb Register) {
	n4 := Load(Param("k"), GP64())
	n1 := GP64()
	MOVQ(n4, n1)
	// step multiplies the B pair row at byte offset boff by row i's A pair
	// at disp (or, single, by [A[i][k-1], 0] for an odd k).
	nv := g.pairVecs()
	step := func(disp, boff int, single bool) {
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: pb, Disp: boff + 32*v}, g.b[v])
		}
		for i := 0; i < h; i++ {
			t := g.tmp[i%len(g.tmp)]
			if single {
				VMOVSS(aMem(i, disp), t.AsX()) // upper lanes zeroed: [a, 0]
				VBROADCASTSD(t.AsX(), t)
			} else {
				VBROADCASTSD(aMem(i, disp), t)
			}
			for v := 0; v < nv; v++ {
				VFMADD231PS(g.b[v], t, g.pairAcc(i, v))
			}
		}
	}
	kPairLoop(p, n4, n1, groups, pb, 4*8, step) // 16 floats per pair = 8 per k step

	Label(label(p, "fold"))
	if g.isa.evex {
		Comment("Fold the k pairs: [c0 c1 c4 c5 | c2 c3 c6 c7] by VSHUFPS even + odd of the two halves, then qwords 0,2,1,3.")
	} else {
		Comment("Fold the k pairs: [c0 c1 c4 c5 | c2 c3 c6 c7] by VHADDPS, then qwords 0,2,1,3.")
	}
	f := g.free
	for i := 0; i < h; i++ {
		lo := g.pairAcc(i, 0).AsY()
		if g.isa.evex {
			hi := f[0].AsY()
			VEXTRACTF64X4(Imm(1), g.pairAcc(i, 0), hi)
			VSHUFPS(Imm(0x88), hi, lo, f[1].AsY())
			VSHUFPS(Imm(0xDD), hi, lo, lo)
			VADDPS(f[1].AsY(), lo, lo)
		} else {
			VHADDPS(g.pairAcc(i, 1), lo, lo)
		}
		VPERMPD(Imm(0xD8), lo, lo)
	}
	Comment("Bias (masked to the panel's columns).")
	var masks []VecPhysical
	if g.masked && !g.isa.evex {
		masks = f[len(f)-1:]
		g.avx2Masks(masks)
	}
	bias := Load(Param("bias"), GP64())
	g.load(Mem{Base: bias}, 0, f[0], masks)
	for i := 0; i < h; i++ {
		VADDPS(g.as(f[0], 0), g.accReg(i, 0), g.accReg(i, 0))
	}
}

// kPairLoop emits a k-pair tile's k loop: two pairs (four k) per
// iteration, then one pair, then a last odd k (n4 and n1 both hold k).
// step(aDisp, bDisp, odd) multiplies the pair at those byte displacements
// from the A row pointers and pb (odd: the last k alone); the pointers
// then move 4 bytes (A) and bBytesPerK (B) per k.
func kPairLoop(p string, n4, n1 Register, groups []Register, pb Register, bBytesPerK int, step func(aDisp, bDisp int, odd bool)) {
	advance := func(kSteps int) {
		for _, r := range groups {
			ADDQ(U32(4*kSteps), r)
		}
		ADDQ(U32(bBytesPerK*kSteps), pb)
	}
	SHRQ(Imm(2), n4)
	JZ(LabelRef(label(p, "pair")))
	Label(label(p, "k4"))
	step(0, 0, false)
	step(8, 2*bBytesPerK, false)
	advance(4)
	DECQ(n4)
	JNZ(LabelRef(label(p, "k4")))
	Label(label(p, "pair"))
	TESTQ(U32(2), n1)
	JZ(LabelRef(label(p, "odd")))
	step(0, 0, false)
	advance(2)
	Label(label(p, "odd"))
	TESTQ(U32(1), n1)
	JZ(LabelRef(label(p, "fold")))
	step(0, 0, true)
}
