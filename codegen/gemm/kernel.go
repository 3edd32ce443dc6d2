package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gemmKernel is one generated macro-kernel. A call computes one panel of
// output columns for m rows:
//
//	C[i][j] = act(sum_p A[i][p]·B[p][j] + bias[j] (+ R[i][j])), i < m, j < cols
//
// where B is the packed panel (k rows of stride floats, of which the kernel
// reads its width = sum(widths)), A has row stride lda, C and R row strides
// ldc and ldr (all in elements), and r == nil means no residual. It walks
// the rows in mr-row micro-tiles (mr × width accumulators in registers, A
// broadcast from memory as it lies, one B row loaded per k step), then
// finishes the m mod mr leftover rows with one edge tile of exactly that
// many rows. The accumulators start at the bias; the epilogue runs in
// registers before the store: residual, then the activation chosen by mode.
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
// first cols columns (opmasks on AVX-512, VMASKMOVPS on AVX2), so one kernel
// serves every partial panel of up to width columns; unmasked ones require
// cols == width.
type gemmKernel struct {
	name   string
	isa    *isa
	mr     int
	widths []int // lanes of each vector of a row (8 = ymm, 16 = zmm on AVX-512)
	stride int   // floats per packed B row (the ISA's panel width NR)
	masked bool
	bcst   bool // FMA with embedded broadcast of A (AVX-512): no broadcast registers
	group  int  // A rows per base pointer: 3 (base + lda·{0,1,2}) or 5 (also lda3, lda·4)
	// pairs: the panel is packed in k pairs (see pairs.go) and each A pair
	// is broadcast as one 64-bit element: on AVX2 one broadcast per two
	// FMAs for an 8-column panel instead of one per FMA; on AVX-512 one
	// zmm FMA per broadcast instead of two ymm ones.
	pairs bool
	// rowPairs: a 24-column AVX-512 tile that holds two rows in three zmm
	// accumulators (rowpairs.go); widths must be {16, 8}.
	rowPairs bool
	// zipPairs: a 16-column AVX-512 tile that zips two k rows of the
	// panel in registers and broadcasts A in pairs (zippairs.go); widths
	// must be {16}.
	zipPairs bool
	// noResidual: the kernel has no r argument (the pixel-vector
	// convolutions, conv.go); the epilogue skips the residual.
	noResidual bool
	// prefetch: each k step also prefetches into L2 the same row of the
	// next panel (k·stride floats further), so a panel's weights arrive
	// while the previous panel is computed instead of missing on the
	// first tile (see tile).
	prefetch bool
	// minK > 0: the dispatch picks this kernel over the plain one of its
	// width only for k ≥ minK (the unmasked prefetching kernel: below
	// k = 32 the A rows and C, not the weights, are what a cold call
	// waits for).
	minK int
	// twoFMA: the dispatch picks this kernel only on hosts that issue two
	// full-width FMAs per cycle (kernels.FMARate); elsewhere the kernel
	// the panel would get without it.
	twoFMA bool
	// taps: an implicit-GEMM convolution kernel (tapsSignature): the k
	// loop runs taps times, A moved by offs[t] bytes from a for tap t, B
	// read on from where the previous tap stopped (a dense conv's kernel
	// rows; kernels/conv_taps_amd64.go), all in one set of accumulators.
	taps bool

	off   []int         // lane offset of each vector in the row
	acc   []VecPhysical // mr·nv accumulators, row-major
	b     []VecPhysical // one packed B row
	tmp   []VecPhysical // A broadcasts, rotated so loads run ahead
	free  []VecPhysical // everything but the accumulators (epilogue scratch)
	iota  Mem
	state tileState
	sets  int // accumulator sets of the tile being emitted (see tile)
}

// tileState holds the general-purpose registers live across the whole
// macro-kernel: the current tile's A, C and R pointers and the rows left.
type tileState struct {
	a, c, r, rows Register
}

const signature = "func(m, k int, a *float32, lda int, b *float32, bias *float32, r *float32, ldr int, c *float32, ldc int, cols int, ep *float32, mode int)"

// tapsSignature is signature with the taps: C[i][j] = act(bias[j] + sum_t
// sum_p A_t[i][p]·B[t·k+p][j] (+ R[i][j])) where A_t starts offs[t] bytes
// after a.
const tapsSignature = "func(m, k, taps int, offs *int64, a *float32, lda int, b *float32, bias *float32, r *float32, ldr int, c *float32, ldc int, cols int, ep *float32, mode int)"

