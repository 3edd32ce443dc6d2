//go:build !(amd64 || arm64) || purego

package kernels

// FMAPeakLoop: no generated FMA-peak loop in this build.
func FMAPeakLoop(isa ISA) (run func(n int), flopsPerIter int) { return nil, 0 }

// HasVNNI: AVX-512 VNNI is x86 only.
func HasVNNI() bool { return false }

// HasAVXVNNI: AVX-VNNI is x86 only.
func HasAVXVNNI() bool { return false }

// VNNIPeakLoop: no VPDPBUSD loop in this build.
func VNNIPeakLoop() (run func(n int), macsPerIter int) { return nil, 0 }

// fmaChainLoop: no dependent-FMA loop in this build (FMARate reports 0).
func fmaChainLoop(isa ISA) func(n int) { return nil }
