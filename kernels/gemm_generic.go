package kernels

// genericNR is the pure-Go panel width: 16 columns = four 4-column register
// quads, so a 4-row tile keeps 16 float32 sums in registers at a time.
const genericNR = 16

func fillGemmGeneric(s *Set) {
	s.NR = genericNR
	s.RowQuantum = 2 // gemmGeneric's 2-row tiles
	s.RowMultiple = 2
	s.PackedGemmSize = func(n, k int) int { return gemmPackedSize(n, k, genericNR) }
	s.PackGemm = func(dst, w []float32, n, k int) { gemmPack(dst, w, n, k, genericNR) }
	s.Gemm = gemmGeneric
}

// gemmGeneric is the portable Set.Gemm: per panel of 16 columns, tiles of
// 2 rows × 4 columns accumulate in locals (float32, like the SIMD kernels;
// bigger tiles spill: Go keeps scalars in the 16 XMM registers), then the
// epilogue runs over the finished 2×16 tile while it is in cache.
func gemmGeneric(m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
	gemmCheck("Gemm(generic)", genericNR, m, n, k, a, lda, bp, bias, r, ldr, c, ldc, n0, n1)
	if m == 0 || n0 == n1 {
		return
	}
	var tile [2][genericNR]float32
	for j0 := n0; j0 < n1; j0 += genericNR {
		cols := min(genericNR, n1-j0)
		panel := bp[j0*k : (j0+genericNR)*k] // j0 is a multiple of NR: panel j0/NR starts at j0·k
		i := 0
		for ; i+2 <= m; i += 2 {
			a0, a1 := a[i*lda:][:k], a[(i+1)*lda:][:k]
			for q := 0; q < cols; q += 4 { // quads past cols would be discarded
				gemmGeneric2x4(&tile, a0, a1, panel, q)
			}
			gemmGenericStore(tile[:], i, j0, cols, bias, r, ldr, c, ldc, ep)
		}
		if i < m {
			a0 := a[i*lda:][:k]
			for q := 0; q < cols; q += 8 {
				gemmGeneric1x8(&tile[0], a0, panel, q)
			}
			gemmGenericStore(tile[:1], i, j0, cols, bias, r, ldr, c, ldc, ep)
		}
	}
}

// gemmGeneric2x4 sets tile[0:2][q:q+4] to the dot products of two A rows
// with panel columns q..q+3.
func gemmGeneric2x4(tile *[2][genericNR]float32, a0, a1, panel []float32, q int) {
	a1 = a1[:len(a0)]
	var s00, s01, s02, s03, s10, s11, s12, s13 float32
	for p, x0 := range a0 {
		b := (*[4]float32)(panel[p*genericNR+q:])
		x1 := a1[p]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		s00 += x0 * b0
		s01 += x0 * b1
		s02 += x0 * b2
		s03 += x0 * b3
		s10 += x1 * b0
		s11 += x1 * b1
		s12 += x1 * b2
		s13 += x1 * b3
	}
	tile[0][q], tile[0][q+1], tile[0][q+2], tile[0][q+3] = s00, s01, s02, s03
	tile[1][q], tile[1][q+1], tile[1][q+2], tile[1][q+3] = s10, s11, s12, s13
}

// gemmGeneric1x8 sets out[q:q+8] to the dot products of one A row (the
// leftover row of an odd m) with panel columns q..q+7.
func gemmGeneric1x8(out *[genericNR]float32, row, panel []float32, q int) {
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	for p, x := range row {
		b := (*[8]float32)(panel[p*genericNR+q:])
		s0 += x * b[0]
		s1 += x * b[1]
		s2 += x * b[2]
		s3 += x * b[3]
		s4 += x * b[4]
		s5 += x * b[5]
		s6 += x * b[6]
		s7 += x * b[7]
	}
	out[q], out[q+1], out[q+2], out[q+3] = s0, s1, s2, s3
	out[q+4], out[q+5], out[q+6], out[q+7] = s4, s5, s6, s7
}

// gemmGenericStore runs the epilogue (bias, residual, activation) over the
// first cols columns of the tile rows and stores them at C row i0, column j0.
func gemmGenericStore(tile [][genericNR]float32, i0, j0, cols int, bias, r []float32, ldr int, c []float32, ldc int, ep *Epilogue) {
	for t := range tile {
		i := i0 + t
		out := c[i*ldc+j0:][:cols]
		acc := tile[t][:cols]
		if bias != nil {
			bs := bias[j0:][:cols]
			for j := range acc {
				acc[j] += bs[j]
			}
		}
		if r != nil {
			rs := r[i*ldr+j0:][:cols]
			for j := range acc {
				acc[j] += rs[j]
			}
		}
		actSliceAt(ep, acc, out, j0)
	}
}
