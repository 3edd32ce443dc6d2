package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
)

// forEachGemmISA runs f as a subtest for every ISA this machine and build
// can run (under -tags purego that is only Generic).
func forEachGemmISA(t *testing.T, f func(t *testing.T, s *Set)) {
	t.Helper()
	for _, isa := range Available() {
		s, err := ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		if s.Gemm == nil || s.PackGemm == nil || s.PackedGemmSize == nil || s.NR <= 0 || s.RowQuantum <= 0 {
			t.Fatalf("%s: GEMM fields not filled (NR=%d, RowQuantum=%d)", isa, s.NR, s.RowQuantum)
		}
		t.Run(isa.String(), func(t *testing.T) { f(t, s) })
	}
}

// gemmNaive is the obviously-correct twin of Set.Gemm: float64 dot products
// straight from the unpacked w ([n][k]), then bias, residual and
// ir.ApplyAct (the definition of the activations). It returns the expected
// C[i][n0:n1] and, per element, the magnitude sum|a·w| + |bias| + |r| that
// scales the tolerance.
func gemmNaive(m, n, k int, a []float32, lda int, w, bias, r []float32, ldr int, n0, n1 int, ep *Epilogue) (want []float32, mag []float64) {
	cols := n1 - n0
	want = make([]float32, m*cols)
	mag = make([]float64, m*cols)
	for i := 0; i < m; i++ {
		for j := n0; j < n1; j++ {
			var s, s64 float64
			for p := 0; p < k; p++ {
				x, y := float64(a[i*lda+p]), float64(w[j*k+p])
				s += x * y
				s64 += math.Abs(x * y)
			}
			if bias != nil {
				s += float64(bias[j])
				s64 += math.Abs(float64(bias[j]))
			}
			if r != nil {
				s += float64(r[i*ldr+j])
				s64 += math.Abs(float64(r[i*ldr+j]))
			}
			v := float32(s)
			if ep != nil {
				v = float32(refAct(ep, s, j))
			}
			want[i*cols+j-n0], mag[i*cols+j-n0] = v, s64
		}
	}
	return want, mag
}

// gemmTol is the allowed error for an element of magnitude mag: float32
// accumulation in any order is within ~k·2^-24·mag (k ≤ 144 here), and the
// activations' slopes are at most 1.5 (HardSwish at 3).
func gemmTol(mag float64) float64 { return 2e-5 * mag }

// gemmClose compares got with want: NaN must stay NaN, ±Inf must match
// exactly, finite values within tol.
func gemmClose(got, want float32, tol float64) bool {
	switch {
	case want != want:
		return got != got
	case math.IsInf(float64(want), 0):
		return got == want
	}
	return math.Abs(float64(got)-float64(want)) <= tol
}

func gemmTestEpilogues() []Epilogue {
	return []Epilogue{
		{Act: ActNone},
		{Act: ActRelu},
		{Act: ActClip, Min: 0, Max: 6},
		{Act: ActClip, Min: -0.5, Max: 0.25},
		{Act: ActHardSwish},
		{Act: ActHardSigmoid, Alpha: 0.2, Beta: 0.5},
		{Act: ActHardSigmoid, Alpha: 1.0 / 6, Beta: 0.5},
		{Act: ActSigmoid},
		{Act: ActSwish},
		{Act: ActLeakyRelu, Alpha: 0.1},
		{Act: ActLeakyRelu, Alpha: -1.5},
		{Act: ActPRelu}, // slopes filled per case by withSlopes
	}
}

