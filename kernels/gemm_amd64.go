//go:build amd64 && !purego

package kernels

import (
	"math"
	"unsafe"

	"github.com/mnc-go/mnc/asm"
)

// Panel widths of the generated kernels, and the row quanta: the least
// common multiple of the micro-tile heights of each ISA's kernels (AVX2
// 6 and 12, AVX-512 12 and 20; codegen/gemm/main.go is the inventory), so
// that row blocks end on whole tiles of every kernel.
const (
	avx2NR, avx2RowQuantum     = 16, 12
	avx512NR, avx512RowQuantum = 32, 60
)

// gemmRowBlockBytes bounds the A block (rows × k floats) one asm call walks
// for a panel: all panels of the output are run over one block while it is
// still in L2, and the packed panel (k × NR) streams from L1/L2.
const gemmRowBlockBytes = 96 << 10

func fillGemmAMD64(s *Set) {
	var nr int
	switch s.ISA {
	case AVX2:
		nr, s.Gemm, s.RowQuantum = avx2NR, gemmAVX2, 6 // Gemm6x16AVX2FMA
	case AVX512:
		nr, s.Gemm, s.RowQuantum = avx512NR, gemmAVX512, 12 // Gemm12x32AVX512
	default:
		return
	}
	s.NR = nr
	s.PackedGemmSize = func(n, k int) int { return gemmPackedSize(n, k, nr) }
	s.PackGemm = func(dst, w []float32, n, k int) { gemmPackPairTail(dst, w, n, k, nr) }
}

// gemmEpParams is the epilogue parameter block of the generated kernels:
// lo, hi, alpha, beta, post, each repeated 16 times so that the kernels can
// use them as full-width vector operands (see codegen/gemm/kernel.go).
type gemmEpParams [5 * 16]float32

func (p *gemmEpParams) set(i int, v float32) {
	for l := 0; l < 16; l++ {
		p[16*i+l] = v
	}
}

// gemmAsmEpilogue maps ep to the generated kernels' mode and parameters.
// Sigmoid and Swish have no vector form: post reports that the caller runs
// the kernel with mode 0 and applies ep in Go afterwards.
func gemmAsmEpilogue(ep *Epilogue, p *gemmEpParams) (mode int, post bool) {
	if ep == nil {
		return 0, false
	}
	const lo, hi, alpha, beta, scale = 0, 1, 2, 3, 4
	switch ep.Act {
	case ActNone:
		return 0, false
	case ActRelu:
		p.set(lo, 0)
		p.set(hi, float32(math.Inf(1)))
		return 1, false
	case ActClip:
		p.set(lo, ep.Min)
		p.set(hi, ep.Max)
		return 1, false
	case ActHardSigmoid:
		p.set(lo, 0)
		p.set(hi, 1)
		p.set(alpha, ep.Alpha)
		p.set(beta, ep.Beta)
		return 2, false
	case ActHardSwish:
		p.set(lo, 0)
		p.set(hi, 6)
		p.set(beta, 3)
		p.set(scale, 1.0/6)
		return 3, false
	}
	return 0, true
}

// gemmZeroBias stands in for a nil bias (the kernels always add one).
var gemmZeroBias [avx512NR]float32

func gemmAVX2(m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
	gemmAsm(AVX2, m, n, k, a, lda, bp, bias, r, ldr, c, ldc, n0, n1, ep)
}

func gemmAVX512(m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
	gemmAsm(AVX512, m, n, k, a, lda, bp, bias, r, ldr, c, ldc, n0, n1, ep)
}

// gemmAsm is Set.Gemm on the generated kernels: row blocks (outer) × panels
// (inner), one asm call per block and panel; the call walks the block's
// rows in micro-tiles and handles the leftover rows and a partial panel.
func gemmAsm(isa ISA, m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
	nr, quantum, name := avx2NR, avx2RowQuantum, "Gemm(avx2)"
	if isa == AVX512 {
		nr, quantum, name = avx512NR, avx512RowQuantum, "Gemm(avx512)"
	}
	gemmCheck(name, nr, m, n, k, a, lda, bp, bias, r, ldr, c, ldc, n0, n1)
	if m == 0 || n0 == n1 {
		return
	}
	var prm gemmEpParams
	mode, post := gemmAsmEpilogue(ep, &prm)
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
			pairs := gemmPairPanel(j0, n)
			gemmPanel(isa, pairs, cols, rows, k, ap, lda, pp, biasp, rp, ldr, cp, ldc, &prm[0], mode)
			if post {
				for i := i0; i < i0+rows; i++ {
					row := c[i*ldc+j0:][:cols]
					actSlice(ep, row, row)
				}
			}
		}
	}
}

// gemmPanel calls the generated kernel for a panel of cols columns: the
// plain kernel for full panels, for a partial (tail) panel the narrowest
// masked kernel that covers it, and the k-pair kernel for a panel packed in
// k pairs (codegen/gemm/main.go lists them). Direct calls, so the noescape
// pointers stay on the caller's stack.
func gemmPanel(isa ISA, pairs bool, cols, rows, k int, a *float32, lda int, b, bias, r *float32, ldr int, c *float32, ldc int, ep *float32, mode int) {
	switch {
	case pairs && cols == 8:
		// Also on AVX-512: measured 91% of the FMA peak against 82% for
		// Gemm20x8AVX512Masked (one embedded broadcast per FMA).
		asm.Gemm6x8AVX2FMAPairs(rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
		return
	case pairs:
		asm.Gemm6x8AVX2FMAPairsMasked(rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
		return
	}
	if isa == AVX512 {
		switch {
		case cols == avx512NR:
			asm.Gemm12x32AVX512(rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
		case cols > 24:
			asm.Gemm12x32AVX512Masked(rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
		case cols > 16:
			asm.Gemm12x24AVX512Masked(rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
		case cols > 8:
			asm.Gemm20x16AVX512Masked(rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
		default:
			asm.Gemm20x8AVX512Masked(rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
		}
		return
	}
	switch {
	case cols == avx2NR:
		asm.Gemm6x16AVX2FMA(rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
	case cols > 8:
		asm.Gemm6x16AVX2FMAMasked(rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
	default:
		asm.Gemm12x8AVX2FMAMasked(rows, k, a, lda, b, bias, r, ldr, c, ldc, cols, ep, mode)
	}
}
