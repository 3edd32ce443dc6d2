//go:build amd64 && !purego

package kernels

import (
	"math/rand"
	"testing"
)

// TestGemmTwoFMAPanels covers the panels whose kernel depends on the
// host's FMA rate, under both AVX-512 dispatches whatever this host is:
// exactly 16 columns (n = 16, the last panel of n = 48: Gemm12x16AVX512ZipPairs
// on two-FMA hosts, k in zipped pairs, else Gemm20x16AVX512Masked) and last
// panels of ≤ 8 columns packed in k pairs (n = 8, 40 exactly 8; n = 5, 37
// masked: Gemm20x8AVX512Pairs[Masked] on two-FMA hosts, else the AVX2
// k-pair kernels). Every row count up to one 20-row tile and more, k with
// every remainder mod 4 (an odd last k step), C and R pitches of exactly n
// and padded, every epilogue.
func TestGemmTwoFMAPanels(t *testing.T) {
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
		for _, n := range []int{16, 48, 8, 40, 5, 37} {
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
