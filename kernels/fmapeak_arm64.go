//go:build arm64 && !purego

package kernels

import "github.com/mnc-go/mnc/asm"

// FMAPeakLoop returns the generated FMA-throughput loop of isa (independent
// FMLAs only, no memory traffic) and the floating-point operations one
// iteration does; nil when isa has none on this build.
func FMAPeakLoop(isa ISA) (run func(n int), flopsPerIter int) {
	if isa == NEON && Supported(NEON) {
		return asm.FMAPeakNEON, 24 * 4 * 2
	}
	return nil, 0
}

// HasVNNI: AVX-512 VNNI is x86 only.
func HasVNNI() bool { return false }

// HasAVXVNNI: AVX-VNNI is x86 only.
func HasAVXVNNI() bool { return false }

// VNNIPeakLoop: no VPDPBUSD loop in this build.
func VNNIPeakLoop() (run func(n int), macsPerIter int) { return nil, 0 }

// sdotPeakLoop returns the generated SDOT-throughput loop (24 independent
// SDOT by element, codegen/neon/int8.go) and the int8 multiply-adds one
// iteration does; nil without the dot-product extension.
func sdotPeakLoop() (run func(n int), macsPerIter int) {
	if !hasSDOT {
		return nil, 0
	}
	return asm.DotPeakSDOT, 24 * 16
}

// fmaChainLoop: no dependent-FMA loop in this build (FMARate reports 0).
func fmaChainLoop(isa ISA) func(n int) { return nil }
