package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulpDiff is the distance in float32 steps between a and b (same sign or
// zero; both finite or equal infinities).
func ulpDiff(a, b float32) int64 {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

// TestExpSum holds every ISA's ExpSum to float32(math.Exp(x − m)) within
// 3 ulp (subnormal results included, counted in subnormal steps) on
// awkward lengths, the whole range from underflow to overflow, the
// special values, and checks the sum and that nothing past len(x) is
// written.
func TestExpSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, isa := range Available() {
		s, err := ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		worst := int64(0)
		for _, n := range []int{1, 7, 15, 16, 17, 91, 1000} {
			for _, m := range []float32{0, 3.5, -20} {
				x := make([]float32, n)
				for i := range x {
					x[i] = m + float32(rng.Float64()*210-115) // −115..95 after the shift
				}
				if n == 1000 { // a dense sweep of [−106, 90] and the special values
					for i := range 980 {
						x[i] = m - 106 + float32(i)*0.2
					}
					copy(x[980:], []float32{m, m - 200, -inf, inf, m + 88.72, m + 88.73, m - 103.9, m - 87.4, m - 1e-7, m + 1e-7})
				}
				out := make([]float32, n+1)
				out[n] = 42
				sum := s.ExpSum(x, out[:n], m)
				if out[n] != 42 {
					t.Fatalf("%s n=%d: wrote past the end", isa, n)
				}
				var want64 float64
				for i, v := range x {
					want := float32(math.Exp(float64(v - m)))
					want64 += float64(out[i])
					got := out[i]
					if math.IsInf(float64(want), 1) || want == 0 {
						if got != want && !(want == 0 && ulpDiff(got, 0) <= 1) {
							t.Fatalf("%s n=%d: exp(%v − %v) = %v, want %v", isa, n, v, m, got, want)
						}
						continue
					}
					if d := ulpDiff(got, want); d > 3 {
						t.Fatalf("%s n=%d: exp(%v − %v) = %v, want %v (%d ulp)", isa, n, v, m, got, want, d)
					} else if d > worst {
						worst = d
					}
				}
				if math.IsInf(want64, 1) != math.IsInf(float64(sum), 1) || math.Abs(float64(sum)-want64) > 1e-5*want64 {
					t.Fatalf("%s n=%d: sum %v, want %v", isa, n, sum, want64)
				}
			}
		}
		// NaN in, NaN out, and the sum is NaN; its neighbours are unaffected.
		x := []float32{0, nan, -1}
		out := make([]float32, 3)
		if sum := s.ExpSum(x, out, 0); sum == sum || out[1] == out[1] || out[0] != 1 || ulpDiff(out[2], float32(math.Exp(-1))) > 3 {
			t.Errorf("%s: NaN: out %v sum %v", isa, out, sum)
		}
		// m = +Inf with an +Inf element: Inf − Inf is NaN, as in Go.
		if s.ExpSum([]float32{inf}, out[:1], inf); out[0] == out[0] {
			t.Errorf("%s: exp(Inf − Inf) = %v, want NaN", isa, out[0])
		}
		if s.ExpSum(nil, nil, 0) != 0 {
			t.Errorf("%s: empty sum", isa)
		}
		t.Logf("%s: worst %d ulp", isa, worst)
	}
}

// TestMax: every ISA's Max equals the plain maximum (init included) on
// awkward lengths, the maximum at each position, ±Inf, and leaves the
// lanes past len(x) out.
func TestMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inf := float32(math.Inf(1))
	for _, isa := range Available() {
		s, err := ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 7, 15, 16, 17, 91, 1000} {
			buf := make([]float32, n+16)
			for i := range buf {
				buf[i] = 1000 // past the end: must not count
			}
			x := buf[:n]
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for _, init := range []float32{-inf, 0, 5} {
				want := init
				for _, v := range x {
					want = max(want, v)
				}
				if got := s.Max(x, init); got != want {
					t.Fatalf("%s n=%d init %v: %v, want %v", isa, n, init, got, want)
				}
			}
			for p := range x { // the maximum at every position
				old := x[p]
				x[p] = 50 + float32(p%3)
				if got := s.Max(x, -inf); got != x[p] {
					t.Fatalf("%s n=%d: max at %d: %v, want %v", isa, n, p, got, x[p])
				}
				x[p] = old
			}
			if n > 0 {
				x[n-1] = inf
				if got := s.Max(x, 0); got != inf {
					t.Fatalf("%s n=%d: +Inf: %v", isa, n, got)
				}
			}
		}
	}
}

// TestSigmoid holds every ISA's Sigmoid to ir.ApplyAct's (float64, rounded)
// within 4 ulp where the result is a normal float32, within 2^−126 below
// (the kernels' exponential overflows there), on awkward lengths, a sweep
// of [−120, 120], the special values, in place, and checks nothing past
// len(x) is written.
func TestSigmoid(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	tiny := float32(math.Ldexp(1, -126))
	for _, isa := range Available() {
		s, err := ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		worst := int64(0)
		for _, n := range []int{1, 7, 15, 16, 17, 33, 1300} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.Float64()*40 - 20)
			}
			if n == 1300 {
				for i := range 1200 {
					x[i] = -120 + float32(i)*0.2
				}
				copy(x[1200:], []float32{0, -0, inf, -inf, 1e-7, -1e-7, 88.72, -88.72, -87.4, -103.9, 16.6, -16.6, 1e30, -1e30})
			}
			for _, inPlace := range []bool{false, true} {
				out := make([]float32, n+1)
				out[n] = 42
				if inPlace {
					copy(out, x)
					s.Sigmoid(out[:n], out[:n])
				} else {
					s.Sigmoid(x, out[:n])
				}
				if out[n] != 42 {
					t.Fatalf("%s n=%d: wrote past the end", isa, n)
				}
				for i, v := range x {
					want := float32(1 / (1 + math.Exp(-float64(v))))
					got := out[i]
					if want < tiny {
						if got < 0 || got > want+tiny {
							t.Fatalf("%s n=%d: sigmoid(%v) = %v, want %v", isa, n, v, got, want)
						}
						continue
					}
					if d := ulpDiff(got, want); d > 4 {
						t.Fatalf("%s n=%d: sigmoid(%v) = %v, want %v (%d ulp)", isa, n, v, got, want, d)
					} else if d > worst {
						worst = d
					}
				}
			}
		}
		out := make([]float32, 3)
		if s.Sigmoid([]float32{1, nan, -1}, out); out[1] == out[1] || ulpDiff(out[0], float32(1/(1+math.Exp(-1)))) > 4 {
			t.Errorf("%s: NaN: %v", isa, out)
		}
		s.Sigmoid(nil, nil) // nothing to do, no panic
		t.Logf("%s: worst %d ulp", isa, worst)
	}
}
