package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gemmKernel is one generated macro-kernel. A call computes one panel of
// nr output columns for m rows:
//
//	C[i][j] = act(sum_p A[i][p]·B[p][j] + bias[j] (+ R[i][j])), i < m, j < cols
//
// where B is the packed panel (k rows of nr floats), A has row stride lda,
// C and R row strides ldc and ldr (all in elements), and r == nil means no
// residual. It walks the rows in mr-row micro-tiles (mr×nr accumulators in
// registers, A broadcast from memory as it lies, one B row loaded per k
// step), then finishes the m mod mr leftover rows with one edge tile of
// exactly that many rows. The epilogue runs in registers before the store:
// bias, then residual, then the activation chosen by mode.
//
// ep points to five parameter vectors of 16 equal float32 each (lo, hi,
// alpha, beta, post, at byte offsets 0, 64, …), so the activations can take
// them as full-width memory operands:
//
//	mode 0: none
//	mode 1: min(max(x, lo), hi)               ReLU (lo 0, hi +Inf), Clip
//	mode 2: min(max(alpha·x+beta, lo), hi)    HardSigmoid (lo 0, hi 1)
//	mode 3: x·min(max(x+beta, lo), hi)·post   HardSwish (beta 3, lo 0, hi 6, post 1/6)
//
// MAXPS/MINPS return their second source when either input is NaN, so x is
// always that operand and NaN propagates as ir.ApplyAct defines.
//
// masked kernels limit the loads of bias and R and the stores of C to the
// first cols columns (opmasks on AVX-512, VMASKMOVPS on AVX2); unmasked ones
// require cols == nr.
type gemmKernel struct {
	name   string
	isa    *isa
	mr, nr int
	masked bool

	nv    int           // vectors per panel row
	acc   []VecPhysical // mr·nv accumulators, row-major
	b     []VecPhysical // one packed B row
	tmp   []VecPhysical // A broadcasts, rotated so loads run ahead
	free  []VecPhysical // everything but the accumulators (epilogue scratch)
	iota  Mem
	state tileState
}

// tileState holds the general-purpose registers live across the whole
// macro-kernel: the current tile's A, C and R pointers and the rows left.
type tileState struct {
	a, c, r, rows Register
}

const signature = "func(m, k int, a *float32, lda int, b *float32, bias *float32, r *float32, ldr int, c *float32, ldc int, cols int, ep *float32, mode int)"

func (g *gemmKernel) layout() {
	s := g.isa
	if g.nr%s.lanes != 0 {
		panic(fmt.Sprintf("%s: nr %d is not a multiple of %d lanes", g.name, g.nr, s.lanes))
	}
	g.nv = g.nr / s.lanes
	na := g.mr * g.nv
	if na+g.nv+1 > len(s.regs) {
		panic(fmt.Sprintf("%s: %d accumulators + %d B registers exceed %d registers", g.name, na, g.nv, len(s.regs)))
	}
	if g.masked && !s.evex && len(s.regs)-na < g.nv+2 {
		panic(g.name + ": not enough scratch registers for masks")
	}
	g.acc = s.regs[:na]
	g.b = s.regs[na : na+g.nv]
	g.tmp = s.regs[na+g.nv:]
	g.free = s.regs[na:]
}

func (g *gemmKernel) accReg(i, v int) VecPhysical { return g.acc[i*g.nv+v] }

