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

// pairAcc is row i's accumulator of column pairs for vector v (columns
// 4v…4v+3); row i's folded result ends in pairAcc(i, 0) = accReg(i, 0).
func (g *gemmKernel) pairAcc(i, v int) VecPhysical { return g.acc[v*g.mr+i] }

func (g *gemmKernel) zeroPairs(h int) {
	for i := 0; i < h; i++ {
		for v := 0; v < 2; v++ {
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
	step := func(disp, boff int, single bool) {
		VMOVUPS(Mem{Base: pb, Disp: boff}, g.b[0])
		VMOVUPS(Mem{Base: pb, Disp: boff + 32}, g.b[1])
		for i := 0; i < h; i++ {
			t := g.tmp[i%len(g.tmp)]
			if single {
				VMOVSS(aMem(i, disp), t.AsX()) // upper lanes zeroed: [a, 0]
				VBROADCASTSD(t.AsX(), t)
			} else {
				VBROADCASTSD(aMem(i, disp), t)
			}
			VFMADD231PS(g.b[0], t, g.pairAcc(i, 0))
			VFMADD231PS(g.b[1], t, g.pairAcc(i, 1))
		}
	}
	advance := func(kSteps int) {
		for _, r := range groups {
			ADDQ(U32(4*kSteps), r)
		}
		ADDQ(U32(4*8*kSteps), pb) // 16 floats per pair = 8 per k step
	}
	SHRQ(Imm(2), n4)
	JZ(LabelRef(label(p, "pair")))
	Label(label(p, "k4"))
	step(0, 0, false)
	step(8, 64, false)
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

	Label(label(p, "fold"))
	Comment("Fold the k pairs: [c0 c1 c4 c5 | c2 c3 c6 c7] by VHADDPS, then qwords 0,2,1,3.")
	for i := 0; i < h; i++ {
		VHADDPS(g.pairAcc(i, 1), g.pairAcc(i, 0), g.pairAcc(i, 0))
		VPERMPD(Imm(0xD8), g.pairAcc(i, 0), g.pairAcc(i, 0))
	}
	Comment("Bias (masked to the panel's columns).")
	f := g.free
	var masks []VecPhysical
	if g.masked {
		masks = f[len(f)-1:]
		g.avx2Masks(masks)
	}
	bias := Load(Param("bias"), GP64())
	g.load(Mem{Base: bias}, 0, f[0], masks)
	for i := 0; i < h; i++ {
		VADDPS(f[0], g.accReg(i, 0), g.accReg(i, 0))
	}
}
