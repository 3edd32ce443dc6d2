//go:build amd64 && !purego

package kernels

// The AVX2 and AVX-512 Sets pack their last panel in k pairs when that
// panel has at most 8 columns (codegen/gemm/pairs.go says why), for the
// AVX2 k-pair kernels (which both Sets call): row q of the panel holds 16
// floats, lanes 2j and 2j+1 being W[j0+j][2q] and W[j0+j][2q+1], zero past
// k and past n. It fits in the panel's usual k·nr floats; the rest is zero.

// gemmPairPanel reports whether the panel starting at column j0 of an
// n-column matrix is in the k-pair layout.
func gemmPairPanel(j0, n int) bool { return n-j0 <= 8 }

// gemmPackPairTail is PackGemm for the amd64 Sets: panels of nr columns,
// the last one in k pairs when it is 8 columns wide or less.
func gemmPackPairTail(dst, w []float32, n, k, nr int) {
	gemmPack(dst, w, n, k, nr)
	j0 := (n - 1) / nr * nr
	if n == 0 || !gemmPairPanel(j0, n) {
		return
	}
	panel := dst[j0*k : (j0+nr)*k]
	clear(panel)
	for j := j0; j < n; j++ {
		for p := 0; p < k; p++ {
			panel[p/2*16+2*(j-j0)+p%2] = w[j*k+p]
		}
	}
}
