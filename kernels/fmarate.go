package kernels

import (
	"math"
	"time"
)

// fmaLatency is the latency in cycles of a vector FMA on the x86 cores with
// AVX-512 (Skylake-SP to Sapphire Rapids, Zen 4, Zen 5) and AVX2 since
// Skylake; FMARate's measurement assumes it. (Haswell/Broadwell's 5 cycles
// would read as 2.5 FMAs per cycle there: they have two FMA units, and the
// rate rounds to 2.)
const fmaLatency = 4

// FMARate measures how many FMAs of isa's full vector width this core
// issues per cycle, without knowing its clock: the time of 12 FMAs in one
// dependent chain (12 × the FMA latency in cycles) against 12 independent
// ones (12 / rate cycles), both at the same clock, best of several short
// bursts on the calling thread. perCycle is the measured ratio / latency;
// units is it rounded to 1 or 2 (AVX-512: 1 on Skylake-SP/Ice Lake client
// parts with one 512-bit FMA port, 2 on Xeon Gold/Platinum and Zen 5). Both
// are 0 when isa has no generated loops on this build (Generic, NEON,
// purego). About 10 ms.
func FMARate(isa ISA) (perCycle float64, units int) {
	indep, _ := FMAPeakLoop(isa)
	chain := fmaChainLoop(isa)
	if indep == nil || chain == nil {
		return 0, 0
	}
	best := func(run func(int), n int) float64 {
		b := math.Inf(1)
		for r := 0; r < 20; r++ {
			t0 := time.Now()
			run(n)
			b = min(b, float64(time.Since(t0).Nanoseconds()))
		}
		return b
	}
	const n = 1 << 12 // chain: 12·4·4096 ≈ 200k cycles, ~50 µs
	best(indep, n)    // warm the vector unit up (AVX-512 license, clock)
	var ti, tc float64
	for round := 0; round < 3; round++ { // interleaved
		ti1, tc1 := best(indep, 4*n), best(chain, n)
		if round == 0 || ti1 < ti {
			ti = ti1
		}
		if round == 0 || tc1 < tc {
			tc = tc1
		}
	}
	// per FMA: chain tc/n/12 ns = latency cycles; independent ti/(4n)/12 ns = 1/rate cycles
	perCycle = (tc / float64(n)) / (ti / float64(4*n)) / fmaLatency
	units = 1
	if perCycle >= 1.5 {
		units = 2
	}
	return perCycle, units
}
