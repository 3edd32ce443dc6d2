package main

import (
	"fmt"

	"github.com/mnc-go/mnc/codegen/neon/enc"
	"github.com/mnc-go/mnc/internal/epi"
)

// GEMM micro-kernels Gemm<MR>x<NR>NEON, MR = 1..8, NR = 12 (the main
// panel width), 8 and 4 (the last panel when n mod 12 is 8 or 4, common in
// MobileNets: 16, 32, 64, 160, 320 output channels).
//
// C[i][j] = Act(sum_p A[i][p]·B[p][j] + bias[j] (+ R[i][j])) for MR rows and
// one NR-column panel of B packed [k][NR] (kernels.neonPackGemm). The kernel
// loops over `tiles` row tiles (the macro-loop: one call covers a column
// panel of up to 8·tiles rows), re-reading the same B panel from L1.
//
// Register plan (MR = 8, NR = 12):
//
//	v8–v31   24 accumulators, acc(i, j) = v(8 + 3i + j): row i, columns 4j..4j+3
//	v0–v3    A: four consecutive k values of 4 rows (ld1 .4s), used by lane
//	v4–v6    B: one packed row of 12 columns
//	v7       free
//
// A is loaded 4 k-values at a time per row (rows are contiguous in memory,
// so no A packing is needed) and consumed with FMLA by element:
// acc(i, j) += B_j · A_i[kk]. Only 4 A registers fit next to 24
// accumulators and 3 B registers, so the 8 rows are done in two halves of
// 4, re-loading the 4 B rows (192 bytes, L1-resident) for the second half.
// Per 4 k-steps: 96 FMLA, 8 A loads + 8 three-register B loads.
//
// Expected speed on a Cortex-A76-class core: two 128-bit FMLA pipes give
// 8 FMA/cycle (16 FLOP/cycle); the loop issues 96 FMLA (48 cycles at peak)
// against 32 128-bit loads (16 cycles on two load pipes), so it is
// FMA-bound. MR < 8 kernels handle leftover rows with the same code;
// columns of a panel past n1 go through a scratch tile in the Go wrapper.
//
// Arguments (strides in elements): a, lda, k, b (panel start), bias (NR
// values, or nil), r (residual, or nil), ldr, c, ldc, tiles (≥ 1), act, ep.
var gemmNRs = []int{12, 8, 4}

const gemmMaxMR = 8

func gemmName(mr, nr int) string { return fmt.Sprintf("Gemm%dx%dNEON", mr, nr) }

