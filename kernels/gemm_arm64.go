//go:build arm64 && !purego

package kernels

import "github.com/mnc-go/mnc/asm"

// NEON GEMM: panels of neonNR = 12 output channels packed [k][12] (zero
// padded), computed by the generated gemm_<mr>x12_neon kernels
// (codegen/neon/gemm.go): 8-row tiles looped inside one call per panel and
// row block, an mr-row kernel for leftover rows, and a 12-wide scratch tile
// for a partial last panel.
const neonNR = 12

// neonGemmRowBlock rows of A (a multiple of 8) are run against every panel
// before moving on, so the A block stays in cache while panels stream.
const neonGemmRowBlock = 64

func fillGemmARM64(s *Set) {
	s.NR = neonNR
	s.PackedGemmSize = neonPackedGemmSize
	s.PackGemm = neonPackGemm
	s.Gemm = neonGemm
	fillConvARM64(s) // the dense conv is im2col + this GEMM
}

func neonPackedGemmSize(n, k int) int { return (n + neonNR - 1) / neonNR * neonNR * k }

func neonPackGemm(dst, w []float32, n, k int) {
	neonNeed("PackGemm(neon)", "dst", len(dst), neonPackedGemmSize(n, k))
	neonNeed("PackGemm(neon)", "w", len(w), n*k)
	for j0 := 0; j0 < n; j0 += neonNR {
		panel := dst[j0*k : (j0+neonNR)*k]
		for p := 0; p < k; p++ {
			for jj := 0; jj < neonNR; jj++ {
				v := float32(0)
				if j := j0 + jj; j < n {
					v = w[j*k+p]
				}
				panel[p*neonNR+jj] = v
			}
		}
	}
}

func neonGemm(m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
	if m <= 0 || n1 <= n0 {
		return
	}
	const name = "Gemm(neon)"
	if n0%neonNR != 0 || n0 < 0 || n1 > n {
		panic("kernels: " + name + ": column range [" + itoa(n0) + ", " + itoa(n1) + ") must start at a multiple of 12 and end ≤ n=" + itoa(n))
	}
	neonNeed(name, "a", len(a), (m-1)*lda+k)
	neonNeed(name, "packed weights", len(bp), neonPackedGemmSize(n, k))
	neonNeed(name, "c", len(c), (m-1)*ldc+n1)
	if bias != nil {
		neonNeed(name, "bias", len(bias), n)
	}
	if r != nil {
		neonNeed(name, "residual", len(r), (m-1)*ldr+n1)
	}
	act, consts, post := neonEpilogue(ep)
	epp := &consts[0]
	for i0 := 0; i0 < m; i0 += neonGemmRowBlock {
		rows := min(neonGemmRowBlock, m-i0)
		for j0 := n0; j0 < n1; j0 += neonNR {
			if n1-j0 < neonNR {
				neonGemmPartial(i0, rows, k, a, lda, bp[j0*k:], bias, r, ldr, c, ldc, j0, n1-j0, act, epp)
				continue
			}
			b := neonAt(bp, j0*k)
			var bb *float32
			if bias != nil {
				bb = &bias[j0]
			}
			for i := i0; i < i0+rows; {
				mr, tiles := 8, (i0+rows-i)/8
				if tiles == 0 {
					mr, tiles = i0+rows-i, 1
				}
				var rr *float32
				if r != nil {
					rr = &r[i*ldr+j0]
				}
				asm.GemmMRx12NEON(mr, neonAt(a, i*lda), lda, k, b, bb, rr, ldr, &c[i*ldc+j0], ldc, tiles, act, epp)
				i += mr * tiles
			}
		}
	}
	if post {
		for i := 0; i < m; i++ {
			row := c[i*ldc+n0 : i*ldc+n1]
			for j := range row {
				row[j] = neonActScalar(ep, row[j])
			}
		}
	}
}

// neonGemmPartial runs rows [i0, i0+rows) of a panel with only cols < 12
// valid columns through a 12-wide scratch tile, so the kernel never reads
// bias/residual or writes C beyond column j0+cols.
func neonGemmPartial(i0, rows, k int, a []float32, lda int, panel, bias, r []float32, ldr int, c []float32, ldc int, j0, cols int, act int, epp *float32) {
	var tile [8 * neonNR]float32
	var bt [neonNR]float32
	var bb *float32
	if bias != nil {
		copy(bt[:], bias[j0:j0+cols])
		bb = &bt[0]
	}
	for i := i0; i < i0+rows; i += 8 {
		mr := min(8, i0+rows-i)
		var rr *float32
		if r != nil {
			for ii := 0; ii < mr; ii++ {
				copy(tile[ii*neonNR:ii*neonNR+cols], r[(i+ii)*ldr+j0:])
			}
			rr = &tile[0]
		}
		asm.GemmMRx12NEON(mr, neonAt(a, i*lda), lda, k, neonAt(panel, 0), bb, rr, neonNR, &tile[0], neonNR, 1, act, epp)
		for ii := 0; ii < mr; ii++ {
			copy(c[(i+ii)*ldc+j0:(i+ii)*ldc+j0+cols], tile[ii*neonNR:])
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
