package main

import (
	"fmt"

	"github.com/mnc-go/mnc/codegen/neon/enc"
	"github.com/mnc-go/mnc/internal/epi"
)

// Depthwise convolution on NHWC, vectorised over 4-channel groups.
// Weights are packed [ceil(C/4)][KH·KW][4] (kernels.neonPackDW), so one
// group's taps are contiguous. Channels beyond the last full group are left
// to the Go wrapper.
//
// DWConv<K>x<K>s<S>NEON computes a run of npix output pixels of one output
// row whose window columns lie inside the image, for nky ≥ 1 valid kernel
// rows (fewer than K at the top and bottom borders: in and w then point at
// the first valid row). The wrapper sends the left/right border pixels to
// DWConvEdgeNEON.
//
// Loop order: blocks of P neighbouring output pixels outermost, channel
// groups inside, kernel rows innermost, so memory is walked in NHWC order
// (the next group is the next 16 bytes of the same pixels) and a block's K
// input rows stay in L1 however many channels there are; a group-outer
// order would sweep K whole rows once per group, which for 56×56×144 is
// ~100 KB, more than L1. The price is loading the group's K weights per
// kernel row and block. For each kernel row a block loads the (P-1)·S+K
// input vectors it needs once (one VLD1 post-incremented by the pixel
// stride each) and issues K·P independent-accumulator FMLAs, so
// neighbouring outputs share input loads. P is the largest block that fits
// the register file (checked below); smaller blocks finish the run.
//
// Expected speed on a Cortex-A76-class core: 3×3 s1 with P = 8 issues 24
// FMLA against 10 input + 3 weight loads per kernel row: 12 cycles of FMLA
// on 2 pipes vs 6.5 cycles of loads on 2 load pipes, so it is FMA-bound
// (~8 FMA/cycle) with 8 independent accumulators covering the 4-cycle
// FMLA latency. With only 9 MACs per output, the per-group epilogue and
// loop overhead take a visible share.
type dwSpec struct {
	K, S   int
	blocks []int // pixel block sizes tried in order; the last is 1
}

var dwSpecs = []dwSpec{
	{K: 3, S: 1, blocks: []int{8, 4, 2, 1}},
	{K: 3, S: 2, blocks: []int{7, 4, 2, 1}},
	{K: 5, S: 1, blocks: []int{8, 4, 2, 1}},
	{K: 5, S: 2, blocks: []int{6, 4, 2, 1}},
}

func (d dwSpec) goName() string { return fmt.Sprintf("DWConv%dx%ds%dNEON", d.K, d.K, d.S) }

const (
	dwIn, dwInRow, dwC4, dwW, dwBias, dwOut, dwNPix, dwGroups, dwNKY, dwAct, dwEp = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
	dwGIn, dwGOut, dwGLeft, dwRowPtr, dwLoadPtr, dwWPtr, dwBPtr, dwOutPtr         = 12, 13, 14, 15, 16, 17, 19, 20
	dwWGrp, dwKYLeft, dwTmp, dwSPtr                                               = 21, 22, 23, 24
)