func genGemm(mr, nr int) *Func {
	nv := nr / 4 // vectors per row
	f := newFunc(gemmName(mr, nr),
		"a *float32", "lda int", "k int", "b *float32", "bias *float32", "r *float32", "ldr int",
		"c *float32", "ldc int", "tiles int", "act int", "ep *float32")
	f.Doc = []string{
		fmt.Sprintf("%d×%d GEMM tile with fused bias/residual/activation; loops over tiles row tiles.", mr, nr),
		fmt.Sprintf("Accumulators v8–v%d; A in v0–v3; B in v4–v%d.", 8+nv*mr-1, 4+nv-1),
	}
	const (
		rA, rLda, rK, rB, rBias, rR, rLdr, rC, rLdc, rTiles, rAct, rEp = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
		rBRun, rKCnt, rRow, rTileA                                     = 21, 22, 23, 25
	)
	rowPtr := []int{12, 13, 14, 15, 16, 17, 19, 20} // R18 is the platform register
	acc := func(i, j int) int { return 8 + nv*i + j }
	bReg := seq(4, nv)
	var accs []int
	for i := 0; i < mr; i++ {
		for j := 0; j < nv; j++ {
			accs = append(accs, acc(i, j))
		}
	}
	var halves [][]int
	for h := 0; h < mr; h += 4 {
		halves = append(halves, seq(h, min(4, mr-h)))
	}

	for i, a := range f.Args {
		f.LoadArg(a.Name, i)
	}
	f.Comment("strides to bytes; rTileA = MR·lda bytes advances A by one tile")
	f.I("LSL $2, R%d, R%d", rLda, rLda)
	f.I("LSL $2, R%d, R%d", rLdr, rLdr)
	f.I("LSL $2, R%d, R%d", rLdc, rLdc)
	f.I("MOVD $%d, R%d", mr, rTileA)
	f.I("MUL R%d, R%d, R%d", rLda, rTileA, rTileA)

	f.Label("tile")
	for _, a := range accs {
		f.zero(a)
	}
	f.I("MOVD R%d, R%d", rA, rowPtr[0])
	for i := 1; i < mr; i++ {
		f.I("ADD R%d, R%d, R%d", rLda, rowPtr[i-1], rowPtr[i])
	}
	f.I("MOVD R%d, R%d", rB, rBRun)
	f.I("SUBS $4, R%d, R%d", rK, rKCnt)
	f.I("BLT ktail")

	f.Label("kloop4")
	for h, half := range halves {
		for _, i := range half {
			f.I("VLD1.P 16(R%d), %s", rowPtr[i], VList(i%4))
		}
		for kk := 0; kk < 4; kk++ {
			f.ldP(rBRun, bReg...)
			for _, i := range half {
				for j := 0; j < nv; j++ {
					f.W(enc.FMLAElem(acc(i, j), bReg[j], i%4, kk))
				}
			}
		}
		if h < len(halves)-1 {
			f.I("SUB $%d, R%d, R%d", 4*nr*4, rBRun, rBRun)
		}
	}
	f.I("SUBS $4, R%d, R%d", rKCnt, rKCnt)
	f.I("BGE kloop4")

	f.Label("ktail")
	f.I("ADDS $4, R%d, R%d", rKCnt, rKCnt)
	f.I("BEQ epilogue")
	f.Label("kloop1")
	for h, half := range halves {
		for _, i := range half {
			f.I("FMOVS.P 4(R%d), F%d", rowPtr[i], i%4)
		}
		f.ldP(rBRun, bReg...)
		for _, i := range half {
			for j := 0; j < nv; j++ {
				f.W(enc.FMLAElem(acc(i, j), bReg[j], i%4, 0))
			}
		}
		if h < len(halves)-1 {
			f.I("SUB $%d, R%d, R%d", nr*4, rBRun, rBRun)
		}
	}
	f.I("SUBS $1, R%d, R%d", rKCnt, rKCnt)
	f.I("BNE kloop1")

	f.Label("epilogue")
	f.Comment("bias (skipped when nil)")
	f.I("CBZ R%d, residual", rBias)
	f.I("VLD1 (R%d), %s", rBias, VList(seq(0, nv)...))
	for i := 0; i < mr; i++ {
		for j := 0; j < nv; j++ {
			f.W(enc.FADD(acc(i, j), acc(i, j), j))
		}
	}
	f.Label("residual")
	f.Comment("residual (skipped when nil); leaves r pointing at the next tile")
	f.I("CBZ R%d, act", rR)
	f.I("MOVD R%d, R%d", rR, rRow)
	for i := 0; i < mr; i++ {
		f.I("VLD1 (R%d), %s", rRow, VList(seq(0, nv)...))
		for j := 0; j < nv; j++ {
			f.W(enc.FADD(acc(i, j), acc(i, j), j))
		}
		if i < mr-1 {
			f.I("ADD R%d, R%d, R%d", rLdr, rRow, rRow)
		}
	}
	f.I("ADD R%d, R%d, R%d", rLdr, rRow, rR)
	f.Label("act")
	f.loadActConsts(rEp, 0)
	f.Comment("epi.SlopeC: max(x, Lo) + S[c]·min(x, Hi), the tile's slopes loaded like the bias")
	f.I("CMP $%d, R%d", epi.SlopeC, rAct)
	f.I("BNE gemm_modes")
	f.I("MOVD %d(R%d), R24", epi.OffSlopes, rEp)
	f.I("VLD1 (R24), %s", VList(seq(4, nv)...))
	for i := 0; i < mr; i++ {
		for j := 0; j < nv; j++ {
			a := acc(i, j)
			f.W(enc.FMIN(7, a, 3))
			f.W(enc.FMAX(a, a, 2))
			f.I("VFMLA %s, %s, %s", V(4+j), V(7), V(a))
		}
	}
	f.I("B gemm_actdone")
	f.Label("gemm_modes")
	f.activate("gemm", rAct, accs, []int{4, 5, 6, 7}, 0)

	f.Comment("store; leaves c pointing at the next tile")
	f.I("MOVD R%d, R%d", rC, rRow)
	for i := 0; i < mr; i++ {
		var row []int
		for j := 0; j < nv; j++ {
			row = append(row, acc(i, j))
		}
		f.I("VST1 %s, (R%d)", VList(row...), rRow)
		if i < mr-1 {
			f.I("ADD R%d, R%d, R%d", rLdc, rRow, rRow)
		}
	}
	f.I("ADD R%d, R%d, R%d", rLdc, rRow, rC)
	f.I("ADD R%d, R%d, R%d", rTileA, rA, rA)
	f.I("SUBS $1, R%d, R%d", rTiles, rTiles)
	f.I("BGT tile")
	f.I("RET")
	return f
}
