package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// Helpers shared by the depthwise, conv and misc tests. The references are
// naive float64 loops on unpacked weights, with activations from
// ir.ApplyAct, so they share no code with the kernels under test.

// eachISADW runs f once per ISA this machine and build support.
func eachISADW(t *testing.T, f func(t *testing.T, s *Set)) {
	t.Helper()
	for _, isa := range Available() {
		s, err := ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(isa.String(), func(t *testing.T) { f(t, s) })
	}
}

// dwTestActs has one epilogue per activation, with Clip and HardSigmoid
// parameters that are not the common defaults.
var dwTestActs = []Epilogue{
	{Act: ActNone},
	{Act: ActRelu},
	{Act: ActClip, Min: 0, Max: 6},
	{Act: ActClip, Min: -0.5, Max: 0.75},
	{Act: ActHardSwish},
	{Act: ActHardSigmoid, Alpha: 0.2, Beta: 0.5},
	{Act: ActHardSigmoid, Alpha: 1.0 / 6, Beta: 0.5},
	{Act: ActSigmoid},
	{Act: ActSwish},
	{Act: ActLeakyRelu, Alpha: 0.1},
	{Act: ActPRelu}, // slopes filled per shape by withSlopes
}

// withSlopes gives a PRelu epilogue one slope per channel (negative, zero,
// fractional and above 1, varying with the channel).
func withSlopes(ep Epilogue, channels int) Epilogue {
	if ep.Act == ActPRelu {
		ep.Slope = make([]float32, channels)
		for c := range ep.Slope {
			ep.Slope[c] = float32(c%7)*0.3 - 0.5
		}
	}
	return ep
}

// refAct is ir.ApplyAct on a value of channel c (PRelu's slope is ep.Slope[c]).
func refAct(ep *Epilogue, x float64, c int) float64 {
	alpha := ep.Alpha
	if ep.Act == ActPRelu {
		alpha = ep.Slope[c]
	}
	return float64(ir.ApplyAct(ir.Act(ep.Act), float32(x), ep.Min, ep.Max, alpha, ep.Beta))
}

// randSlice returns n values in [-2, 2): wide enough that HardSwish,
// ReLU6 and the clips see both their linear and their clamped parts.
func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.Float64()*4 - 2)
	}
	return s
}

// closeTo reports whether got matches want, where mag bounds the sum of
// the absolute values that were added to form want (so rounding error is
// relative to it). NaN must match NaN and infinities must match exactly.
func closeTo(got float32, want, mag float64) bool {
	g := float64(got)
	switch {
	case math.IsNaN(want):
		return math.IsNaN(g)
	case math.IsInf(want, 0):
		return g == want
	case math.IsNaN(g) || math.IsInf(g, 0):
		return false
	}
	// 2e-6 relative to the magnitude of the sum: float32 accumulation of up
	// to a few hundred terms with FMA or separate rounding; the activations
	// have slope at most 1.5 (HardSwish near 3).
	return math.Abs(g-want) <= 2e-6*(mag+1)*8
}

const sentinel = -12345.5