func genDWInterior(d dwSpec) *Func {
	f := newFunc(d.goName(),
		"in *float32", "inRow int", "c int", "w *float32", "bias *float32", "out *float32",
		"npix int", "groups int", "nky int", "act int", "ep *float32")
	maxP := d.blocks[0]
	taps := d.K * d.K
	// Vector register plan: one kernel row of weights, bias, accumulators,
	// inputs, activation constants.
	wRow := seq(0, d.K)
	bias := d.K
	acc := seq(bias+1, maxP)
	nIn := (maxP-1)*d.S + d.K
	in := seq(acc[len(acc)-1]+1, nIn)
	k := in[len(in)-1] + 1
	if k+4 > 32 {
		panic(fmt.Sprintf("%s: register plan needs %d vector registers", f.Name, k+4))
	}
	f.Doc = []string{
		fmt.Sprintf("Interior run of a %d×%d stride-%d depthwise conv over nky kernel rows; strides c, inRow in elements.", d.K, d.K, d.S),
		fmt.Sprintf("Registers: weights v0–v%d, bias v%d, accumulators v%d–v%d, inputs v%d–v%d, activation constants v%d–v%d.",
			d.K-1, bias, acc[0], acc[len(acc)-1], in[0], in[len(in)-1], k, k+3),
	}
	for i, a := range f.Args {
		f.LoadArg(a.Name, i)
	}
	f.I("LSL $2, R%d, R%d", dwInRow, dwInRow)
	f.I("LSL $2, R%d, R%d", dwC4, dwC4)
	f.loadActConsts(dwEp, k)

	for _, p := range d.blocks {
		lb := fmt.Sprintf("blk%d", p)
		f.Label(lb)
		f.I("CMP $%d, R%d", p, dwNPix)
		f.I("BLT %s_end", lb)
		f.I("MOVD R%d, R%d", dwIn, dwGIn)
		f.I("MOVD R%d, R%d", dwOut, dwGOut)
		f.I("MOVD R%d, R%d", dwW, dwWGrp)
		f.I("MOVD R%d, R%d", dwBias, dwBPtr)
		f.I("MOVD %d(R%d), R%d", epi.OffSlopes, dwEp, dwSPtr) // epi.SlopeC's slopes, a group per loop
		f.I("MOVD R%d, R%d", dwGroups, dwGLeft)

		f.Label(lb + "_grp")
		f.zero(bias)
		f.I("CBZ R%d, %s_nobias", dwBPtr, lb)
		f.ldP(dwBPtr, bias)
		f.Label(lb + "_nobias")
		for _, a := range acc[:p] {
			f.vmov(bias, a)
		}
		f.I("MOVD R%d, R%d", dwGIn, dwRowPtr)
		f.I("MOVD R%d, R%d", dwWGrp, dwWPtr)
		f.I("MOVD R%d, R%d", dwNKY, dwKYLeft)
		f.Label(lb + "_row")
		for t := 0; t < d.K; t += 4 {
			f.ldP(dwWPtr, wRow[t:min(t+4, d.K)]...)
		}
		f.I("MOVD R%d, R%d", dwRowPtr, dwLoadPtr)
		for q := 0; q < (p-1)*d.S+d.K; q++ {
			f.I("VLD1.P (R%d)(R%d), %s", dwLoadPtr, dwC4, VList(in[q]))
		}
		for kx := 0; kx < d.K; kx++ {
			for px := 0; px < p; px++ {
				f.I("VFMLA %s, %s, %s", V(wRow[kx]), V(in[px*d.S+kx]), V(acc[px]))
			}
		}
		f.I("ADD R%d, R%d, R%d", dwInRow, dwRowPtr, dwRowPtr)
		f.I("SUBS $1, R%d, R%d", dwKYLeft, dwKYLeft)
		f.I("BNE %s_row", lb)

		f.activateC(lb, dwAct, dwSPtr, acc[:p], in[:min(p, len(in))], k, bias, in[0])
		f.I("MOVD R%d, R%d", dwGOut, dwOutPtr)
		for px := 0; px < p; px++ {
			f.I("VST1.P %s, (R%d)(R%d)", VList(acc[px]), dwOutPtr, dwC4)
		}
		f.I("ADD $16, R%d, R%d", dwGIn, dwGIn)
		f.I("ADD $16, R%d, R%d", dwGOut, dwGOut)
		f.I("ADD $%d, R%d, R%d", taps*16, dwWGrp, dwWGrp)
		f.I("SUBS $1, R%d, R%d", dwGLeft, dwGLeft)
		f.I("BNE %s_grp", lb)

		f.Comment("next block of %d pixels", p)
		f.I("MOVD $%d, R%d", p*d.S, dwTmp)
		f.I("MUL R%d, R%d, R%d", dwC4, dwTmp, dwTmp)
		f.I("ADD R%d, R%d, R%d", dwTmp, dwIn, dwIn)
		f.I("MOVD $%d, R%d", p, dwTmp)
		f.I("MUL R%d, R%d, R%d", dwC4, dwTmp, dwTmp)
		f.I("ADD R%d, R%d, R%d", dwTmp, dwOut, dwOut)
		f.I("SUB $%d, R%d, R%d", p, dwNPix, dwNPix)
		f.I("B %s", lb)
		f.Label(lb + "_end")
	}
	f.I("RET")
	return f
}

