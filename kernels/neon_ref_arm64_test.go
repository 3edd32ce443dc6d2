//go:build arm64 && !purego

package kernels

import (
	"math"
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// Shared helpers of the NEON tests: float64 references independent of the
// kernels and of the pure-Go Set, and a comparison that treats NaN and ±Inf
// exactly and finite values within a stated tolerance.

// neonTestEpilogues covers every activation, including the two the NEON
// kernels leave to Go (sigmoid, swish) and a clip with unusual bounds.
func neonTestEpilogues() []Epilogue {
	return []Epilogue{
		{Act: ActNone},
		{Act: ActRelu},
		{Act: ActClip, Min: 0, Max: 6},
		{Act: ActClip, Min: -0.5, Max: 0.25},
		{Act: ActHardSwish},
		{Act: ActHardSigmoid, Alpha: 0.2, Beta: 0.5},
		{Act: ActSigmoid},
		{Act: ActSwish},
		{Act: ActLeakyRelu, Alpha: 0.1},
	}
}

// neonRefAct applies the activation to a float64 pre-activation value the
// way ir.ApplyAct does (rounded to float32 first).
func neonRefAct(ep *Epilogue, x float64) float32 {
	return ir.ApplyAct(ir.Act(ep.Act), float32(x), ep.Min, ep.Max, ep.Alpha, ep.Beta)
}

// neonTol is the error bound of a float32 sum of terms whose absolute
// values add up to absSum: each of up to `terms` roundings costs at most
// eps·absSum, plus ~4 ulps for the epilogue (hard-swish's slope is ≤ 4 on
// the test's value range), plus an absolute floor.
func neonTol(absSum float64, terms int) float64 {
	const eps = 1.0 / (1 << 23)
	return float64(terms+4)*eps*absSum*4 + 1e-6
}

func neonClose(got, want float32, tol float64) bool {
	if want != want {
		return got != got
	}
	if math.IsInf(float64(want), 0) {
		return got == want
	}
	return math.Abs(float64(got)-float64(want)) <= tol
}

// neonRandSlice draws from N(0, 2²): wide enough that elementwise inputs
// often fall outside hard-swish's [-3, 3] and hard-sigmoid's [-2.5, 2.5]
// knees, so every clamp of every register is exercised.
func neonRandSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(2 * rng.NormFloat64())
	}
	return s
}

// neonSentinel marks elements a kernel must not write.
const neonSentinel = float32(-12345.5)

func neonFilled(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = neonSentinel
	}
	return s
}

func neonSet(t *testing.T) *Set {
	t.Helper()
	if !Supported(NEON) {
		t.Skip("NEON not available (GODEBUG=cpu.asimd=off?)")
	}
	s, err := ForISA(NEON)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
