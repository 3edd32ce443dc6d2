package kernels

// genericNR is the pure-Go panel width: 16 columns = four 4-column register
// quads, so a 4-row tile keeps 16 float32 sums in registers at a time.
const genericNR = 16

func fillGemmGeneric(s *Set) {
	s.NR = genericNR
	s.PackedGemmSize = func(n, k int) int { return gemmPackedSize(n, k, genericNR) }
	s.PackGemm = func(dst, w []float32, n, k int) { gemmPack(dst, w, n, k, genericNR) }
	s.Gemm = gemmGeneric
}

// gemmGeneric is the portable Set.Gemm: per panel of 16 columns, tiles of
// 4 rows × 4 columns accumulate in locals (float32, like the SIMD kernels),
// then the epilogue runs over the finished 4×16 tile while it is in cache.
func gemmGeneric(m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue) {
	gemmCheck("Gemm(generic)", genericNR, m, n, k, a, lda, bp, bias, r, ldr, c, ldc, n0, n1)
	if m == 0 || n0 == n1 {
		return
	}
	var tile [4][genericNR]float32
	for j0 := n0; j0 < n1; j0 += genericNR {
		cols := min(genericNR, n1-j0)
		panel := bp[j0*k : (j0+genericNR)*k] // j0 is a multiple of NR: panel j0/NR starts at j0·k
		i := 0
		for ; i+4 <= m; i += 4 {
			rows := [4][]float32{a[i*lda:][:k], a[(i+1)*lda:][:k], a[(i+2)*lda:][:k], a[(i+3)*lda:][:k]}
			for q := 0; q < genericNR; q += 4 {
				gemmGeneric4x4(&tile, rows, panel, q)
			}
			gemmGenericStore(tile[:], i, j0, cols, bias, r, ldr, c, ldc, ep)
		}
		for ; i < m; i++ {
			gemmGeneric1x16(&tile[0], a[i*lda:][:k], panel)
			gemmGenericStore(tile[:1], i, j0, cols, bias, r, ldr, c, ldc, ep)
		}
	}
}

// gemmGeneric4x4 sets tile[0:4][q:q+4] to the dot products of four A rows
// with panel columns q..q+3.
func gemmGeneric4x4(tile *[4][genericNR]float32, rows [4][]float32, panel []float32, q int) {
	a0, a1, a2, a3 := rows[0], rows[1], rows[2], rows[3]
	a1, a2, a3 = a1[:len(a0)], a2[:len(a0)], a3[:len(a0)]
	var s00, s01, s02, s03, s10, s11, s12, s13 float32
	var s20, s21, s22, s23, s30, s31, s32, s33 float32
	for p, x0 := range a0 {
		b := panel[p*genericNR+q:][:4]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		x1, x2, x3 := a1[p], a2[p], a3[p]
		s00 += x0 * b0
		s01 += x0 * b1
		s02 += x0 * b2
		s03 += x0 * b3
		s10 += x1 * b0
		s11 += x1 * b1
		s12 += x1 * b2
		s13 += x1 * b3
		s20 += x2 * b0
		s21 += x2 * b1
		s22 += x2 * b2
		s23 += x2 * b3
		s30 += x3 * b0
		s31 += x3 * b1
		s32 += x3 * b2
		s33 += x3 * b3
	}
	tile[0][q], tile[0][q+1], tile[0][q+2], tile[0][q+3] = s00, s01, s02, s03
	tile[1][q], tile[1][q+1], tile[1][q+2], tile[1][q+3] = s10, s11, s12, s13
	tile[2][q], tile[2][q+1], tile[2][q+2], tile[2][q+3] = s20, s21, s22, s23
	tile[3][q], tile[3][q+1], tile[3][q+2], tile[3][q+3] = s30, s31, s32, s33
}

// gemmGeneric1x16 sets out to the dot products of one A row with all 16
// panel columns (the leftover rows).
func gemmGeneric1x16(out *[genericNR]float32, row, panel []float32) {
	var acc [genericNR]float32
	for p, x := range row {
		b := (*[genericNR]float32)(panel[p*genericNR:])
		for j := range acc {
			acc[j] += x * b[j]
		}
	}
	*out = acc
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
		actSlice(ep, acc, out)
	}
}
