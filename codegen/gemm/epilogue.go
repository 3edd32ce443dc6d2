package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// epilogue adds the residual, applies the activation and stores h rows
// (the bias is already in the accumulators, see startAtBias).
func (g *gemmKernel) epilogue(h int, p string) {
	f := g.free
	nv := len(g.widths)
	var masks []VecPhysical
	if g.masked && !g.isa.evex {
		masks = f[len(f)-nv:]
	}
	accs := func(fn func(x VecPhysical, v int)) {
		for i := 0; i < h; i++ {
			for v := 0; v < nv; v++ {
				fn(g.accReg(i, v), v)
			}
		}
	}

	Comment("Residual, when r != nil.")
	TESTQ(g.state.r, g.state.r)
	JZ(LabelRef(label(p, "act")))
	{
		ldr := Load(Param("ldr"), GP64())
		SHLQ(Imm(2), ldr)
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

	Label(label(p, "act"))
	Comment("Activation by mode (x stays the NaN-returned operand of MAXPS/MINPS).")
	ep := Load(Param("ep"), GP64())
	mode := Load(Param("mode"), GP64())
	lo, hi, alpha, t := f[0], f[1], f[2], f[2]
	loMem, hiMem, alphaMem := Mem{Base: ep}, Mem{Base: ep, Disp: 64}, Mem{Base: ep, Disp: 128}
	betaMem, postMem := Mem{Base: ep, Disp: 192}, Mem{Base: ep, Disp: 256}
	clamp := func(x VecPhysical, v int) {
		VMAXPS(x, g.as(lo, v), x)
		VMINPS(x, g.as(hi, v), x)
	}
	CMPQ(mode, Imm(1))
	JEQ(LabelRef(label(p, "clamp")))
	CMPQ(mode, Imm(2))
	JEQ(LabelRef(label(p, "hsigmoid")))
	CMPQ(mode, Imm(3))
	JEQ(LabelRef(label(p, "hswish")))
	JMP(LabelRef(label(p, "store")))

	Label(label(p, "clamp"))
	VMOVUPS(loMem, lo)
	VMOVUPS(hiMem, hi)
	accs(clamp)
	JMP(LabelRef(label(p, "store")))

	Label(label(p, "hsigmoid"))
	VMOVUPS(loMem, lo)
	VMOVUPS(hiMem, hi)
	VMOVUPS(alphaMem, alpha)
	accs(func(x VecPhysical, v int) {
		VFMADD213PS(betaMem, g.as(alpha, v), x) // x = alpha·x + beta
		clamp(x, v)
	})
	JMP(LabelRef(label(p, "store")))

	Label(label(p, "hswish"))
	VMOVUPS(loMem, lo)
	VMOVUPS(hiMem, hi)
	accs(func(x VecPhysical, v int) {
		tv := g.as(t, v)
		VADDPS(betaMem, x, tv)
		VMAXPS(tv, g.as(lo, v), tv)
		VMINPS(tv, g.as(hi, v), tv)
		VMULPS(tv, x, x)
		VMULPS(postMem, x, x)
	})

	Label(label(p, "store"))
	ldc := Load(Param("ldc"), GP64())
	SHLQ(Imm(2), ldc)
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
