package kernels

import (
	"fmt"
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// gonumGemm computes C = A·Wᵀ (no epilogue) with gonum's pure-Go Sgemm:
// an oracle written by other people, and the baseline of the benchmarks.
func gonumGemm(m, n, k int, a []float32, lda int, w []float32, c []float32, ldc int) {
	blas32.Implementation().Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, lda, w, k, 0, c, ldc)
}

// TestGemmMatchesGonum cross-checks every ISA against gonum's Sgemm on
// MobileNet-like shapes (no bias, no activation: the products alone).
func TestGemmMatchesGonum(t *testing.T) {
	shapes := [][3]int{{196, 64, 40}, {49, 160, 96}, {37, 24, 144}, {1, 320, 100}}
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewSource(7))
		for _, sh := range shapes {
			m, k, n := sh[0], sh[1], sh[2]
			a, w := gemmRand(rng, m*k), gemmRand(rng, n*k)
			want := make([]float32, m*n)
			gonumGemm(m, n, k, a, k, w, want, n)
			bp := make([]float32, s.PackedGemmSize(n, k))
			s.PackGemm(bp, w, n, k)
			got := make([]float32, m*n)
			s.Gemm(m, n, k, a, k, bp, nil, nil, 0, got, n, 0, n, nil)
			for i := range got {
				// Both sum k float32 products in some order: within 2k ulps
				// of the magnitude k (|a|, |w| ≤ 1).
				if !gemmClose(got[i], want[i], 2e-5*float64(k)) {
					t.Fatalf("%s %dx%dx%d: C[%d][%d] = %v, gonum %v", s.ISA, m, k, n, i/n, i%n, got[i], want[i])
				}
			}
		}
	})
}

// BenchmarkGemmGonum/<m>x<k>x<n> is the pure-Go baseline (gonum Sgemm,
// products only) on the BenchmarkGemm shapes.
func BenchmarkGemmGonum(b *testing.B) {
	for _, sh := range gemmBenchShapes {
		m, k, n := sh[0], sh[1], sh[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			rng := rand.New(rand.NewSource(1))
			a, w, c := gemmRand(rng, m*k), gemmRand(rng, n*k), make([]float32, m*n)
			for range b.N {
				gonumGemm(m, n, k, a, k, w, c, n)
			}
			reportGFLOPs(b, 2*float64(m)*float64(n)*float64(k))
		})
	}
}
