package kernels

import (
	"runtime"
	"testing"
)

// benchLoop runs f in b.Loop and reports, besides ns/op, the thread CPU
// time per op and GFLOP/s / GB/s computed from both: wall-time rates
// suffer when the machine is shared; the cpu-time ones much less.
func benchLoop(b *testing.B, flops, bytes float64, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0 := threadCPUNanos()
	for b.Loop() {
		f()
	}
	cpu := float64(threadCPUNanos()-c0) / float64(b.N) // ns
	sec := b.Elapsed().Seconds() / float64(b.N)
	if flops > 0 {
		b.ReportMetric(flops/sec/1e9, "GFLOP/s")
	}
	b.ReportMetric(bytes/sec/1e9, "GB/s")
	if c0 != 0 && cpu > 0 {
		b.ReportMetric(cpu/1e3, "cpu-us/op")
		if flops > 0 {
			b.ReportMetric(flops/cpu, "GFLOP/s-cpu")
		}
	}
}
