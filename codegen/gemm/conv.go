package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Pixel-vector convolution kernels: a dense stride-1 convolution with the
// output channels as the rows of the tile and consecutive output pixels in
// the vector lanes, so a layer with few output channels (PP-OCR's 3×3
// convs to 24) still fills every lane, unlike the NHWC GEMM, whose lanes
// are output channels (24 of 32 used). The input is a transposed copy
// [channel][pixel] of the image band, rows padded (kernels/conv_pix.go), so
// every tap is one constant pixel offset:
//
//	C[i][j] = act(bias[i] + sum_t sum_p A[i][t·k+p] · B[offs[t] + p·ldb + j])
//
// for i < m ≤ mr rows (one tile: the Go side loops over row tiles) and
// j < cols ≤ width pixels. A (the weights, [row][tap][channel]) is
// broadcast from memory with row stride lda; B is read at byte offset
// offs[t] from b, one row of width pixels per input channel, ldb bytes
// apart; loads of B are never masked (the band has slack after its end),
// stores of C are. No residual: the caller adds one after the kernel.
type convKernel struct {
	gemmKernel
}

const convSignature = "func(m, k, taps int, offs *int64, a *float32, lda int, b *float32, ldb int, bias *float32, c *float32, ldc int, cols int, ep *float32, mode int)"

func (g *convKernel) emit(iota Mem) {
	g.layout()
	g.iota = iota
	TEXT(g.name, NOSPLIT, convSignature)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes an up to %d-row × %d-pixel tile of a pixel-vector convolution with the fused epilogue (%s).",
		g.name, g.mr, g.width(), g.isa.name))
	if g.isa.evex {
		g.columnMasks(g.acc[0])
	}
	rows := Load(Param("m"), GP64())
	for h := 1; h <= g.mr; h++ {
		CMPQ(rows, Imm(uint64(h)))
		JEQ(LabelRef(fmt.Sprintf("tile%d", h)))
	}
	JMP(LabelRef("done"))
	for h := 1; h <= g.mr; h++ {
		Label(fmt.Sprintf("tile%d", h))
		g.convTile(h)
		JMP(LabelRef("done"))
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// convTile computes and stores an h-row tile.
func (g *convKernel) convTile(h int) {
	p := fmt.Sprintf("c%d", h)
	g.sets = 1
	if h*len(g.widths) <= 4 {
		g.sets = min(4, g.mr/h)
	}
	Commentf("%d-row tile, %d accumulator set(s); accumulators start at the rows' bias", h, g.sets)
	bias := Load(Param("bias"), GP64())
	for i := 0; i < h; i++ {
		VBROADCASTSS(Mem{Base: bias, Disp: 4 * i}, g.accReg(i, 0))
		for v := 1; v < len(g.widths); v++ {
			VMOVAPS(g.accReg(i, 0), g.accReg(i, v))
		}
	}
	for set := 1; set < g.sets; set++ {
		for i := 0; i < h; i++ {
			for v := range g.widths {
				g.isa.zero(g.setReg(set, h, i, v))
			}
		}
	}
	lda := Load(Param("lda"), GP64())
	SHLQ(Imm(2), lda)
	ngroups := (h + g.group - 1) / g.group
	var lda3 Register
	if ngroups > 1 {
		lda3 = GP64()
		LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	}
	groups := make([]Register, ngroups)
	groups[0] = Load(Param("a"), GP64())
	for i := 1; i < ngroups; i++ {
		groups[i] = GP64()
		LEAQ(Mem{Base: groups[i-1], Index: lda3, Scale: 1}, groups[i])
	}
	aMem := func(i, disp int) Mem {
		m := Mem{Base: groups[i/g.group], Disp: disp}
		switch i % g.group {
		case 1:
			m.Index, m.Scale = lda, 1
		case 2:
			m.Index, m.Scale = lda, 2
		}
		return m
	}
	ldb := Load(Param("ldb"), GP64())
	offs := Load(Param("offs"), GP64())
	taps := Load(Param("taps"), GP64())
	pb, n := GP64(), GP64()

	Label(label(p, "tap"))
	Load(Param("b"), pb)
	ADDQ(Mem{Base: offs}, pb)
	Load(Param("k"), n)
	const unroll = 4
	SHRQ(Imm(2), n)
	JZ(LabelRef(label(p, "k1")))
	Label(label(p, "k4"))
	for u := 0; u < unroll; u++ {
		g.convStep(h, u, aMem, pb)
		ADDQ(ldb, pb)
	}
	for _, r := range groups {
		ADDQ(Imm(4*unroll), r)
	}
	DECQ(n)
	JNZ(LabelRef(label(p, "k4")))
	Label(label(p, "k1"))
	Load(Param("k"), n)
	ANDQ(Imm(unroll-1), n)
	JZ(LabelRef(label(p, "next")))
	Label(label(p, "k1loop"))
	g.convStep(h, 0, aMem, pb)
	ADDQ(ldb, pb)
	for _, r := range groups {
		ADDQ(Imm(4), r)
	}
	DECQ(n)
	JNZ(LabelRef(label(p, "k1loop")))
	Label(label(p, "next"))
	ADDQ(Imm(8), offs)
	DECQ(taps)
	JNZ(LabelRef(label(p, "tap")))

	for set := 1; set < g.sets; set++ {
		for i := 0; i < h; i++ {
			for v := range g.widths {
				VADDPS(g.setReg(set, h, i, v), g.accReg(i, v), g.accReg(i, v))
			}
		}
	}
	g.state = tileState{c: Load(Param("c"), GP64())}
	g.epilogue(h, p)
}

// convStep is one input channel of one tap: load the B row (width pixels),
// then per row one broadcast of its weight (embedded on AVX-512) and nv
// FMAs. u rotates the accumulator sets and broadcast registers.
func (g *convKernel) convStep(h, u int, aMem func(i, disp int) Mem, pb Register) {
	for v := range g.widths {
		VMOVUPS(Mem{Base: pb, Disp: 4 * g.off[v]}, g.as(g.b[v], v))
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
