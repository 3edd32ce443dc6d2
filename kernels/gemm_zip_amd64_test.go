//go:build amd64 && !purego

package kernels

import (
	"math/rand"
	"testing"
)

// TestGemm16ColumnPanel covers the panels of exactly 16 columns (n = 16
// and the last panel of n = 48) under both AVX-512 dispatches, whatever
// this host's FMA rate: Gemm12x16AVX512ZipPairs (hosts with two FMA pipes,
// k in zipped pairs) and Gemm20x16AVX512Masked. Every row count up to two
// 12-row tiles and one more, k with every remainder mod 4 (an odd last
// k step), C and R pitches of exactly n and padded, every epilogue.
func TestGemm16ColumnPanel(t *testing.T) {
	if !Supported(AVX512) {
		t.Skip("no AVX-512 on this machine")
	}
	base, err := ForISA(AVX512)
	if err != nil {
		t.Fatal(err)
	}
	for _, two := range []bool{true, false} {
		s := *base
		s.Gemm = gemmAVX512(two)
		rng := rand.New(rand.NewSource(5))
		eps := gemmTestEpilogues()
		ci := 0
		for _, n := range []int{16, 48} {
			for m := 1; m <= 25; m++ {
				for _, k := range []int{1, 2, 3, 4, 5, 6, 13} {
					g := gemmCase{m: m, n: n, k: k, lda: k + ci%2, ldr: n + 3*(ci/2%2), ldc: n + ci/3%2, n1: n,
						bias: ci%2 == 0, residual: ci/4%2 == 0, ep: eps[ci%len(eps)]}
					runGemmCase(t, &s, g, rng, nil, nil)
					ci++
				}
			}
			for _, ep := range eps {
				for _, res := range []bool{false, true} {
					g := gemmCase{m: 61, n: n, k: 35, lda: 37, ldr: n, ldc: n, n1: n, bias: true, residual: res, ep: ep}
					runGemmCase(t, &s, g, rng, nil, nil)
				}
			}
		}
	}
}
