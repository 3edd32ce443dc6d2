package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// tile computes and stores h rows (h ≤ mr) at the current tile pointers.
func (g *gemmKernel) tile(h int) {
	p := fmt.Sprintf("t%d", h)
	// Short tiles have too few independent FMA chains to hide the FMA
	// latency (a 1-row tile has nv): they keep up to 4 sets of
	// accumulators in the unused rows' registers, one per unrolled k step,
	// and add them up after the loop.
	g.sets = 1
	if h*len(g.widths) <= 4 && !g.pairs && !g.rowPairs && !g.zipPairs {
		g.sets = min(4, g.mr/h)
	}
	Commentf("%d-row tile, %d accumulator set(s)", h, g.sets)
	switch {
	case g.pairs:
		g.zeroPairs(h)
	case g.rowPairs:
		g.rpStartAtBias(h)
	case g.zipPairs:
		g.zpStartAtBias(h)
	default:
		g.startAtBias(h)
	}
	// A rows are addressed as group base + lda·{0,1,2} (+ lda3, lda·4 for
	// groups of 5): few base pointers keep the register count and the
	// per-step increments low.
	if g.taps {
		g.tapsLoop(h, p)
		return
	}
	lda := Load(Param("lda"), GP64())
	SHLQ(Imm(2), lda)
	ngroups := (h + g.group - 1) / g.group
	var lda3 Register
	if g.group == 5 && h > 3 || ngroups > 1 {
		lda3 = GP64()
		LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	}
	groups := make([]Register, ngroups)
	groups[0] = GP64()
	MOVQ(g.state.a, groups[0])
	for i := 1; i < ngroups; i++ {
		groups[i] = GP64()
		if g.group == 3 {
			LEAQ(Mem{Base: groups[i-1], Index: lda3, Scale: 1}, groups[i])
		} else {
			LEAQ(Mem{Base: groups[i-1], Index: lda, Scale: 4}, groups[i])
			ADDQ(lda, groups[i])
		}
	}
	aMem := func(i, disp int) Mem {
		m := Mem{Base: groups[i/g.group], Disp: disp}
		switch i % g.group {
		case 1:
			m.Index, m.Scale = lda, 1
		case 2:
			m.Index, m.Scale = lda, 2
		case 3:
			m.Index, m.Scale = lda3, 1
		case 4:
			m.Index, m.Scale = lda, 4
		}
		return m
	}
	pb := Load(Param("b"), GP64())
	if g.pairs {
		g.pairLoop(h, p, aMem, groups, pb)
		g.epilogue(h, p)
		return
	}
	if g.rowPairs {
		g.rpLoop(h, p, aMem, groups, pb)
		g.epilogue(h, p)
		return
	}
	if g.zipPairs {
		g.zpLoop(h, p, aMem, groups, pb)
		g.epilogue(h, p)
		return
	}
	n4 := Load(Param("k"), GP64())
	n1 := GP64()
	MOVQ(n4, n1)
	var next Register // byte distance to the next panel: k·stride·4
	if g.prefetch {
		next = GP64()
		IMUL3Q(U32(4*g.stride), n4, next)
	}

	kLoop4(p, n4, n1, groups, pb, 4*g.stride, func(u int) {
		g.step(h, u, aMem, pb)
		if next != nil {
			g.prefetchNext(pb, next, u)
		}
	})

	Label(label(p, "epilogue"))
	for set := 1; set < g.sets; set++ {
		for i := 0; i < h; i++ {
			for v := range g.widths {
				VADDPS(g.setReg(set, h, i, v), g.accReg(i, v), g.accReg(i, v))
			}
		}
	}
	g.epilogue(h, p)
}

// step is one k step of an h-row tile: load the B row, then per A row one
// broadcast (or embedded broadcasts) and nv FMAs. u selects the unrolled
// copy (memory offsets and broadcast register rotation).
func (g *gemmKernel) step(h, u int, aMem func(i, disp int) Mem, pb Register) {
	for v := range g.widths {
		VMOVUPS(Mem{Base: pb, Disp: 4 * (u*g.stride + g.off[v])}, g.as(g.b[v], v))
	}
	for i := 0; i < h; i++ {
		if g.bcst {
			for v := range g.widths {
				VFMADD231PS_BCST(aMem(i, 4*u), g.as(g.b[v], v), g.setReg(u%g.sets, h, i, v))
			}
			continue
		}
		t := g.tmp[(i+u*h)%len(g.tmp)]
		VBROADCASTSS(aMem(i, 4*u), t)
		for v := range g.widths {
			VFMADD231PS(g.as(g.b[v], v), g.as(t, v), g.setReg(u%g.sets, h, i, v))
		}
	}
}

// prefetchNext prefetches into L2 row u (of the unrolled k steps) of the
// next panel: its stride·4 bytes, one PREFETCHT1 per cache line.
func (g *gemmKernel) prefetchNext(pb, next Register, u int) {
	for off := 0; off < 4*g.stride; off += 64 {
		PREFETCHT1(Mem{Base: pb, Index: next, Scale: 1, Disp: 4*u*g.stride + off})
	}
}