func (g *gemmKernel) layout() {
	s := g.isa
	width := 0
	for _, w := range g.widths {
		if w != s.lanes && !(s.evex && w == 8) {
			panic(fmt.Sprintf("%s: vector width %d not available on %s", g.name, w, s.name))
		}
		g.off = append(g.off, width)
		width += w
	}
	if width > g.stride {
		panic(fmt.Sprintf("%s: width %d exceeds the panel stride %d", g.name, width, g.stride))
	}
	if g.group == 0 {
		g.group = 3
	}
	if g.group != 3 && g.group != 5 {
		panic(fmt.Sprintf("%s: row group %d (want 3 or 5)", g.name, g.group))
	}
	if g.bcst && !s.evex {
		panic(g.name + ": embedded broadcast needs AVX-512")
	}
	nv := len(g.widths)
	if g.pairs && (g.bcst || nv != 1 || g.widths[0] != 8) {
		panic(g.name + ": k-pair kernels have one 8-lane vector per row")
	}
	if g.pairs {
		nv = g.pairVecs() // vectors of column pairs per row in the k loop
	}
	if g.zipPairs {
		if !s.evex || g.width() != 16 || g.masked || g.bcst || g.prefetch {
			panic(g.name + ": zipped k-pair kernels are unmasked AVX-512 tiles of 16 columns")
		}
		nv = 2 // two zipped B rows, two accumulators per row in the k loop
	}
	na := g.mr * nv
	if g.rowPairs {
		if !s.evex || g.width() != 24 || g.masked || g.bcst || g.prefetch || g.mr%2 != 0 {
			panic(g.name + ": row-pair kernels are unmasked AVX-512 tiles of 24 columns and an even height")
		}
		nv = 3 // three zmm per row pair
		na = g.mr / 2 * nv
	}
	spare := len(s.regs) - na - nv
	if spare < 1 || (!g.bcst && spare < 2) {
		panic(fmt.Sprintf("%s: %d accumulators + %d B registers leave %d of %d", g.name, na, nv, spare, len(s.regs)))
	}
	if g.masked && !s.evex && len(s.regs)-na < nv+2 {
		panic(g.name + ": not enough scratch registers for masks")
	}
	g.acc = s.regs[:na]
	g.b = s.regs[na : na+nv]
	g.tmp = s.regs[na+nv:]
	g.free = s.regs[na:]
}

// as returns r in the register size of vector v (ymm for 8-lane vectors).
func (g *gemmKernel) as(r VecPhysical, v int) VecPhysical {
	if g.rowPairs {
		return r
	}
	if g.isa.evex && g.widths[v] == 8 {
		return r.AsY().(VecPhysical)
	}
	return r
}

// accReg is accumulator v of row i (of row pair i for row-pair kernels).
func (g *gemmKernel) accReg(i, v int) VecPhysical { return g.as(g.acc[i*g.nvec()+v], v) }

// nvec is the number of accumulators per row (per row pair for row-pair
// kernels).
func (g *gemmKernel) nvec() int {
	if g.rowPairs {
		return 3
	}
	return len(g.widths)
}

func (g *gemmKernel) emit(iota Mem) {
	g.layout()
	g.iota = iota
	if g.taps {
		if g.pairs || g.rowPairs || g.zipPairs || g.prefetch || g.group != 3 {
			panic(g.name + ": tap kernels are plain tiles with rows in groups of 3")
		}
		TEXT(g.name, NOSPLIT, tapsSignature)
		Pragma("noescape")
		Doc(fmt.Sprintf("%s computes one packed GEMM panel (stride %d) of an implicit-GEMM convolution for m rows in %dx%d tiles, taps kernel rows in one accumulation, with the fused epilogue (%s).",
			g.name, g.stride, g.mr, g.width(), g.isa.name))
	} else {
		TEXT(g.name, NOSPLIT, signature)
		Pragma("noescape")
		Doc(fmt.Sprintf("%s computes one packed GEMM panel (stride %d) for m rows in %dx%d tiles with the fused epilogue (%s).",
			g.name, g.stride, g.mr, g.off[len(g.off)-1]+g.widths[len(g.widths)-1], g.isa.name))
	}
	Commentf("vector widths %v, %d accumulators, %d B registers, %d broadcast registers, masked %v",
		g.widths, len(g.acc), len(g.b), len(g.tmp), g.masked)

	if g.isa.evex && g.masked {
		Comment("Column masks: lane j of vector v is on when off[v]+j < cols.")
		g.columnMasks(g.acc[0]) // X0-X15 only: MOVQ has no EVEX form
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

// columnMasks sets opmask K1+v for each vector v from the cols argument,
// using the zmm scratch as a temporary.
func (g *gemmKernel) columnMasks(scratch VecPhysical) {
	cols := Load(Param("cols"), GP64())
	MOVQ(cols, scratch.AsX())
	VPBROADCASTD(scratch.AsX(), scratch)
	for v := range g.widths {
		VPCMPGTD(g.iota.Offset(4*g.off[v]), scratch, opmasks[v])
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
		VPCMPGTD(g.iota.Offset(4*g.off[v]), last, m[v])
	}
}

// load reads vector v of a panel row at mem into dst, under the column mask.
func (g *gemmKernel) load(mem Mem, v int, dst VecPhysical, masks []VecPhysical) {
	dst = g.as(dst, v)
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