func gemmRand(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

const gemmSentinel = float32(-7777.25)

// gemmCase is one Gemm call with its layout choices.
type gemmCase struct {
	m, n, k        int
	lda, ldr, ldc  int
	n0, n1         int
	bias, residual bool
	ep             Epilogue
}

func (g gemmCase) String() string {
	return fmt.Sprintf("m%d_k%d_n%d[%d:%d]_lda%d_ldr%d_ldc%d_bias%v_res%v_act%d", g.m, g.k, g.n, g.n0, g.n1,
		g.lda, g.ldr, g.ldc, g.bias, g.residual, g.ep.Act)
}

// runGemmCase packs random weights, runs s.Gemm and checks every element of
// C: the range [n0, n1) of rows [0, m) against gemmNaive, everything else
// (columns outside the range, stride padding, the row after m) untouched.
// a (nil for random, with NaN in the lda padding) lets callers plant NaN
// and Inf.
func runGemmCase(t *testing.T, s *Set, g gemmCase, rng *rand.Rand, a, w []float32) {
	t.Helper()
	if a == nil {
		a = gemmRand(rng, max(0, (g.m-1)*g.lda+g.k))
		for i := 0; i < g.m-1; i++ {
			for p := g.k; p < g.lda; p++ {
				a[i*g.lda+p] = float32(math.NaN()) // row padding must not be read
			}
		}
	}
	if w == nil {
		w = gemmRand(rng, g.n*g.k)
	}
	var bias, r []float32
	if g.bias {
		bias = gemmRand(rng, g.n)
	}
	if g.residual {
		r = gemmRand(rng, g.m*g.ldr)
	}
	bp := make([]float32, s.PackedGemmSize(g.n, g.k))
	for i := range bp {
		bp[i] = float32(math.NaN()) // packing must overwrite every element
	}
	s.PackGemm(bp, w, g.n, g.k)
	c := make([]float32, (g.m+1)*g.ldc)
	for i := range c {
		c[i] = gemmSentinel
	}
	ep := withSlopes(g.ep, g.n)
	s.Gemm(g.m, g.n, g.k, a, g.lda, bp, bias, r, g.ldr, c, g.ldc, g.n0, g.n1, &ep)

	want, mag := gemmNaive(g.m, g.n, g.k, a, g.lda, w, bias, r, g.ldr, g.n0, g.n1, &ep)
	bad := 0
	for i := 0; i <= g.m; i++ {
		for j := 0; j < g.ldc; j++ {
			got := c[i*g.ldc+j]
			if i < g.m && j >= g.n0 && j < g.n1 {
				x := i*(g.n1-g.n0) + j - g.n0
				if !gemmClose(got, want[x], gemmTol(mag[x])) {
					if bad++; bad <= 5 {
						t.Errorf("%s %v: C[%d][%d] = %v, want %v (tol %.3g)", s.ISA, g, i, j, got, want[x], gemmTol(mag[x]))
					}
				}
			} else if got != gemmSentinel {
				if bad++; bad <= 5 {
					t.Errorf("%s %v: C[%d][%d] = %v outside the output range was written", s.ISA, g, i, j, got)
				}
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s %v: %d wrong elements in all", s.ISA, g, bad)
	}
}

// TestGemmMatchesNaive crosses awkward m, k, n (edge tiles, partial panels,
// k remainders); bias, residual, activation and padded strides rotate
// across cases so that each appears with every size class.
func TestGemmMatchesNaive(t *testing.T) {
	ms := []int{1, 2, 3, 5, 6, 7, 13, 24, 49, 100} // 3, 24: 3- and 4-row edges of the 20-row kernels
	ks := []int{1, 3, 8, 17, 32, 144}
	ns := []int{1, 7, 8, 15, 16, 17, 24, 31, 33, 64, 100, 1000}
	eps := gemmTestEpilogues()
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewSource(1))
		ci := 0
		for _, m := range ms {
			for _, k := range ks {
				for _, n := range ns {
					g := gemmCase{m: m, n: n, k: k, lda: k, ldr: n, ldc: n, n0: 0, n1: n,
						bias: ci%2 == 0, residual: ci/2%2 == 0, ep: eps[ci%len(eps)]}
					if ci%3 == 0 {
						g.lda = k + 3
					}
					if ci%5 == 1 {
						g.ldr = n + 5
					}
					if ci%7 == 2 {
						g.ldc = n + 2
					}
					runGemmCase(t, s, g, rng, nil, nil)
					ci++
				}
			}
		}
	})
}

