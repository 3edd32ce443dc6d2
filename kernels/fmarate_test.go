package kernels

import "testing"

// TestFMARate: an ISA with generated FMA loops measures between 1 and 2
// full-width FMAs per cycle (every x86 core with AVX2 or AVX-512 has one or
// two FMA units; the dependent chain cannot run faster than its latency,
// so a ratio far outside means the loops or the arithmetic are wrong), and
// rounds it to 1 or 2; an ISA without them reports 0.
func TestFMARate(t *testing.T) {
	for _, isa := range Available() {
		rate, units := FMARate(isa)
		t.Logf("%s: %.2f FMAs per cycle, %d units", isa, rate, units)
		if run, _ := FMAPeakLoop(isa); run == nil || fmaChainLoop(isa) == nil {
			// No generated loops, or (NEON) a peak loop but no dependent
			// chain to compare it with: the rate is not measured.
			if rate != 0 || units != 0 {
				t.Errorf("%s has no FMA-rate loops, FMARate = %g, %d", isa, rate, units)
			}
			continue
		}
		if rate < 0.7 || rate > 2.8 || units < 1 || units > 2 {
			t.Errorf("%s: %.2f FMAs per cycle (%d units), want about 1 or 2", isa, rate, units)
		}
	}
}
