//go:build !(amd64 || arm64) || purego

package kernels

// FMAPeakLoop: no generated FMA-peak loop in this build.
func FMAPeakLoop(isa ISA) (run func(n int), flopsPerIter int) { return nil, 0 }
