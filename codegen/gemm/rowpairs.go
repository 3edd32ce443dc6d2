package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Row-pair kernels (AVX-512, panels of exactly 24 columns). The plain
// 24-column tile keeps each row in one zmm and one ymm, so its FMAs fill
// 24 of 32 lanes (a 75% ceiling). Here rows 2i and 2i+1 share three zmm
// accumulators, 48 floats in the order
//
//	acc0 = [r0 c0-15], acc1 = [r0 c16-23 | r1 c0-7], acc2 = [r1 c8-23]
//
// and every k step of a pair is two broadcasts, one VINSERTF64X4 that
// makes [a_r0 ×8 | a_r1 ×8] and three full-width FMAs instead of four.
// The panel keeps the usual layout (24 floats of a k row at stride 32):
// per k step the tile loads b0-15, b8-23 and builds [b16-23 | b0-7] once
// for all its row pairs. Bias and per-channel slopes are built the same
// way; the residual and C rows are read and written as two rows each. An
// odd last row runs as a pair without its second row (acc2 and the upper
// half of acc1 are computed but neither loaded nor stored).

// rpPairs is the number of row pairs of an h-row tile.
func rpPairs(h int) int { return (h + 1) / 2 }

// chanLoad loads vector v of a pair from per-channel values at base (24
// floats: bias, slopes) into the zmm dst.
func (g *gemmKernel) chanLoad(base Register, v int, dst VecPhysical) {
	switch v {
	case 0:
		VMOVUPS(Mem{Base: base}, dst)
	case 1:
		VMOVUPS(Mem{Base: base, Disp: 4 * 16}, dst.AsY())
		VINSERTF64X4(Imm(1), Mem{Base: base}, dst, dst)
	default:
		VMOVUPS(Mem{Base: base, Disp: 4 * 8}, dst)
	}
}

// rpLoop runs the k loop of an h-row row-pair tile.
func (g *gemmKernel) rpLoop(h int, p string, aMem func(i, disp int) Mem, groups []Register, pb Register) {
	np := rpPairs(h)
	n4 := Load(Param("k"), GP64())
	n1 := GP64()
	MOVQ(n4, n1)
	tmp := 0
	next := func() VecPhysical { t := g.tmp[tmp%len(g.tmp)]; tmp++; return t }
	step := func(u int) {
		row := 4 * u * g.stride
		VMOVUPS(Mem{Base: pb, Disp: row}, g.b[0])
		VMOVUPS(Mem{Base: pb, Disp: row + 4*16}, g.b[1].AsY())
		VINSERTF64X4(Imm(1), Mem{Base: pb, Disp: row}, g.b[1], g.b[1])
		VMOVUPS(Mem{Base: pb, Disp: row + 4*8}, g.b[2])
		for i := 0; i < np; i++ {
			t0 := next()
			VBROADCASTSS(aMem(2*i, 4*u), t0)
			if 2*i+1 == h { // odd last row: no second row
				VFMADD231PS(g.b[0], t0, g.accReg(i, 0))
				VFMADD231PS(g.b[1], t0, g.accReg(i, 1))
				continue
			}
			t1, tm := next(), next()
			VBROADCASTSS(aMem(2*i+1, 4*u), t1)
			VINSERTF64X4(Imm(1), t1.AsY(), t0, tm)
			VFMADD231PS(g.b[0], t0, g.accReg(i, 0))
			VFMADD231PS(g.b[1], tm, g.accReg(i, 1))
			VFMADD231PS(g.b[2], t1, g.accReg(i, 2))
		}
	}
	kLoop4(p, n4, n1, groups, pb, 4*g.stride, step)
	Label(label(p, "epilogue"))
}

// rpStartAtBias sets the pair accumulators of an h-row tile to the bias.
func (g *gemmKernel) rpStartAtBias(h int) {
	Comment("Accumulators start at the bias, in the row-pair order.")
	bias := Load(Param("bias"), GP64())
	for v := 0; v < 3; v++ {
		g.chanLoad(bias, v, g.free[v])
	}
	for i := 0; i < rpPairs(h); i++ {
		for v := 0; v < 3; v++ {
			VMOVAPS(g.free[v], g.accReg(i, v))
		}
	}
}

// rpRows visits the pairs of an h-row tile of rows at base (pitch ld
// bytes): fn gets the pair, its first row's pointer and whether the
// second row exists; the second row is at row0 + ld.
func (g *gemmKernel) rpRows(h int, base, ld Register, fn func(i int, row0 Register, two bool)) {
	row := GP64()
	MOVQ(base, row)
	for i := 0; i < rpPairs(h); i++ {
		fn(i, row, 2*i+1 < h)
		if 2*i+2 < h {
			LEAQ(Mem{Base: row, Index: ld, Scale: 2}, row)
		}
	}
}

// rpResidual adds the residual rows at r (pitch ldr) to an h-row tile.
func (g *gemmKernel) rpResidual(h int, r, ldr Register) {
	f := g.free[0]
	g.rpRows(h, r, ldr, func(i int, row Register, two bool) {
		VADDPS(Mem{Base: row}, g.accReg(i, 0), g.accReg(i, 0))
		VMOVUPS(Mem{Base: row, Disp: 4 * 16}, f.AsY())
		if two {
			VINSERTF64X4(Imm(1), Mem{Base: row, Index: ldr, Scale: 1}, f, f)
			VADDPS(Mem{Base: row, Index: ldr, Scale: 1, Disp: 4 * 8}, g.accReg(i, 2), g.accReg(i, 2))
		}
		VADDPS(f, g.accReg(i, 1), g.accReg(i, 1))
	})
}

// rpStore writes an h-row tile to the C rows at c (pitch ldc bytes).
func (g *gemmKernel) rpStore(h int, c, ldc Register) {
	g.rpRows(h, c, ldc, func(i int, row Register, two bool) {
		VMOVUPS(g.accReg(i, 0), Mem{Base: row})
		VMOVUPS(g.accReg(i, 1).AsY(), Mem{Base: row, Disp: 4 * 16})
		if two {
			VEXTRACTF64X4(Imm(1), g.accReg(i, 1), Mem{Base: row, Index: ldc, Scale: 1})
			VMOVUPS(g.accReg(i, 2), Mem{Base: row, Index: ldc, Scale: 1, Disp: 4 * 8})
		}
	})
}
