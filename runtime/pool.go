package runtime

import (
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Threads and scheduling.
//
// Each step's work is cut into a fixed number of chunks when the executor
// is made (static boundaries: results do not depend on which thread runs
// which chunk). Each thread owns a contiguous share of every step's chunks
// (owned): during a run every thread walks the steps in order, claims its
// own chunks first, then takes whatever other threads have not claimed yet,
// and waits until all of the step's chunks are done. A thread the OS has
// descheduled therefore delays nothing — the running threads take its
// chunks — which keeps two threads useful on an oversubscribed machine,
// where a fixed thread-to-work assignment would wait for the sleeper at
// every step. Owning a share keeps data in the core that made it: a GEMM
// split by rows and the depthwise conv after it, split by output rows,
// give the same thread the same part of the image, instead of whichever
// thread arrived first (reading rows another core just wrote costs a
// cross-core transfer per cache line).
//
// Counters carry the run's generation in their top 32 bits, so a thread
// still finishing its walk of an earlier run can never claim a chunk of the
// current one. Threads 1..nt-1 are goroutines woken per run; thread 0 is
// the caller of Run, which returns when every step's chunks are done.

// sched is the per-executor scheduling state.
type sched struct {
	nt    int
	claim []paddedCounter // per step and owner (step·nt + owner): gen<<32 | next of the owner's chunks
	done  []paddedCounter // per step: gen<<32 | chunks finished
	gen   atomic.Uint32   // the current run

	mu       sync.Mutex
	cond     sync.Cond // signalled when gen changes, a step completes, or on close
	sleepers atomic.Int32
	closed   atomic.Bool

	workers sync.WaitGroup // worker goroutines still running (threads 1..nt-1)
}

func newSched(steps, nt int) *sched {
	s := &sched{nt: nt, claim: make([]paddedCounter, steps*nt), done: make([]paddedCounter, steps)}
	s.cond.L = &s.mu
	return s
}

// owned is the range of a step's chunks that thread t claims first.
// Threads are numbered from the last, so that a step of one chunk belongs
// to thread 0, the caller of Run, which is awake when a run starts.
func owned(chunks, t, nt int) (lo, hi int) {
	r := nt - 1 - t
	return chunks * r / nt, chunks * (r + 1) / nt
}

// paddedCounter is an atomic counter alone on its cache line(s): the
// threads hammer the current step's counters, and a counter sharing a
// line with the next step's (or with gen) would bounce it between cores.
type paddedCounter struct {
	atomic.Uint64
	_ [120]byte // 128 bytes: adjacent-line prefetch pairs lines
}

// spinFor bounds busy-waiting before sleeping. Waking a sleeping thread
// costs tens of microseconds (a futex wake and a reschedule), more than
// most steps take (V3-Small's ~100 steps run in ~15 µs each), so a thread
// waiting for a step or for the next run spins this long first. Spinning
// burns at most this much CPU per wait, and yields the core every few
// microseconds (waitUntil) in case the thread it waits for shares it.
const spinFor = 200 * time.Microsecond

// spinCheck is how many polls run between clock reads while spinning.
const spinCheck = 256

// wake wakes sleeping threads, if any. Sleepers register before their
// final check and wakers change state before looking for sleepers, so one
// of the two always sees the other.
func (s *sched) wake() {
	if s.sleepers.Load() > 0 {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// waitUntil spins, then sleeps, until ready() holds.
func (s *sched) waitUntil(ready func() bool) {
	var t0 time.Time
	for i := 0; ; i++ {
		if ready() {
			return
		}
		if i%spinCheck == spinCheck-1 {
			// The thread we wait for may be queued behind us: a goroutine
			// when there are more threads than Ps, or an OS thread when
			// the machine is oversubscribed. Let it run.
			goruntime.Gosched()
			osYield()
			if t0.IsZero() {
				t0 = time.Now()
			} else if time.Since(t0) > spinFor {
				break
			}
		}
	}
	s.mu.Lock()
	s.sleepers.Add(1)
	for !ready() {
		s.cond.Wait()
	}
	s.sleepers.Add(-1)
	s.mu.Unlock()
}

// start begins run generation g over steps with the given chunk counts.
func (s *sched) start(g uint32) {
	tag := uint64(g) << 32
	for i := range s.claim {
		s.claim[i].Store(tag)
	}
	for i := range s.done {
		s.done[i].Store(tag)
	}
	s.gen.Store(g)
	s.wake()
}

// claimChunk hands out the next chunk of step i in run g that belongs to
// owner, or false when none are left or g is no longer the current run.
func (s *sched) claimChunk(i, owner int, g uint32, chunks int) (int, bool) {
	lo, hi := owned(chunks, owner, s.nt)
	ctr := &s.claim[i*s.nt+owner]
	for {
		v := ctr.Load()
		if uint32(v>>32) != g || lo+int(uint32(v)) >= hi {
			return 0, false
		}
		if ctr.CompareAndSwap(v, v+1) {
			return lo + int(uint32(v)), true
		}
	}
}

// finish records a finished chunk of step i and wakes waiters when it was
// the last.
func (s *sched) finish(i int, chunks int) {
	if int(uint32(s.done[i].Add(1))) == chunks {
		s.wake()
	}
}

// waitStep waits until step i of run g is complete; false if run g was
// superseded (the caller is a late thread and stops).
func (s *sched) waitStep(i int, g uint32, chunks int) bool {
	target := uint64(g)<<32 | uint64(chunks)
	ok := true
	s.waitUntil(func() bool {
		v := s.done[i].Load()
		if v == target {
			return true
		}
		if uint32(v>>32) != g {
			ok = false
			return true
		}
		return false
	})
	return ok
}

// worker is thread tid's life: wait for a new run, walk its steps, repeat.
func (e *core) worker(tid int) {
	s := e.sched
	defer s.workers.Done()
	var seen uint32
	for {
		s.waitUntil(func() bool { return s.gen.Load() != seen || s.closed.Load() })
		if s.closed.Load() {
			return
		}
		seen = s.gen.Load()
		e.walk(tid, seen)
	}
}

// walk runs thread tid's part of run g: for every step, its own chunks,
// then those of the other threads it can still claim, waiting for each
// step to complete before the next.
//
// A step of one chunk is serial: thread 0 runs it alone. The other threads
// skip it: after a parallel step followed by serial ones they do not wait
// for the parallel step to complete (thread 0 does, before the serial
// steps), and at the next parallel step they wait for the last serial step
// only. A group of serial steps therefore costs no barrier of its own: the
// threads meet once per parallel step (Barriers counts them).
func (e *core) walk(tid int, g uint32) {
	s := e.sched
	for i, f := range e.steps {
		n := e.chunks[i]
		if n == 1 && s.nt > 1 {
			if tid != 0 {
				continue
			}
			e.runChunk(f, i, tid, 0, 1)
			s.finish(i, 1)
			if e.profiling {
				e.stamp(i)
			}
			if e.tracing {
				e.tb.stepEnd[i] = int64(time.Since(e.tb.t0))
			}
			continue
		}
		if tid != 0 && i > 0 && e.chunks[i-1] == 1 && !s.waitStep(i-1, g, 1) {
			return
		}
		for d := 0; d < s.nt; d++ {
			owner := (tid + d) % s.nt
			for {
				c, ok := s.claimChunk(i, owner, g, n)
				if !ok {
					break
				}
				e.runChunk(f, i, tid, c, n)
				s.finish(i, n)
			}
		}
		if tid != 0 && (i+1 == len(e.steps) || e.chunks[i+1] == 1) {
			continue // thread 0 waits for this step before the serial ones
		}
		if !s.waitStep(i, g, n) {
			return
		}
		if tid == 0 && e.profiling {
			e.stamp(i)
		}
		if tid == 0 && e.tracing {
			e.tb.stepEnd[i] = int64(time.Since(e.tb.t0))
		}
	}
}

// runChunk runs chunk c of step i's n chunks on thread tid.
func (e *core) runChunk(f stepFunc, i, tid, c, n int) {
	if e.tracing {
		e.traceChunk(f, i, tid, c, n)
	} else {
		f(tid, c, n)
	}
}

// barriers is how many times per run the threads meet: once per step split
// into chunks (0 on one thread); serial steps add none (see walk).
func barriers(chunks []int, nt int) int {
	if nt == 1 {
		return 0
	}
	b := 0
	for _, n := range chunks {
		if n > 1 {
			b++
		}
	}
	return b
}
