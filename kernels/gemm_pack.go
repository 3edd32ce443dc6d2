package kernels

import "fmt"

// The GEMM weight format shared by every ISA (only the panel width nr
// differs): w, stored [n][k], is cut into ceil(n/nr) panels of nr output
// channels; panel q holds, for each p in [0, k), the nr weights
// W[q·nr+jj][p] contiguously (one k step of the micro-kernel is one aligned
// row of nr floats). Columns past n are zero, so kernels may always read a
// whole panel.

// gemmPackedSize is the packed length of an n×k weight matrix for panel width nr.
func gemmPackedSize(n, k, nr int) int { return (n + nr - 1) / nr * nr * k }

// gemmPack packs w ([n][k]) into dst in panels of nr columns.
func gemmPack(dst, w []float32, n, k, nr int) {
	if n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: PackGemm: negative size n=%d k=%d", n, k))
	}
	need("PackGemm", "w", len(w), n*k)
	need("PackGemm", "dst", len(dst), gemmPackedSize(n, k, nr))
	for q := 0; q*nr < n; q++ {
		panel := dst[q*nr*k : (q+1)*nr*k]
		for p := 0; p < k; p++ {
			row := panel[p*nr : (p+1)*nr]
			for jj := range row {
				if j := q*nr + jj; j < n {
					row[jj] = w[j*k+p]
				} else {
					row[jj] = 0
				}
			}
		}
	}
}