func (g *gemmKernel) emit(iota Mem) {
	g.layout()
	g.iota = iota
	TEXT(g.name, NOSPLIT, signature)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes one packed %d-column GEMM panel for m rows in %dx%d tiles with the fused epilogue (%s).",
		g.name, g.nr, g.mr, g.nr, g.isa.name))
	Commentf("%d accumulators, %d B registers, %d broadcast registers", len(g.acc), len(g.b), len(g.tmp))

	if g.isa.evex && g.masked {
		Comment("Column masks: lane j of vector v is on when 16·v+j < cols.")
		g.columnMasks(g.acc[0], opmasks[:g.nv]) // X0-X15 only: MOVQ has no EVEX form
	}
	st := tileState{a: GP64(), c: GP64(), r: GP64(), rows: GP64()}
	Load(Param("a"), st.a)
	Load(Param("c"), st.c)
	Load(Param("r"), st.r)
	Load(Param("m"), st.rows)
	g.state = st

	Label("rows")
	CMPQ(st.rows, Imm(uint64(g.mr)))
	JLT(LabelRef("edge"))
	g.tile(g.mr)
	Comment("Next tile: advance A, C (and R when present) by mr rows.")
	g.advance("lda", st.a)
	g.advance("ldc", st.c)
	TESTQ(st.r, st.r)
	JZ(LabelRef("next"))
	g.advance("ldr", st.r)
	Label("next")
	SUBQ(Imm(uint64(g.mr)), st.rows)
	JMP(LabelRef("rows"))

	Label("edge")
	Comment("m mod mr rows are left: one edge tile of exactly that height.")
	for h := 1; h < g.mr; h++ {
		CMPQ(st.rows, Imm(uint64(h)))
		JEQ(LabelRef(fmt.Sprintf("edge%d", h)))
	}
	JMP(LabelRef("done"))
	for h := 1; h < g.mr; h++ {
		Label(fmt.Sprintf("edge%d", h))
		g.tile(h)
		JMP(LabelRef("done"))
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// advance adds mr rows of the stride named ld (in elements) to p.
func (g *gemmKernel) advance(ld string, p Register) {
	t := Load(Param(ld), GP64())
	IMUL3Q(Imm(uint64(4*g.mr)), t, t)
	ADDQ(t, p)
}

// columnMasks sets one opmask per panel vector from the cols argument,
// using scratch as a temporary.
func (g *gemmKernel) columnMasks(scratch VecPhysical, ks []Register) {
	cols := Load(Param("cols"), GP64())
	MOVQ(cols, scratch.AsX())
	VPBROADCASTD(scratch.AsX(), scratch)
	for v, k := range ks {
		VPCMPGTD(g.iota.Offset(4*g.isa.lanes*v), scratch, k)
	}
}

// avx2Masks loads the AVX2 lane masks of a partial panel into m[0:nv],
// using m[nv-1] also as the broadcast column count (so it is compared last).
func (g *gemmKernel) avx2Masks(m []VecPhysical) {
	cols := Load(Param("cols"), GP64())
	last := m[len(m)-1]
	MOVQ(cols, last.AsX())
	VPBROADCASTD(last.AsX(), last)
	for v := range m {
		VPCMPGTD(g.iota.Offset(4*g.isa.lanes*v), last, m[v])
	}
}

// load reads vector v of a panel row at mem into dst, under the column mask.
func (g *gemmKernel) load(mem Mem, v int, dst VecPhysical, masks []VecPhysical) {
	switch {
	case g.masked && g.isa.evex:
		VMOVUPS_Z(mem, opmasks[v], dst)
	case g.masked:
		VMASKMOVPS(mem, masks[v], dst)
	default:
		VMOVUPS(mem, dst)
	}
}

// store writes src as vector v of a C row at mem, under the column mask.
func (g *gemmKernel) store(src VecPhysical, v int, mem Mem, masks []VecPhysical) {
	switch {
	case g.masked && g.isa.evex:
		VMOVUPS(src, opmasks[v], mem)
	case g.masked:
		VMASKMOVPS(src, masks[v], mem)
	default:
		VMOVUPS(src, mem)
	}
}

// tile computes and stores h rows (h ≤ mr) at the current tile pointers.
func (g *gemmKernel) tile(h int) {
	p := fmt.Sprintf("t%d", h)
	Commentf("%dx%d tile", h, g.nr)
	for i := 0; i < h; i++ {
		for v := 0; v < g.nv; v++ {
			g.isa.zero(g.accReg(i, v))
		}
	}
	// A rows are addressed as group base + lda·{0,1,2}: one base pointer
	// per three rows keeps the pointer count (and increments) low.
	lda := Load(Param("lda"), GP64())
	SHLQ(Imm(2), lda)
	groups := make([]Register, (h+2)/3)
	groups[0] = GP64()
	MOVQ(g.state.a, groups[0])
	if len(groups) > 1 {
		lda3 := GP64()
		LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
		for i := 1; i < len(groups); i++ {
			groups[i] = GP64()
			LEAQ(Mem{Base: groups[i-1], Index: lda3, Scale: 1}, groups[i])
		}
	}
	aMem := func(i, disp int) Mem {
		m := Mem{Base: groups[i/3], Disp: disp}
		if s := i % 3; s != 0 {
			m.Index, m.Scale = lda, uint8(s)
		}
		return m
	}
	pb := Load(Param("b"), GP64())
	n4 := Load(Param("k"), GP64())
	n1 := GP64()
	MOVQ(n4, n1)

	const unroll = 4
	SHRQ(Imm(2), n4)
	JZ(LabelRef(label(p, "k1")))
	Label(label(p, "k4"))
	for u := 0; u < unroll; u++ {
		g.step(h, u, aMem, pb)
	}
	for _, r := range groups {
		ADDQ(Imm(4*unroll), r)
	}
	ADDQ(U32(4*unroll*g.nr), pb)
	DECQ(n4)
	JNZ(LabelRef(label(p, "k4")))

	Label(label(p, "k1"))
	ANDQ(Imm(unroll-1), n1)
	JZ(LabelRef(label(p, "epilogue")))
	Label(label(p, "k1loop"))
	g.step(h, 0, aMem, pb)
	for _, r := range groups {
		ADDQ(Imm(4), r)
	}
	ADDQ(U32(4*g.nr), pb)
	DECQ(n1)
	JNZ(LabelRef(label(p, "k1loop")))

	Label(label(p, "epilogue"))
	g.epilogue(h, p)
}

// step is one k step of an h-row tile: load the B row, then per A row one
// broadcast and nv FMAs. u selects the unrolled copy (memory offsets and
// broadcast register rotation).
func (g *gemmKernel) step(h, u int, aMem func(i, disp int) Mem, pb Register) {
	for v := 0; v < g.nv; v++ {
		VMOVUPS(Mem{Base: pb, Disp: 4 * (u*g.nr + v*g.isa.lanes)}, g.b[v])
	}
	for i := 0; i < h; i++ {
		t := g.tmp[(i+u*h)%len(g.tmp)]
		VBROADCASTSS(aMem(i, 4*u), t)
		for v := 0; v < g.nv; v++ {
			VFMADD231PS(g.b[v], t, g.accReg(i, v))
		}
	}
}

// epilogue adds bias and residual, applies the activation and stores h rows.
func (g *gemmKernel) epilogue(h int, p string) {
	f := g.free
	var masks []VecPhysical
	if g.masked && !g.isa.evex {
		masks = f[len(f)-g.nv:]
	}
	accs := func(fn func(x VecPhysical)) {
		for i := 0; i < h; i++ {
			for v := 0; v < g.nv; v++ {
				fn(g.accReg(i, v))
			}
		}
	}

	Comment("Bias.")
	bias := Load(Param("bias"), GP64())
	if masks != nil {
		g.avx2Masks(masks)
	}
	for v := 0; v < g.nv; v++ {
		g.load(Mem{Base: bias, Disp: 4 * v * g.isa.lanes}, v, f[v], masks)
	}
	for i := 0; i < h; i++ {
		for v := 0; v < g.nv; v++ {
			VADDPS(f[v], g.accReg(i, v), g.accReg(i, v))
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
		for i := 0; i < h; i++ {
			for v := 0; v < g.nv; v++ {
				g.load(Mem{Base: row, Disp: 4 * v * g.isa.lanes}, v, f[0], masks)
				VADDPS(f[0], g.accReg(i, v), g.accReg(i, v))
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
	clamp := func(x VecPhysical) {
		VMAXPS(x, lo, x)
		VMINPS(x, hi, x)
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
	accs(func(x VecPhysical) {
		VFMADD213PS(betaMem, alpha, x) // x = alpha·x + beta
		clamp(x)
	})
	JMP(LabelRef(label(p, "store")))

	Label(label(p, "hswish"))
	VMOVUPS(loMem, lo)
	VMOVUPS(hiMem, hi)
	accs(func(x VecPhysical) {
		VADDPS(betaMem, x, t)
		VMAXPS(t, lo, t)
		VMINPS(t, hi, t)
		VMULPS(t, x, x)
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
		for v := 0; v < g.nv; v++ {
			g.store(g.accReg(i, v), v, Mem{Base: row, Disp: 4 * v * g.isa.lanes}, masks)
		}
		if i+1 < h {
			ADDQ(ldc, row)
		}
	}
}
