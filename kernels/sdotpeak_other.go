//go:build !arm64 || purego

package kernels

// sdotPeakLoop: SDOT is arm64's.
func sdotPeakLoop() (run func(n int), macsPerIter int) { return nil, 0 }
