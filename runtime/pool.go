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
// current one; a counter last written in an earlier run counts 0 (count),
// so starting a run writes none of them. Threads 1..nt-1 are goroutines woken per run; thread 0 is
// the caller of Run, which returns when every step's chunks are done.

// sched is the per-executor scheduling state.
type sched struct {
	nt    int
	claim []paddedCounter // per step and owner (step·nt + owner): gen<<32 | next of the owner's chunks
	done  []paddedCounter // per step: gen<<32 | chunks finished
	gen   atomic.Uint32   // the current run
	// Steps followed by a share-local step (local.go) also count each
	// owner's finished chunks: shares[shareIdx[step]·nt + owner].
	shareIdx []int // per step: index into shares, or -1
	shares   []paddedCounter

	mu       sync.Mutex
	cond     sync.Cond // signalled when gen changes, a step completes, or on close
	sleepers atomic.Int32
	closed   atomic.Bool
	// ownPs: each thread has a P of its own (threads <= GOMAXPROCS when
	// the executor was made), so a waiting thread polls spinQuiet before
	// yielding.
	ownPs bool

	workers sync.WaitGroup // worker goroutines still running (threads 1..nt-1)
}

// newSched makes the scheduling state of steps steps on nt threads;
// local[i] != nil marks a step that waits for the same share of step i−1.
func newSched(steps, nt int, local []*localStep) *sched {
	s := &sched{nt: nt, claim: make([]paddedCounter, steps*nt), done: make([]paddedCounter, steps), shareIdx: make([]int, steps)}
	k := 0
	for i := range s.shareIdx {
		s.shareIdx[i] = -1
		if i+1 < steps && local[i+1] != nil {
			s.shareIdx[i] = k
			k++
		}
	}
	s.shares = make([]paddedCounter, k*nt)
	s.ownPs = nt <= goruntime.GOMAXPROCS(0)
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
// burns at most this much CPU per wait; after spinQuiet it yields the core
// every few microseconds (waitUntil) in case the thread it waits for
// shares it.
const spinFor = 200 * time.Microsecond

// spinQuiet is how long a waiting thread polls before it starts yielding,
// when every thread has a P of its own (sched.ownPs). Most waits are the
// few microseconds by which the other thread's share of a step ends later,
// on a core of its own: yielding there (a Gosched and a sched_yield every
// 256 polls) delayed seeing the step complete (on 2 threads V1's thread 0
// saw the other's last chunk end 1.0-1.7 µs after it did, at each of its
// 19 barriers; 0.3 µs without) and offered the core to whatever else was
// runnable. Longer quiet spins cost time when the machine is
// oversubscribed (25 µs: 2-thread runs 1-3% slower at load 8), where the
// thread waited for may be queued behind the spinning one.
const spinQuiet = 8 * time.Microsecond

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
			if t0.IsZero() {
				t0 = time.Now()
			}
			d := time.Since(t0)
			if d > spinFor {
				break
			}
			if !s.ownPs || d >= spinQuiet {
				// The thread we wait for may be queued behind us: a
				// goroutine when there are more threads than Ps, or an
				// OS thread when the machine is oversubscribed. Let it run.
				goruntime.Gosched()
				osYield()
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

// start begins run generation g. The counters are not reset: the first
// write of a run replaces a counter's older tag (count), so starting a
// run does not take every counter's line from the core that last wrote
// it (thread 0's first step of V1 on 2 threads began 7 µs after Run).
func (s *sched) start(g uint32) {
	if g%retagRuns == 0 {
		s.retag(g)
	}
	s.gen.Store(g)
	s.wake()
}

// retagRuns: every this many runs start re-tags every counter, so that
// none is older than 2³¹ runs, which count would read as a later run's
// (a counter no run touches: the claims of a thread without chunks).
const retagRuns = 1 << 30

// retag sets every counter to count 0 in run g.
func (s *sched) retag(g uint32) {
	tag := uint64(g) << 32
	for _, cs := range [][]paddedCounter{s.claim, s.done, s.shares} {
		for i := range cs {
			cs[i].Store(tag)
		}
	}
}

// count returns a counter's count in run g: its count when run g wrote
// it, 0 when an earlier run did (the counter has not been touched yet in
// run g), and ok false when a later run did (run g was superseded).
func count(v uint64, g uint32) (n int, ok bool) {
	switch d := int32(uint32(v>>32) - g); {
	case d == 0:
		return int(uint32(v)), true
	case d < 0:
		return 0, true
	}
	return 0, false
}

// bump adds one to a counter in run g and returns the new count.
func bump(ctr *paddedCounter, g uint32) int {
	for {
		v := ctr.Load()
		n, ok := count(v, g)
		if !ok {
			return 0
		}
		if ctr.CompareAndSwap(v, uint64(g)<<32|uint64(n+1)) {
			return n + 1
		}
	}
}

// claimChunk hands out the next chunk of step i in run g that belongs to
// owner, or false when none are left or g is no longer the current run;
// from the last of owner's chunks when reversed.
func (s *sched) claimChunk(i, owner int, g uint32, chunks int, reversed bool) (int, bool) {
	lo, hi := owned(chunks, owner, s.nt)
	ctr := &s.claim[i*s.nt+owner]
	for {
		v := ctr.Load()
		next, ok := count(v, g)
		if !ok || lo+next >= hi {
			return 0, false
		}
		if ctr.CompareAndSwap(v, uint64(g)<<32|uint64(next+1)) {
			if reversed {
				return hi - 1 - next, true
			}
			return lo + next, true
		}
	}
}

// finish records a finished chunk of step i in run g, claimed from
// owner's share, and wakes waiters when it was the last of the step or of
// a counted share.
func (s *sched) finish(i, owner int, g uint32, chunks int) {
	if k := s.shareIdx[i]; k >= 0 {
		lo, hi := owned(chunks, owner, s.nt)
		if bump(&s.shares[k*s.nt+owner], g) == hi-lo {
			s.wake()
		}
	}
	if bump(&s.done[i], g) == chunks {
		s.wake()
	}
}

// unclaimed reports whether owner's share of step i in run g has chunks
// left to claim.
func (s *sched) unclaimed(i, owner int, g uint32, chunks int) bool {
	lo, hi := owned(chunks, owner, s.nt)
	next, ok := count(s.claim[i*s.nt+owner].Load(), g)
	return ok && lo+next < hi
}

// waitShare waits until owner's share of step i (counted: shareIdx) in
// run g is done; false if run g was superseded.
func (s *sched) waitShare(i, owner int, g uint32, chunks int) bool {
	lo, hi := owned(chunks, owner, s.nt)
	return s.waitCount(&s.shares[s.shareIdx[i]*s.nt+owner], g, hi-lo)
}

// waitCount waits until ctr counts want in run g; false if run g was
// superseded.
func (s *sched) waitCount(ctr *paddedCounter, g uint32, want int) bool {
	ok := true
	s.waitUntil(func() bool {
		n, cur := count(ctr.Load(), g)
		if !cur {
			ok = false
			return true
		}
		return n == want
	})
	return ok
}

// waitStep waits until step i of run g is complete; false if run g was
// superseded (the caller is a late thread and stops).
func (s *sched) waitStep(i int, g uint32, chunks int) bool {
	return s.waitCount(&s.done[i], g, chunks)
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
// A share-local step (local.go) has no barrier before it: a thread starts
// a share of it once the same share of the step before is done, and
// waits for the whole step before only for the chunks that write over
// what the other shares of it read.
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
			s.finish(i, 0, g, 1)
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
		ls := e.local[i]
		for d := 0; d < s.nt; d++ {
			owner := (tid + d) % s.nt
			if ls != nil && s.unclaimed(i, owner, g, n) && !s.waitShare(i-1, owner, g, e.chunks[i-1]) {
				return
			}
			for {
				c, ok := s.claimChunk(i, owner, g, n, ls != nil && ls.reversed[owner])
				if !ok {
					break
				}
				if ls != nil && ls.wait[c] && !s.waitStep(i-1, g, e.chunks[i-1]) {
					return
				}
				e.runChunk(f, i, tid, c, n)
				s.finish(i, owner, g, n)
			}
		}
		if tid != 0 && (i+1 == len(e.steps) || e.chunks[i+1] == 1) {
			continue // thread 0 waits for this step before the serial ones
		}
		// No barrier before a share-local step: thread 0's profile and
		// trace then end this step when its own part of it ends.
		if (i+1 == len(e.steps) || e.local[i+1] == nil) && !s.waitStep(i, g, n) {
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
// into chunks (0 on one thread) but those before a share-local step
// (local.go); serial steps add none (see walk).
func barriers(chunks []int, local []*localStep, nt int) int {
	if nt == 1 {
		return 0
	}
	b := 0
	for i, n := range chunks {
		if n > 1 && (i+1 == len(chunks) || local[i+1] == nil) {
			b++
		}
	}
	return b
}
