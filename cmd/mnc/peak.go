package main

import (
	goruntime "runtime"
	"sync"
	"time"

	"github.com/mnc-go/mnc/kernels"
)

// machinePeak is what the machine can do, measured in the same run as the
// benchmark it is compared with.
type machinePeak struct {
	GFLOPS float64 // FMA peak on all threads (0: no peak loop for the ISA)
	GBps   float64 // copy bandwidth on all threads: bytes read + written per second
}

// onThreads runs f on n goroutines locked to OS threads at once and
// returns the wall time.
func onThreads(n int, f func(t int)) time.Duration {
	var wg sync.WaitGroup
	var ready, start sync.WaitGroup
	ready.Add(n)
	start.Add(1)
	var t0 time.Time
	for t := 0; t < n; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			goruntime.LockOSThread()
			defer goruntime.UnlockOSThread()
			ready.Done()
			start.Wait()
			f(t)
		}(t)
	}
	ready.Wait()
	t0 = time.Now()
	start.Done()
	wg.Wait()
	return time.Since(t0)
}

// measurePeak measures the FMA peak of isa's generated peak loop (one
// core's, times threads) and the copy bandwidth of 32 MiB buffers (far
// beyond the caches) on threads threads at once, keeping the best of
// several tries.
func measurePeak(isa kernels.ISA, threads int) machinePeak {
	var m machinePeak
	if run, flops := kernels.FMAPeakLoop(isa); run != nil {
		// The peak of one core times the threads: short bursts on one
		// thread, many times, keeping the best. On a shared machine a
		// long burst, or bursts on all threads at once, are nearly always
		// interrupted; a short one on one thread sometimes is not.
		n := 1 << 10
		for d := onThreads(1, func(int) { run(n) }); d < 500*time.Microsecond; d = onThreads(1, func(int) { run(n) }) {
			n *= 2
		}
		for r := 0; r < 100; r++ {
			d := onThreads(1, func(int) { run(n) })
			m.GFLOPS = max(m.GFLOPS, float64(threads)*float64(n)*float64(flops)/float64(d.Nanoseconds()))
		}
	}
	const size = 32 << 20
	src := make([][]byte, threads)
	dst := make([][]byte, threads)
	for t := range src {
		src[t], dst[t] = make([]byte, size), make([]byte, size)
		for i := range src[t] {
			src[t][i] = byte(i)
		}
		copy(dst[t], src[t]) // fault the pages in
	}
	for r := 0; r < 3; r++ {
		d := onThreads(threads, func(t int) { copy(dst[t], src[t]) })
		m.GBps = max(m.GBps, float64(threads)*2*size/float64(d.Nanoseconds()))
	}
	return m
}
