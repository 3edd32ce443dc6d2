//go:build amd64 && !purego

package kernels

import (
	"sync"
	"unsafe"

	"github.com/mnc-go/mnc/asm"
	"github.com/mnc-go/mnc/internal/epi"
)

// Panel widths of the generated kernels, and the row multiples: the least
// common multiple of the micro-tile heights of each ISA's kernels, so that
// row blocks end on whole tiles of every kernel. The generator's inventory
// (codegen/gemm/main.go) writes them, with the dispatch, to
// asm/gemm_table_amd64.go.
const (
	avx2NR, avx2RowMultiple     = asm.GemmNRAVX2FMA, asm.GemmRowMultipleAVX2FMA
	avx512NR, avx512RowMultiple = asm.GemmNRAVX512, asm.GemmRowMultipleAVX512
)

// gemmRowBlockBytes bounds the A block (rows × k floats) one asm call walks
// for a panel: all panels of the output are run over one block while it is
// still in L2, and the packed panel (k × NR) streams from L1/L2.
const gemmRowBlockBytes = 96 << 10

func fillGemmAMD64(s *Set) {
	var nr int
	switch s.ISA {
	case AVX2:
		nr, s.Gemm, s.RowQuantum, s.RowMultiple = avx2NR, gemmAVX2, asm.GemmTileRowsAVX2FMA, avx2RowMultiple
	case AVX512:
		nr, s.Gemm, s.RowQuantum, s.RowMultiple = avx512NR, gemmAVX512(gemmTwoFMA()), asm.GemmTileRowsAVX512, avx512RowMultiple
	default:
		return
	}
	s.NR = nr
	s.PackedGemmSize = func(n, k int) int { return gemmPackedSize(n, k, nr) }
	s.PackGemm = func(dst, w []float32, n, k int) { gemmPackPairTail(dst, w, n, k, nr) }
}

// gemmZeroBias stands in for a nil bias (the kernels always add one).
var gemmZeroBias [avx512NR]float32

// gemmTwoFMA reports whether this host issues two zmm FMAs per cycle
// (FMARate, measured once per process, about 10 ms): the AVX-512 dispatch
// then takes the kernels made for such hosts (codegen/gemm's twoFMA). A
// host measured wrong under heavy load only gets the other, also correct,
// kernels.
var gemmTwoFMA = sync.OnceValue(func() bool {
	_, units := FMARate(AVX512)
	return units == 2
})

func gemmAVX2(m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
	gemmAsm(AVX2, false, m, n, k, a, lda, bp, bias, r, ldr, c, ldc, n0, n1, ep)
}

// gemmAVX512 is the AVX-512 Set.Gemm, with the kernels for hosts with two
// FMA pipes when twoFMA.
func gemmAVX512(twoFMA bool) func(m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
	return func(m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
		gemmAsm(AVX512, twoFMA, m, n, k, a, lda, bp, bias, r, ldr, c, ldc, n0, n1, ep)
	}
}

// gemmAsm is Set.Gemm on the generated kernels: row blocks (outer) × panels
// (inner), one asm call per block and panel; the call walks the block's
// rows in micro-tiles and handles the leftover rows and a partial panel.
// twoFMA picks the kernels for hosts with two FMA pipes (gemmTwoFMA).
func gemmAsm(isa ISA, twoFMA bool, m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
	nr, quantum, name := avx2NR, avx2RowMultiple, "Gemm(avx2)"
	if isa == AVX512 {
		nr, quantum, name = avx512NR, avx512RowMultiple, "Gemm(avx512)"
	}
	gemmCheck(name, nr, m, n, k, a, lda, bp, bias, r, ldr, c, ldc, n0, n1)
	if m == 0 || n0 == n1 {
		return
	}
	var prm EpParams
	mode, post := ep.params(&prm, true)
	block := max(quantum, gemmRowBlockBytes/(4*max(k, 1))/quantum*quantum)
	for i0 := 0; i0 < m; i0 += block {
		rows := min(block, m-i0)
		ap := unsafe.SliceData(a[min(i0*lda, len(a)):])
		for j0 := n0; j0 < n1; j0 += nr {
			cols := min(nr, n1-j0)
			pp := unsafe.SliceData(bp[j0*k:]) // panel j0/nr starts at j0·k
			biasp := &gemmZeroBias[0]
			if bias != nil {
				biasp = &bias[j0]
			}
			var rp *float32
			if r != nil {
				rp = &r[i0*ldr+j0]
			}
			cp := &c[i0*ldc+j0]
			if mode == epi.SlopeC || mode == epi.Requant {
				prm.Slopes = &ep.Slope[j0]
			}
			pairs := gemmPairPanel(j0, n)
			gemmPanel(isa, twoFMA, pairs, cols, rows, k, ap, lda, pp, biasp, rp, ldr, cp, ldc, &prm.A, mode)
			if post {
				for i := i0; i < i0+rows; i++ {
					row := c[i*ldc+j0:][:cols]
					actSliceAt(ep, row, row, j0)
				}
			}
		}
	}
}

// gemmPanel calls the generated dispatch (asm/gemm_table_amd64.go, from the
// generator's inventory) for a panel of cols columns.
func gemmPanel(isa ISA, twoFMA, pairs bool, cols, rows, k int, a *float32, lda int, b, bias, r *float32, ldr int, c *float32, ldc int, ep *float32, mode int) {
	if isa == AVX512 {
		asm.GemmPanelAVX512(twoFMA, pairs, rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
		return
	}
	asm.GemmPanelAVX2FMA(twoFMA, pairs, rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
}