// startAtBias sets every accumulator of an h-row tile to the bias of its
// column: the sum then starts from the bias instead of adding it in the
// epilogue, which saves h·nv adds per tile (noticeable when k is small).
func (g *gemmKernel) startAtBias(h int) {
	Comment("Accumulators start at the bias (masked to the panel's columns).")
	f := g.free
	var masks []VecPhysical
	if g.masked && !g.isa.evex {
		masks = f[len(f)-len(g.widths):]
		g.avx2Masks(masks)
	}
	bias := Load(Param("bias"), GP64())
	for v := range g.widths {
		g.load(Mem{Base: bias, Disp: 4 * g.off[v]}, v, f[v], masks)
	}
	for i := 0; i < h; i++ {
		for v := range g.widths {
			VMOVAPS(g.as(f[v], v), g.accReg(i, v))
		}
	}
	for set := 1; set < g.sets; set++ {
		for i := 0; i < h; i++ {
			for v := range g.widths {
				g.isa.zero(g.setReg(set, h, i, v))
			}
		}
	}
}

// setReg is accumulator (i, v) of accumulator set `set` of an h-row tile:
// set s lives in the registers of rows s·h … s·h+h-1.
func (g *gemmKernel) setReg(set, h, i, v int) VecPhysical { return g.accReg(set*h+i, v) }

// kLoop4 emits a tile's k loop: four k steps per iteration, then one at a
// time (n4 and n1 both hold k). step(u) computes k step u from the A row
// pointers and pb; the pointers then move 4 bytes (A) and bBytesPerK (B)
// per k.
func kLoop4(p string, n4, n1 Register, groups []Register, pb Register, bBytesPerK int, step func(u int)) {
	const unroll = 4
	SHRQ(Imm(2), n4)
	JZ(LabelRef(label(p, "k1")))
	Label(label(p, "k4"))
	for u := 0; u < unroll; u++ {
		step(u)
	}
	for _, r := range groups {
		ADDQ(Imm(4*unroll), r)
	}
	ADDQ(U32(unroll*bBytesPerK), pb)
	DECQ(n4)
	JNZ(LabelRef(label(p, "k4")))

	Label(label(p, "k1"))
	ANDQ(Imm(unroll-1), n1)
	JZ(LabelRef(label(p, "epilogue")))
	Label(label(p, "k1loop"))
	step(0)
	for _, r := range groups {
		ADDQ(Imm(4), r)
	}
	ADDQ(U32(bBytesPerK), pb)
	DECQ(n1)
	JNZ(LabelRef(label(p, "k1loop")))
}

// tapsLoop is tile's k loop for a taps kernel: per tap, the row groups
// start offs[t] bytes after the tile's A and the k loop runs over k; B
// runs on across taps. Rows are in groups of 3 (base + lda·{0,1,2}), lda3
// only computes the bases, so the k loop keeps no more pointers live than
// the plain kernels'.
func (g *gemmKernel) tapsLoop(h int, p string) {
	lda := Load(Param("lda"), GP64())
	SHLQ(Imm(2), lda)
	ngroups := (h + 2) / 3
	groups := make([]Register, ngroups)
	for i := range groups {
		groups[i] = GP64()
	}
	aMem := func(i, disp int) Mem {
		m := Mem{Base: groups[i/3], Disp: disp}
		switch i % 3 {
		case 1:
			m.Index, m.Scale = lda, 1
		case 2:
			m.Index, m.Scale = lda, 2
		}
		return m
	}
	pb := Load(Param("b"), GP64())
	offp := Load(Param("offs"), GP64())
	q := p + "_tap"
	Label(q)
	MOVQ(g.state.a, groups[0])
	ADDQ(Mem{Base: offp}, groups[0])
	if ngroups > 1 {
		lda3 := GP64()
		LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
		for i := 1; i < ngroups; i++ {
			LEAQ(Mem{Base: groups[i-1], Index: lda3, Scale: 1}, groups[i])
		}
	}
	n4 := Load(Param("k"), GP64())
	n1 := GP64()
	MOVQ(n4, n1)
	kLoop4(q, n4, n1, groups, pb, 4*g.stride, func(u int) { g.step(h, u, aMem, pb) })
	Label(label(q, "epilogue")) // kLoop4's exit: the next tap
	ADDQ(Imm(8), offp)
	end := Load(Param("offs"), GP64())
	taps := Load(Param("taps"), GP64())
	LEAQ(Mem{Base: end, Index: taps, Scale: 8}, end)
	CMPQ(offp, end)
	JNE(LabelRef(q))

	for set := 1; set < g.sets; set++ {
		for i := 0; i < h; i++ {
			for v := range g.widths {
				VADDPS(g.setReg(set, h, i, v), g.accReg(i, v), g.accReg(i, v))
			}
		}
	}
	g.epilogue(h, p)
}