// TestGemmEveryEpilogue runs every activation with and without bias and
// residual on a shape with edge rows and a partial panel on every ISA.
func TestGemmEveryEpilogue(t *testing.T) {
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewSource(2))
		for _, ep := range gemmTestEpilogues() {
			for _, bias := range []bool{false, true} {
				for _, res := range []bool{false, true} {
					g := gemmCase{m: 29, n: 2*s.NR + 5, k: 19, lda: 21, ldr: 2*s.NR + 9, ldc: 2*s.NR + 6,
						n1: 2*s.NR + 5, bias: bias, residual: res, ep: ep}
					runGemmCase(t, s, g, rng, nil, nil)
				}
			}
		}
	})
}

// TestGemm24ColumnPanel covers the panels of exactly 24 columns (n = 24
// and the last panel of n = 56 on AVX-512, which Gemm12x24AVX512RowPairs
// computes two rows at a time): every row count up to two tiles and one
// more (even and odd edge tiles), k remainders, C and R pitches of exactly
// 24 and padded, and every epilogue.
func TestGemm24ColumnPanel(t *testing.T) {
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewSource(4))
		eps := gemmTestEpilogues()
		ci := 0
		for _, n := range []int{24, 56} {
			for m := 1; m <= 25; m++ {
				for _, k := range []int{1, 6, 13} {
					g := gemmCase{m: m, n: n, k: k, lda: k + ci%2, ldr: n + 3*(ci/2%2), ldc: n + ci/3%2, n1: n,
						bias: ci%2 == 0, residual: ci/4%2 == 0, ep: eps[ci%len(eps)]}
					runGemmCase(t, s, g, rng, nil, nil)
					ci++
				}
			}
			for _, ep := range eps {
				for _, res := range []bool{false, true} {
					g := gemmCase{m: 29, n: n, k: 19, lda: 19, ldr: n, ldc: n, n1: n, bias: true, residual: res, ep: ep}
					runGemmCase(t, s, g, rng, nil, nil)
				}
			}
		}
	})
}

// TestGemmColumnRanges checks sub-ranges [n0, n1) as a column-split runtime
// hands them out: n0 a multiple of NR, n1 anywhere after it (also inside a
// panel), and that nothing outside the range is written.
func TestGemmColumnRanges(t *testing.T) {
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewSource(3))
		n := 3*s.NR + 7
		for n0 := 0; n0 < n; n0 += s.NR {
			for _, n1 := range []int{n0 + 1, n0 + s.NR/2 + 1, min(n0+s.NR, n), min(n0+2*s.NR, n), n} {
				if n1 > n {
					continue
				}
				g := gemmCase{m: 45, n: n, k: 10, lda: 10, ldr: n, ldc: n, n0: n0, n1: n1,
					bias: true, residual: n0%2 == 0, ep: Epilogue{Act: ActClip, Min: -0.3, Max: 0.4}}
				runGemmCase(t, s, g, rng, nil, nil)
			}
		}
	})
}

// TestGemmNaNInf: NaN in one A row makes that whole row NaN under every
// activation; +Inf (all weights positive) gives Max through Clip, -Inf
// gives Min (and NaN through HardSwish, as ir.ApplyAct defines it).
func TestGemmNaNInf(t *testing.T) {
	const m, k = 7, 17
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		n := s.NR + 3
		rng := rand.New(rand.NewSource(4))
		w := gemmRand(rng, n*k)
		for i := range w {
			w[i] = 0.1 + float32(math.Abs(float64(w[i])))
		}
		a := gemmRand(rng, m*k)
		a[2*k+5] = float32(math.NaN())
		a[4*k+3] = float32(math.Inf(1))
		a[5*k+16] = float32(math.Inf(-1))
		for _, ep := range gemmTestEpilogues() {
			g := gemmCase{m: m, n: n, k: k, lda: k, ldr: n, ldc: n, n1: n, bias: true, ep: ep}
			runGemmCase(t, s, g, rng, a, w)
		}
		bp := make([]float32, s.PackedGemmSize(n, k))
		s.PackGemm(bp, w, n, k)
		c := make([]float32, m*n)
		s.Gemm(m, n, k, a, k, bp, nil, nil, 0, c, n, 0, n, &Epilogue{Act: ActClip, Min: -1, Max: 6})
		for j := 0; j < n; j++ {
			if v := c[2*n+j]; v == v {
				t.Errorf("NaN row: C[2][%d] = %v, want NaN", j, v)
			}
			if v := c[4*n+j]; v != 6 {
				t.Errorf("+Inf row through Clip(-1, 6): C[4][%d] = %v, want 6", j, v)
			}
			if v := c[5*n+j]; v != -1 {
				t.Errorf("-Inf row through Clip(-1, 6): C[5][%d] = %v, want -1", j, v)
			}
		}
	})
}

