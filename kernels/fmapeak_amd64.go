//go:build amd64 && !purego

package kernels

import "github.com/mnc-go/mnc/asm"

// FMAPeakLoop returns the generated FMA-throughput loop of isa (independent
// FMAs only, no memory traffic: codegen/gemm/peak.go) and the floating-point
// operations one iteration does; nil when isa has none on this build.
func FMAPeakLoop(isa ISA) (run func(n int), flopsPerIter int) {
	switch {
	case isa == AVX512 && Supported(AVX512):
		return asm.FMAPeakAVX512, 12 * 16 * 2
	case isa == AVX2 && Supported(AVX2):
		return asm.FMAPeakAVX2FMA, 12 * 8 * 2
	}
	return nil, 0
}
