//go:build !amd64 || purego

package kernels

// gemmFMAPeaks: no generated FMA-peak loop in this build.
func gemmFMAPeaks() []gemmFMAPeak { return nil }