// TestGemmZeroK: with k = 0 the output is the epilogue of bias + residual.
func TestGemmZeroK(t *testing.T) {
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewSource(5))
		g := gemmCase{m: 13, n: 21, k: 0, lda: 0, ldr: 21, ldc: 21, n1: 21, bias: true, residual: true, ep: Epilogue{Act: ActRelu}}
		runGemmCase(t, s, g, rng, nil, nil)
	})
}

// TestGemmDoesNotAllocate: the assembly wrappers keep their parameter
// blocks on the stack (noescape kernels, direct calls).
func TestGemmDoesNotAllocate(t *testing.T) {
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		const m, n, k = 13, 40, 9
		a, w := make([]float32, m*k), make([]float32, n*k)
		bp := make([]float32, s.PackedGemmSize(n, k))
		s.PackGemm(bp, w, n, k)
		bias, r, c := make([]float32, n), make([]float32, m*n), make([]float32, m*n)
		ep := &Epilogue{Act: ActHardSwish}
		allocs := testing.AllocsPerRun(20, func() {
			s.Gemm(m, n, k, a, k, bp, bias, r, n, c, n, 0, n, ep)
		})
		if allocs != 0 {
			t.Errorf("%s: Gemm allocates %v times per call", s.ISA, allocs)
		}
	})
}

// TestGemmBadArgumentsPanicClearly: a short slice is reported by name.
func TestGemmBadArgumentsPanicClearly(t *testing.T) {
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		const m, n, k = 4, 8, 5
		bp := make([]float32, s.PackedGemmSize(n, k))
		defer func() {
			msg, _ := recover().(string)
			if want := "c has 31 elements, need 32"; !strings.Contains(msg, want) {
				t.Errorf("panic %q does not contain %q", msg, want)
			}
		}()
		s.Gemm(m, n, k, make([]float32, m*k), k, bp, nil, nil, 0, make([]float32, m*n-1), n, 0, n, nil)
	})
}

// TestGemmResidualMayAliasC: r == c (same stride) is an in-place residual
// add, C = act(A·W + bias + C); every kernel reads a tile's residual rows
// before storing that tile, so the planner may reuse the buffer.
func TestGemmResidualMayAliasC(t *testing.T) {
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		const m, k = 29, 13
		n := 2*s.NR + 3
		rng := rand.New(rand.NewSource(6))
		a, w, bias := gemmRand(rng, m*k), gemmRand(rng, n*k), gemmRand(rng, n)
		c := gemmRand(rng, m*n)
		r := append([]float32(nil), c...)
		ep := &Epilogue{Act: ActHardSwish}
		want, mag := gemmNaive(m, n, k, a, k, w, bias, r, n, 0, n, ep)
		bp := make([]float32, s.PackedGemmSize(n, k))
		s.PackGemm(bp, w, n, k)
		s.Gemm(m, n, k, a, k, bp, bias, c, n, c, n, 0, n, ep)
		for i, got := range c {
			if !gemmClose(got, want[i], gemmTol(mag[i])) {
				t.Fatalf("%s: C[%d][%d] = %v, want %v", s.ISA, i/n, i%n, got, want[i])
			}
		}
	})
}
