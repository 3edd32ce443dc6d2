//go:build amd64 && !purego

package kernels

import (
	"github.com/mnc-go/mnc/asm"
	"golang.org/x/sys/cpu"
)

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

// HasVNNI reports whether the machine has AVX-512 VNNI (VPDPBUSD), the int8
// dot product the int8 kernels of issue #14 are measured against.
func HasVNNI() bool { return Supported(AVX512) && cpu.X86.HasAVX512VNNI }

// HasAVXVNNI reports whether the machine has AVX-VNNI (the VEX-encoded
// VPDPBUSD on ymm of Alder Lake and later clients, Zen 5) with AVX2: the
// int8 GEMM's path where AVX-512 VNNI is absent or not allowed.
func HasAVXVNNI() bool { return Supported(AVX2) && cpu.X86.HasAVXVNNI }

// VNNIPeakLoop returns the generated VPDPBUSD-throughput loop (independent
// zmm dot products, codegen/gemm/peak.go) and the int8 multiply-adds one
// iteration does; nil without AVX-512 VNNI.
func VNNIPeakLoop() (run func(n int), macsPerIter int) {
	if !HasVNNI() {
		return nil, 0
	}
	return asm.DotPeakAVX512VNNI, 12 * 64
}

// fmaChainLoop returns the generated dependent-FMA loop of isa (12 FMAs in
// one chain per iteration, codegen/gemm/peak.go); nil when isa has none.
func fmaChainLoop(isa ISA) func(n int) {
	switch {
	case isa == AVX512 && Supported(AVX512):
		return asm.FMAChainAVX512
	case isa == AVX2 && Supported(AVX2):
		return asm.FMAChainAVX2FMA
	}
	return nil
}
