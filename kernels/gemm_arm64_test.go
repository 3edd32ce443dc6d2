//go:build arm64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// neonGemmCase is one GEMM call; lda/ldc/ldr exceed k/n by pad to catch
// stride bugs.
type neonGemmCase struct {
	m, n, k, n0, n1 int
	bias, res       bool
}

func (g neonGemmCase) String() string {
	return fmt.Sprintf("m%d_n%d_k%d_cols%d-%d_bias%v_res%v", g.m, g.n, g.k, g.n0, g.n1, g.bias, g.res)
}

// runNeonGemm runs one case with activation ep and checks every element of
// c: inside the row/column range against a float64 reference, outside it
// untouched.
func runNeonGemm(t *testing.T, s *Set, g neonGemmCase, ep Epilogue, a []float32, rng *rand.Rand) {
	t.Helper()
	const pad = 3
	lda, ldc, ldr := g.k+pad, g.n+pad, g.n+2*pad
	if a == nil {
		a = neonRandSlice(rng, max(0, (g.m-1)*lda+g.k))
	}
	w := neonRandSlice(rng, g.n*g.k)
	var bias, r []float32
	if g.bias {
		bias = neonRandSlice(rng, g.n)
	}
	if g.res {
		r = neonRandSlice(rng, (g.m-1)*ldr+g.n)
	}
	bp := make([]float32, s.PackedGemmSize(g.n, g.k))
	s.PackGemm(bp, w, g.n, g.k)
	c := neonFilled((g.m-1)*ldc + g.n + pad)
	s.Gemm(g.m, g.n, g.k, a, lda, bp, bias, r, ldr, c, ldc, g.n0, g.n1, &ep)
	bad := 0
	for i := 0; i < g.m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(c); j++ {
			got := c[i*ldc+j]
			if j < g.n0 || j >= g.n1 {
				if got != neonSentinel {
					t.Errorf("%v %v: c[%d][%d] = %v written outside columns [%d,%d)", g, ep.Act, i, j, got, g.n0, g.n1)
					bad++
				}
				continue
			}
			sum, abs := 0.0, 0.0
			for p := 0; p < g.k; p++ {
				v := float64(a[i*lda+p]) * float64(w[j*g.k+p])
				sum += v
				abs += math.Abs(v)
			}
			if bias != nil {
				sum += float64(bias[j])
				abs += math.Abs(float64(bias[j]))
			}
			if r != nil {
				sum += float64(r[i*ldr+j])
				abs += math.Abs(float64(r[i*ldr+j]))
			}
			want := neonRefAct(&ep, sum)
			if !neonClose(got, want, neonTol(abs, g.k+2)) {
				t.Errorf("%v %v: c[%d][%d] = %v, want %v", g, ep.Act, i, j, got, want)
				bad++
			}
			if bad > 10 {
				t.Fatal("too many errors")
			}
		}
	}
}

// TestNeonGemmShapes covers full and leftover row tiles (1, 7, 8, 9, 17,
// several tiles per call with a residual, and several row blocks), partial panels (n not a multiple of 12),
// column ranges starting at later panels, k tails (k mod 4 ≠ 0, k = 0), and
// every activation with and without bias and residual.
func TestNeonGemmShapes(t *testing.T) {
	s := neonSet(t)
	if s.NR != 12 {
		t.Fatalf("NR = %d, want the NEON panel width 12", s.NR)
	}
	rng := rand.New(rand.NewSource(1))
	cases := []neonGemmCase{
		{m: 1, n: 12, k: 4, n0: 0, n1: 12, bias: true},
		{m: 8, n: 12, k: 16, n0: 0, n1: 12, bias: true, res: true},
		{m: 9, n: 13, k: 5, n0: 0, n1: 13, bias: true, res: true},
		{m: 7, n: 30, k: 3, n0: 12, n1: 30, res: true},
		{m: 17, n: 24, k: 1, n0: 0, n1: 17, bias: true},
		{m: 70, n: 5, k: 9, n0: 0, n1: 5, bias: true, res: true},
		{m: 3, n: 25, k: 0, n0: 24, n1: 25, bias: true},
		{m: 20, n: 36, k: 33, n0: 12, n1: 24},
		{m: 26, n: 24, k: 7, n0: 0, n1: 24, bias: true, res: true},
		{m: 75, n: 12, k: 2, n0: 0, n1: 12, res: true},
		{m: 101, n: 14, k: 600, n0: 0, n1: 14, bias: true, res: true}, // 48-row blocks
		{m: 19, n: 20, k: 6, n0: 0, n1: 20, bias: true, res: true},    // full 8-wide last panel
		{m: 17, n: 16, k: 5, n0: 12, n1: 16, bias: true, res: true},   // full 4-wide last panel
		{m: 5, n: 32, k: 4, n0: 0, n1: 30, bias: true},                // 8-wide panel cut by n1
	}
	// Every generated kernel (mr = 1..8 × nr = 12, 8, 4) with every
	// epilogue, with and without bias+residual: n = 20 is panels of 12 and
	// 8, n = 16 of 12 and 4.
	for m := 1; m <= 8; m++ {
		for _, n := range []int{16, 20} {
			for _, both := range []bool{true, false} {
				cases = append(cases, neonGemmCase{m: m, n: n, k: 5, n0: 0, n1: n, bias: both, res: both})
			}
		}
	}
	for _, g := range cases {
		for _, ep := range neonTestEpilogues() {
			runNeonGemm(t, s, g, ep, nil, rng)
		}
	}
}

// TestNeonGemmNaNInf: NaN in A must give NaN through every activation
// (FMAX/FMIN propagate it, ReLU6(NaN) is NaN, not 0 or 6); ±Inf rows give
// ±Inf or NaN exactly as the float64 reference does.
func TestNeonGemmNaNInf(t *testing.T) {
	s := neonSet(t)
	rng := rand.New(rand.NewSource(2))
	g := neonGemmCase{m: 10, n: 14, k: 6, n0: 0, n1: 14, bias: true, res: true}
	lda := g.k + 3
	a := neonRandSlice(rng, (g.m-1)*lda+g.k)
	a[1*lda+2] = float32(math.NaN())
	a[4*lda+0] = float32(math.Inf(1))
	a[9*lda+5] = float32(math.Inf(-1))
	for _, ep := range neonTestEpilogues() {
		runNeonGemm(t, s, g, ep, a, rng)
	}
	// The reference check above already compares NaN positions; also pin
	// that a NaN row really is NaN after ReLU6.
	w := make([]float32, 12*2)
	for i := range w {
		w[i] = 1
	}
	bp := make([]float32, s.PackedGemmSize(12, 2))
	s.PackGemm(bp, w, 12, 2)
	c := make([]float32, 12)
	s.Gemm(1, 12, 2, []float32{float32(math.NaN()), 1}, 2, bp, nil, nil, 0, c, 12, 0, 12, &Epilogue{Act: ActClip, Min: 0, Max: 6})
	for j, v := range c {
		if v == v {
			t.Errorf("ReLU6(NaN) column %d = %v, want NaN", j, v)
		}
	}
}
