//go:build arm64 && !purego

package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// Lengths around the 4-float vector, the 4- and 8-vector unrolled loops and
// the Go remainder.
var neonMiscLens = []int{1, 3, 4, 5, 15, 16, 17, 33, 67, 259}

func TestNeonAddActivate(t *testing.T) {
	s := neonSet(t)
	rng := rand.New(rand.NewSource(5))
	for _, n := range neonMiscLens {
		a, b := neonRandSlice(rng, n), neonRandSlice(rng, n)
		a[n/2] = float32(math.NaN())
		b[0] = float32(math.Inf(1))
		if n > 2 {
			a[n-1] = float32(math.Inf(-1))
		}
		for _, ep := range neonTestEpilogues() {
			out := neonFilled(n + 1)
			s.Add(a, b, out[:n], &ep)
			for i := 0; i < n; i++ {
				want := neonRefAct(&ep, float64(a[i])+float64(b[i]))
				if !neonClose(out[i], want, neonTol(math.Abs(float64(a[i]))+math.Abs(float64(b[i])), 1)) {
					t.Errorf("Add n=%d %v: out[%d] = %v, want %v", n, ep.Act, i, out[i], want)
				}
			}
			if out[n] != neonSentinel {
				t.Errorf("Add n=%d wrote past the end", n)
			}
			// In place, as the runtime does for residual adds.
			x := append([]float32(nil), a...)
			s.Activate(x, x, &ep)
			for i := 0; i < n; i++ {
				want := neonRefAct(&ep, float64(a[i]))
				if !neonClose(x[i], want, neonTol(math.Abs(float64(a[i])), 0)) {
					t.Errorf("Activate n=%d %v: x[%d] = %v, want %v", n, ep.Act, i, x[i], want)
				}
			}
		}
	}
}

func TestNeonGlobalAvgPoolScale(t *testing.T) {
	s := neonSet(t)
	rng := rand.New(rand.NewSource(6))
	for _, hw := range []int{1, 3, 49} {
		for _, c := range []int{1, 4, 7, 32, 36, 45} {
			in := neonRandSlice(rng, hw*c)
			out := neonFilled(c + 1)
			s.GlobalAvgPool(in, hw, c, out[:c])
			for ch := 0; ch < c; ch++ {
				sum, abs := 0.0, 0.0
				for p := 0; p < hw; p++ {
					sum += float64(in[p*c+ch])
					abs += math.Abs(float64(in[p*c+ch]))
				}
				want := float32(sum / float64(hw))
				if !neonClose(out[ch], want, neonTol(abs/float64(hw), hw+1)) {
					t.Errorf("GlobalAvgPool hw=%d c=%d: out[%d] = %v, want %v", hw, c, ch, out[ch], want)
				}
			}
			if out[c] != neonSentinel {
				t.Errorf("GlobalAvgPool hw=%d c=%d wrote past c", hw, c)
			}
			sc := neonRandSlice(rng, c)
			got := append([]float32(nil), in...)
			s.ScaleChannels(got, hw, c, sc, got) // in place
			for i, v := range got {
				want := in[i] * sc[i%c]
				if v != want {
					t.Errorf("ScaleChannels hw=%d c=%d: [%d] = %v, want %v", hw, c, i, v, want)
				}
			}
		}
	}
}
