//go:build arm64 && !purego

package kernels

import (
	"testing"

	"github.com/mnc-go/mnc/asm"
)

// neonFMAPeakFlops is the work of one FMAPeakNEON iteration.
const neonFMAPeakFlops = 24 * 4 * 2

// BenchmarkFMAPeakNEON is the single-core NEON FMA throughput (GFLOP/s)
// that BenchmarkGemm/neon and BenchmarkDWConv/neon are fractions of; a
// Cortex-A76-class core at 2.4 GHz should show ~38 (2 FMLA .4s per cycle).
// Under qemu the number means nothing.
func BenchmarkFMAPeakNEON(b *testing.B) {
	if !Supported(NEON) {
		b.Skip("NEON not available")
	}
	const iters = 1 << 14
	for range b.N {
		asm.FMAPeakNEON(iters)
	}
	b.ReportMetric(float64(iters)*neonFMAPeakFlops*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFLOP/s")
}

// TestNeonFMAPeakRuns: the peak loop returns for n = 0 and small n (it is
// only ever timed, so this is the check that it terminates).
func TestNeonFMAPeakRuns(t *testing.T) {
	if !Supported(NEON) {
		t.Skip("NEON not available")
	}
	asm.FMAPeakNEON(0)
	asm.FMAPeakNEON(3)
}
