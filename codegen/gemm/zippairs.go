package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Zipped k-pair kernels (AVX-512, panels of exactly 16 columns). The plain
// 16-column tile needs one A broadcast per FMA (20 broadcasts and one B
// load per 20 FMAs): on a host with two 512-bit FMA pipes the vector loads,
// not the FMAs, then bound it (84% of the FMA peak measured on Zen 5).
// Here each step takes two k rows: the tile zips the panel's rows 2q and
// 2q+1 (the usual layout, 16 floats at stride 32) into
//
//	b0 = VUNPCKLPS = [B[2q][0] B[2q+1][0] B[2q][1] B[2q+1][1] | columns 4,5 | 8,9 | 12,13]
//	b1 = VUNPCKHPS = the same for columns 2,3 | 6,7 | 10,11 | 14,15
//
// once for all its rows, and per row one 64-bit broadcast of A[i][2q:2q+2]
// feeds two FMAs: one load per two FMAs. The odd and even k terms add up in
// neighbouring lanes; after the loop VSHUFPS picks the even lanes of both
// accumulators (0x88) and the odd lanes (0xDD), which are in column order,
// and one add folds them. The bias starts in the even lanes (the odd ones
// at zero), so the fold adds it too. An odd last k runs as a pair with
// A[i][k-1] and a zero (VMOVSS clears the upper lanes) and the B row zipped
// with zeros, so nothing past A's row or the panel is read.

// zpAcc is row i's accumulator v (0: b0's columns, 1: b1's); after the fold
// row i's 16 sums are in zpAcc(i, 0) = accReg(i, 0).
func (g *gemmKernel) zpAcc(i, v int) VecPhysical { return g.acc[v*g.mr+i] }

// zpStartAtBias sets the accumulators of an h-row tile to the bias in the
// even lanes and zero in the odd ones.
func (g *gemmKernel) zpStartAtBias(h int) {
	Comment("Accumulators start at the bias, zipped with zeros.")
	f := g.free
	bias := Load(Param("bias"), GP64())
	g.load(Mem{Base: bias}, 0, f[0], nil)
	g.isa.zero(f[1])
	VUNPCKHPS(f[1], f[0], f[2])
	VUNPCKLPS(f[1], f[0], f[0])
	for i := 0; i < h; i++ {
		VMOVAPS(f[0], g.zpAcc(i, 0))
		VMOVAPS(f[2], g.zpAcc(i, 1))
	}
}

// zpLoop runs the k loop of an h-row zipped tile and folds the pairs,
// leaving row i's sums (with the bias) in accReg(i, 0).
func (g *gemmKernel) zpLoop(h int, p string, aMem func(i, disp int) Mem, groups []Register, pb Register) {
	n4 := Load(Param("k"), GP64())
	n1 := GP64()
	MOVQ(n4, n1)
	b0, b1 := g.b[0], g.b[1]
	tmp := 0
	next := func() VecPhysical { t := g.tmp[tmp%len(g.tmp)]; tmp++; return t }
	// step multiplies the zipped B rows at byte offset boff by row i's A
	// pair at disp (or, single, by [A[i][k-1], 0] and B's last row zipped
	// with zeros).
	step := func(disp, boff int, single bool) {
		VMOVUPS(Mem{Base: pb, Disp: boff}, b0)
		r1 := next()
		if single {
			g.isa.zero(r1)
		} else {
			VMOVUPS(Mem{Base: pb, Disp: boff + 4*g.stride}, r1)
		}
		VUNPCKHPS(r1, b0, b1)
		VUNPCKLPS(r1, b0, b0)
		for i := 0; i < h; i++ {
			t := next()
			if single {
				VMOVSS(aMem(i, disp), t.AsX()) // upper lanes zeroed: [a, 0]
				VBROADCASTSD(t.AsX(), t)
			} else {
				VBROADCASTSD(aMem(i, disp), t)
			}
			VFMADD231PS(b0, t, g.zpAcc(i, 0))
			VFMADD231PS(b1, t, g.zpAcc(i, 1))
		}
	}
	kPairLoop(p, n4, n1, groups, pb, 4*g.stride, step)

	Label(label(p, "fold"))
	Comment("Fold the k pairs: even lanes of both accumulators (0x88) plus odd lanes (0xDD), in column order.")
	for i := 0; i < h; i++ {
		t := next()
		VSHUFPS(Imm(0xDD), g.zpAcc(i, 1), g.zpAcc(i, 0), t)
		VSHUFPS(Imm(0x88), g.zpAcc(i, 1), g.zpAcc(i, 0), g.zpAcc(i, 0))
		VADDPS(t, g.zpAcc(i, 0), g.zpAcc(i, 0))
	}
}
