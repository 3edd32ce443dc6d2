package main

import (
	"github.com/mnc-go/mnc/internal/epi"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// epilogue adds the residual, applies the activation and stores h rows
// (the bias is already in the accumulators, see startAtBias).
func (g *gemmKernel) epilogue(h int, p string) {
	f := g.free
	nv := g.nvec()
	hr := h // accumulator rows: the row pairs of a row-pair tile
	if g.rowPairs {
		hr = rpPairs(h)
	}
	var masks []VecPhysical
	if g.masked && !g.isa.evex {
		masks = f[len(f)-nv:]
	}
	accs := func(fn func(x VecPhysical, v int)) {
		for i := 0; i < hr; i++ {
			for v := 0; v < nv; v++ {
				fn(g.accReg(i, v), v)
			}
		}
	}

	if !g.noResidual {
		Comment("Residual, when r != nil.")
		TESTQ(g.state.r, g.state.r)
		JZ(LabelRef(label(p, "act")))
		{
			ldr := Load(Param("ldr"), GP64())
			SHLQ(Imm(2), ldr)
			if g.rowPairs {
				g.rpResidual(h, g.state.r, ldr)
			} else {
				g.residualRows(h, ldr, masks)
			}
		}
	}

	Label(label(p, "act"))
	Comment("Activation by mode (internal/epi; x stays the NaN-returned operand of MAXPS/MINPS).")
	ep := Load(Param("ep"), GP64())
	mode := Load(Param("mode"), GP64())
	lo, hi, a, t := f[0], f[1], f[2], f[3]
	wide := func(off int) Mem { return Mem{Base: ep, Disp: off} }
	clamp := func(x VecPhysical, v int) {
		VMAXPS(x, g.as(lo, v), x)
		VMINPS(x, g.as(hi, v), x)
	}
	loadBounds := func() {
		VMOVUPS(wide(epi.OffWideLo), lo)
		VMOVUPS(wide(epi.OffWideHi), hi)
	}
	for _, m := range []struct {
		mode int
		name string
	}{{epi.Clamp, "clamp"}, {epi.Affine, "affine"}, {epi.MulX, "mulx"}, {epi.Slope, "slope"}, {epi.SlopeC, "slopec"}, {epi.Requant, "requant"}} {
		CMPQ(mode, Imm(uint64(m.mode)))
		JEQ(LabelRef(label(p, m.name)))
	}
	JMP(LabelRef(label(p, "store")))

	Label(label(p, "clamp"))
	loadBounds()
	accs(clamp)
	JMP(LabelRef(label(p, "store")))

	Label(label(p, "affine")) // clamp(A·x + B)
	loadBounds()
	VMOVUPS(wide(epi.OffWideA), a)
	accs(func(x VecPhysical, v int) {
		VFMADD213PS(wide(epi.OffWideB), g.as(a, v), x) // x = A·x + B
		clamp(x, v)
	})
	JMP(LabelRef(label(p, "store")))

	Label(label(p, "mulx")) // x·clamp(A·x + B)
	loadBounds()
	VMOVUPS(wide(epi.OffWideA), a)
	accs(func(x VecPhysical, v int) {
		tv := g.as(t, v)
		VMOVAPS(x, tv)
		VFMADD213PS(wide(epi.OffWideB), g.as(a, v), tv) // t = A·x + B
		VMAXPS(tv, g.as(lo, v), tv)
		VMINPS(tv, g.as(hi, v), tv)
		VMULPS(tv, x, x)
	})
	JMP(LabelRef(label(p, "store")))

	// max(x, Lo) + S·min(x, Hi): S·x below zero, exactly, and x above.
	slope := func(x, s VecPhysical, sMem *Mem, v int) {
		tv := g.as(t, v)
		VMINPS(x, g.as(hi, v), tv)
		VMAXPS(x, g.as(lo, v), x)
		if sMem != nil {
			VFMADD231PS(*sMem, tv, x) // x += t·S
		} else {
			VFMADD231PS(g.as(s, v), tv, x)
		}
	}
	Label(label(p, "slope")) // S = A
	loadBounds()
	sa := wide(epi.OffWideA)
	accs(func(x VecPhysical, v int) { slope(x, nil, &sa, v) })
	JMP(LabelRef(label(p, "store")))

	Label(label(p, "slopec")) // S = the channel's slope, loaded like the bias
	{
		sp := GP64()
		MOVQ(Mem{Base: ep, Disp: epi.OffSlopes}, sp)
		loadBounds() // Lo = Hi = 0; f[0], f[1] are never masks
		for v := 0; v < nv; v++ {
			if masks != nil {
				g.avx2Masks(masks) // a and t may hold masks: reload for each vector
			}
			g.chanVec(sp, v, a, masks)
			for i := 0; i < hr; i++ {
				slope(g.accReg(i, v), a, nil, v)
			}
		}
	}

	JMP(LabelRef(label(p, "store")))

	Label(label(p, "requant")) // clamp(roundEven(S·x)), S the channel's multiplier
	{
		sp := GP64()
		MOVQ(Mem{Base: ep, Disp: epi.OffSlopes}, sp)
		loadBounds()
		for v := 0; v < nv; v++ {
			if masks != nil {
				g.avx2Masks(masks)
			}
			g.chanVec(sp, v, a, masks)
			for i := 0; i < hr; i++ {
				x := g.accReg(i, v)
				VMULPS(g.as(a, v), x, x)
				if g.isa.evex { // (VROUNDPS cannot encode Y16–Y31)
					VRNDSCALEPS(Imm(0), x, x) // imm 0: round to nearest even
				} else {
					VROUNDPS(Imm(0), x, x)
				}
				clamp(x, v)
			}
		}
	}

	Label(label(p, "store"))
	ldc := Load(Param("ldc"), GP64())
	SHLQ(Imm(2), ldc)
	if g.rowPairs {
		g.rpStore(h, g.state.c, ldc)
		return
	}
	row := GP64()
	MOVQ(g.state.c, row)
	if masks != nil {
		g.avx2Masks(masks)
	}
	for i := 0; i < h; i++ {
		for v := 0; v < nv; v++ {
			g.store(g.accReg(i, v), v, Mem{Base: row, Disp: 4 * g.off[v]}, masks)
		}
		if i+1 < h {
			ADDQ(ldc, row)
		}
	}
}

// chanVec loads vector v of per-channel values at base (slopes) into dst.
func (g *gemmKernel) chanVec(base Register, v int, dst VecPhysical, masks []VecPhysical) {
	if g.rowPairs {
		g.chanLoad(base, v, dst)
		return
	}
	g.load(Mem{Base: base, Disp: 4 * g.off[v]}, v, dst, masks)
}

// residualRows adds the h residual rows at the tile's R pointer (pitch ldr
// bytes) to the accumulators.
func (g *gemmKernel) residualRows(h int, ldr Register, masks []VecPhysical) {
	f := g.free
	nv := g.nvec()
	row := GP64()
	MOVQ(g.state.r, row)
	if masks != nil {
		g.avx2Masks(masks)
	}
	for i := 0; i < h; i++ {
		for v := 0; v < nv; v++ {
			g.load(Mem{Base: row, Disp: 4 * g.off[v]}, v, f[0], masks)
			VADDPS(g.as(f[0], v), g.accReg(i, v), g.accReg(i, v))
		}
		if i+1 < h {
			ADDQ(ldr, row)
		}
	}
}