// genDWEdge is DWConvEdgeNEON: one output pixel with any window that is
// clipped by the padding (nky×nkx valid taps, possibly 0), any kernel size
// and stride. in points at the first valid tap's input pixel, w at the
// first valid tap of group 0; wrow = KW·4 and wgroup = KH·KW·4 elements.
// Taps rotate over 4 accumulators so consecutive FMLAs are independent
// (the 4-cycle FMLA latency would otherwise serialise them); each tap needs
// an input and a weight load, so this runs at about one FMLA per cycle, a
// quarter of the interior kernels' rate, which is why only border pixels
// come here.
func genDWEdge() *Func {
	f := newFunc("DWConvEdgeNEON",
		"in *float32", "inRow int", "c int", "w *float32", "wrow int", "wgroup int", "bias *float32",
		"out *float32", "nky int", "nkx int", "groups int", "act int", "ep *float32")
	f.Doc = []string{
		"One border pixel of a depthwise conv (taps clipped by padding), all channel groups.",
		"Registers: accumulators v0–v3 (taps in rotation), inputs v4–v7, weights v12–v15, temp v16, activation constants v8–v11.",
	}
	const (
		rIn, rRow, rC4, rW, rWRow, rWGroup, rBias, rOut, rNKY, rNKX, rGroups, rAct, rEp = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
		rRowPtr, rWRowPtr, rLoad, rWLoad, rKY, rKX, rSlope                              = 13, 14, 15, 16, 17, 19, 20
	)
	for i, a := range f.Args {
		f.LoadArg(a.Name, i)
	}
	for _, r := range []int{rRow, rC4, rWRow, rWGroup} {
		f.I("LSL $2, R%d, R%d", r, r)
	}
	f.loadActConsts(rEp, 8)
	f.I("MOVD %d(R%d), R%d", epi.OffSlopes, rEp, rSlope) // epi.SlopeC's slopes, a group per loop
	f.Label("group")
	for a := 0; a < 4; a++ {
		f.zero(a)
	}
	f.I("CBZ R%d, nobias", rBias)
	f.ldP(rBias, 0)
	f.Label("nobias")
	f.I("MOVD R%d, R%d", rIn, rRowPtr)
	f.I("MOVD R%d, R%d", rW, rWRowPtr)
	f.I("MOVD R%d, R%d", rNKY, rKY)
	f.I("CBZ R%d, epilogue", rKY)
	f.I("CBZ R%d, epilogue", rNKX)
	f.Label("row")
	f.I("MOVD R%d, R%d", rRowPtr, rLoad)
	f.I("MOVD R%d, R%d", rWRowPtr, rWLoad)
	f.I("MOVD R%d, R%d", rNKX, rKX)
	f.Label("col")
	for a := 0; a < 4; a++ {
		f.I("VLD1.P (R%d)(R%d), %s", rLoad, rC4, VList(4+a))
		f.ldP(rWLoad, 12+a)
		f.I("VFMLA %s, %s, %s", V(12+a), V(4+a), V(a))
		f.I("SUBS $1, R%d, R%d", rKX, rKX)
		if a < 3 {
			f.I("BEQ coldone")
		} else {
			f.I("BNE col")
		}
	}
	f.Label("coldone")
	f.I("ADD R%d, R%d, R%d", rRow, rRowPtr, rRowPtr)
	f.I("ADD R%d, R%d, R%d", rWRow, rWRowPtr, rWRowPtr)
	f.I("SUBS $1, R%d, R%d", rKY, rKY)
	f.I("BNE row")
	f.Label("epilogue")
	f.W(enc.FADD(0, 0, 1))
	f.W(enc.FADD(2, 2, 3))
	f.W(enc.FADD(0, 0, 2))
	f.activateC("edge", rAct, rSlope, []int{0}, []int{16}, 8, 4, 16)
	f.stP(rOut, 0)
	f.I("ADD $16, R%d, R%d", rIn, rIn)
	f.I("ADD R%d, R%d, R%d", rWGroup, rW, rW)
	f.I("SUBS $1, R%d, R%d", rGroups, rGroups)
	f.I("BNE group")
	f.I("RET")
	return f
}
