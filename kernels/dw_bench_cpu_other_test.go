//go:build !linux

package kernels

// threadCPUNanos is unavailable here; benchmarks then omit the CPU-time
// metrics.
func threadCPUNanos() int64 { return 0 }
