//go:build arm64 && !purego

package kernels

import (
	"fmt"

	"github.com/mnc-go/mnc/asm"
	"github.com/mnc-go/mnc/internal/epi"
)

// NEON GEMM: panels of neonNR = 12 output channels packed [k][12]; the
// last panel is the narrowest generated width that holds the remaining
// columns (8 or 4, zero padded), so n = 16 or 32 does not pay for 24 or 36
// columns. Computed by the generated gemm_<mr>x<12|8|4>_neon kernels
// (codegen/neon/gemm.go, whose inventory asm.GemmNRNEON, GemmPanelsNEON and
// GemmTileRowsNEON this file reads): 8-row tiles looped inside one call per
// panel and row block, an mr-row kernel for leftover rows, and a scratch
// tile for panels cut short by n1.
const (
	neonNR = asm.GemmNRNEON
	neonMR = asm.GemmTileRowsNEON
)

// neonGemmRowBlock is how many rows of A (a multiple of 8, the tile height) are run against
// every panel before moving on: about 128 KB of A, so the block stays in L2
// while each k×12 panel (≤ 60 KB for k ≤ 1280) is re-read from L1 by every
// 8-row tile. Small k gets long blocks and so few calls per panel.
func neonGemmRowBlock(k int) int { return max(neonMR, min(1024, 32768/max(1, k))/neonMR*neonMR) }

func fillGemmARM64(s *Set) {
	s.NR = neonNR
	s.RowQuantum = neonMR // the full-height tiles of neonGemm
	s.RowMultiple = neonMR
	s.PackedGemmSize = neonPackedGemmSize
	s.PackGemm = neonPackGemm
	s.Gemm = neonGemm
	// The dense conv is fillConvIm2col's (from fillGeneric): im2col + this GEMM.
}

// neonPanelWidth is the packed width of the panel starting at column j0:
// the narrowest generated panel holding the remaining columns (12, 8, 4:
// the columns rounded up to 4, at most 12).
func neonPanelWidth(n, j0 int) int {
	w := neonNR
	for _, p := range asm.GemmPanelsNEON { // widest first
		if p >= n-j0 {
			w = p
		}
	}
	return w
}

// neonPackedGemmSize: full panels plus the last one's width, times k.
func neonPackedGemmSize(n, k int) int {
	full := n / neonNR * neonNR
	if full < n {
		full += neonPanelWidth(n, full)
	}
	return full * k
}

func neonPackGemm(dst, w []float32, n, k int) {
	need("PackGemm(neon)", "dst", len(dst), neonPackedGemmSize(n, k))
	need("PackGemm(neon)", "w", len(w), n*k)
	for j0 := 0; j0 < n; j0 += neonNR {
		nr := neonPanelWidth(n, j0)
		panel := dst[j0*k : (j0+nr)*k]
		for p := 0; p < k; p++ {
			for jj := 0; jj < nr; jj++ {
				v := float32(0)
				if j := j0 + jj; j < n {
					v = w[j*k+p]
				}
				panel[p*nr+jj] = v
			}
		}
	}
}

func neonGemm(m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
	const name = "Gemm(neon)"
	if m < 0 || k < 0 || n0 < 0 || n0 > n1 || n1 > n || n0%neonNR != 0 {
		panic(fmt.Sprintf("kernels: %s: m=%d k=%d and column range [%d, %d) must be non-negative, within n=%d and start at a multiple of 12", name, m, k, n0, n1, n))
	}
	if m == 0 || n1 == n0 {
		return
	}
	if m > 1 && (lda < k || ldc < n1 || (r != nil && ldr < n1)) {
		panic(fmt.Sprintf("kernels: %s: row strides lda=%d ldc=%d ldr=%d too small for k=%d n1=%d", name, lda, ldc, ldr, k, n1))
	}
	if k > 0 { // with k = 0 the kernels never read A
		need(name, "a", len(a), (m-1)*lda+k)
	}
	need(name, "packed weights", len(bp), neonPackedGemmSize(n, k))
	need(name, "c", len(c), (m-1)*ldc+n1)
	if bias != nil {
		need(name, "bias", len(bias), n)
	}
	if r != nil {
		need(name, "residual", len(r), (m-1)*ldr+n1)
	}
	var prm EpParams
	act, post := ep.params(&prm, ep != nil && ep.Act == ActPRelu) // the GEMM kernels implement SlopeC, not Requant
	epp := &prm.A
	var slopeTile [neonNR]float32 // a partial panel's slopes, padded to the panel width
	rowBlock := neonGemmRowBlock(k)
	for i0 := 0; i0 < m; i0 += rowBlock {
		rows := min(rowBlock, m-i0)
		for j0 := n0; j0 < n1; j0 += neonNR {
			nr := neonPanelWidth(n, j0)
			if n1-j0 < nr {
				if act == epi.SlopeC {
					clear(slopeTile[:])
					copy(slopeTile[:], ep.Slope[j0:n1])
					prm.Slopes = &slopeTile[0]
				}
				neonGemmPartial(i0, rows, k, a, lda, bp[j0*k:], nr, bias, r, ldr, c, ldc, j0, n1-j0, act, epp)
				continue
			}
			if act == epi.SlopeC {
				prm.Slopes = &ep.Slope[j0]
			}
			b := neonAt(bp, j0*k)
			var bb *float32
			if bias != nil {
				bb = &bias[j0]
			}
			for i := i0; i < i0+rows; {
				mr, tiles := neonMR, (i0+rows-i)/neonMR
				if tiles == 0 {
					mr, tiles = i0+rows-i, 1
				}
				var rr *float32
				if r != nil {
					rr = &r[i*ldr+j0]
				}
				asm.GemmNEON(mr, nr, neonAt(a, i*lda), lda, k, b, bb, rr, ldr, &c[i*ldc+j0], ldc, tiles, act, epp)
				i += mr * tiles
			}
		}
	}
	if post {
		for i := 0; i < m; i++ {
			row := c[i*ldc+n0 : i*ldc+n1]
			for j := range row {
				row[j] = neonActScalar(ep, row[j], n0+j)
			}
		}
	}
}

// neonGemmPartial runs rows [i0, i0+rows) of an nr-wide panel with only
// cols < nr wanted columns through a scratch tile, so the kernel never reads
// bias/residual or writes C beyond column j0+cols.
func neonGemmPartial(i0, rows, k int, a []float32, lda int, panel []float32, nr int, bias, r []float32, ldr int, c []float32, ldc int, j0, cols int, act int, epp *float32) {
	var tile [neonMR * neonNR]float32
	var bt [neonNR]float32
	var bb *float32
	if bias != nil {
		copy(bt[:], bias[j0:j0+cols])
		bb = &bt[0]
	}
	for i := i0; i < i0+rows; i += neonMR {
		mr := min(neonMR, i0+rows-i)
		var rr *float32
		if r != nil {
			for ii := 0; ii < mr; ii++ {
				copy(tile[ii*nr:ii*nr+cols], r[(i+ii)*ldr+j0:])
			}
			rr = &tile[0]
		}
		asm.GemmNEON(mr, nr, neonAt(a, i*lda), lda, k, neonAt(panel, 0), bb, rr, nr, &tile[0], nr, 1, act, epp)
		for ii := 0; ii < mr; ii++ {
			copy(c[(i+ii)*ldc+j0:(i+ii)*ldc+j0+cols], tile[ii*nr:])
		}
	}
}

// neonAt is &s[i], or nil when s is too short: only for k == 0, where the
// kernel never dereferences A or B.
func neonAt(s []float32, i int) *float32 {
	if i < len(s) {
		return &s[i]
	}
	return nil
}
