//go:build linux

package kernels

import "golang.org/x/sys/unix"

// threadCPUNanos is the calling thread's CPU time: on a machine shared
// with other jobs it excludes the time the benchmark waits to be scheduled,
// which wall time (ns/op) includes.
func threadCPUNanos() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return ts.Nano()
}
