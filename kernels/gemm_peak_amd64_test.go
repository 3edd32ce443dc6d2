//go:build amd64 && !purego

package kernels

import "github.com/mnc-go/mnc/asm"

// gemmFMAPeaks lists the generated FMA-peak loops this machine can run
// (12 independent FMAs per iteration, codegen/gemm/peak.go).
func gemmFMAPeaks() []gemmFMAPeak {
	var ps []gemmFMAPeak
	if Supported(AVX2) {
		ps = append(ps, gemmFMAPeak{AVX2, asm.FMAPeakAVX2FMA, 12 * 8 * 2})
	}
	if Supported(AVX512) {
		ps = append(ps, gemmFMAPeak{AVX512, asm.FMAPeakAVX512, 12 * 16 * 2})
	}
	return ps
}
