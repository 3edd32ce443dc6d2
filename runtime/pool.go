package runtime

import (
	"sync"
	"sync/atomic"
)

// pool runs every step of a plan on a fixed set of threads with a barrier
// between steps. Each step is split statically: thread t of nt does part t
// (see the step functions), so there is no work queue and no allocation.
// Threads 1..nt-1 are goroutines parked on their start channel between
// runs; thread 0 is the caller.
type pool struct {
	nt      int
	start   []chan struct{}
	done    chan struct{}
	bar     barrier
	work    func(t int) // set by the caller before a run; read by workers after start
	stopped atomic.Bool
}

func newPool(nt int) *pool {
	p := &pool{nt: nt, done: make(chan struct{}, nt)}
	p.bar.n = int32(nt)
	p.bar.cond.L = &p.bar.mu
	for t := 1; t < nt; t++ {
		ch := make(chan struct{})
		p.start = append(p.start, ch)
		go p.worker(t, ch)
	}
	return p
}

func (p *pool) worker(t int, start chan struct{}) {
	for range start {
		p.work(t)
		p.done <- struct{}{}
	}
}

// run calls work(t) on every thread and returns when all have finished.
func (p *pool) run(work func(t int)) {
	p.work = work
	for _, ch := range p.start {
		ch <- struct{}{}
	}
	work(0)
	for range p.start {
		<-p.done
	}
	p.work = nil // workers hold the pool, not the executor, between runs
}

func (p *pool) close() {
	if p.stopped.Swap(true) {
		return
	}
	for _, ch := range p.start {
		close(ch)
	}
}

// barrier is a reusable barrier for nt threads. Steps are short (tens of
// microseconds), so a thread first spins; if the others are slow — the
// machine is oversubscribed and a partner was descheduled — it sleeps on a
// condition variable instead of burning the time slice the partner needs.
// Neither path allocates.
type barrier struct {
	n        int32
	count    atomic.Int32
	gen      atomic.Uint32
	sleepers atomic.Int32
	mu       sync.Mutex
	cond     sync.Cond
}

// spinIters bounds the spinning phase (a few microseconds).
const spinIters = 4000

func (b *barrier) wait() {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		// A sleeper registers before re-checking gen, and we bump gen before
		// checking for sleepers, so one of the two always sees the other.
		if b.sleepers.Load() > 0 {
			b.mu.Lock()
			b.cond.Broadcast()
			b.mu.Unlock()
		}
		return
	}
	for i := 0; i < spinIters; i++ {
		if b.gen.Load() != g {
			return
		}
	}
	b.mu.Lock()
	b.sleepers.Add(1)
	for b.gen.Load() == g {
		b.cond.Wait()
	}
	b.sleepers.Add(-1)
	b.mu.Unlock()
}
