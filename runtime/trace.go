package runtime

import "time"

// TraceSpan is one thread's share of one step in a traced run: from the
// start of the first chunk it ran to the end of its last, as times since
// the run's start. A thread that ran no chunk of a step has no span.
type TraceSpan struct {
	Step, Thread int
	Chunks       int
	Start, End   time.Duration
	// Busy is the time the thread spent in the step's chunks; the rest of
	// End − Start it waited (a share-local step's wait for the other
	// share, local.go) or was descheduled.
	Busy time.Duration
}

// Trace is one traced run.
type Trace struct {
	Start time.Time // when the threads started the first step
	// StepEnd[i] is when step i completed on all threads (thread 0 saw its
	// last chunk finish), since Start: step i's wall time is
	// StepEnd[i] − StepEnd[i−1] (StepEnd[−1] = 0). Before a share-local
	// step (local.go), where threads do not wait for each other, it is
	// when thread 0's part of step i ended.
	StepEnd []time.Duration
	Spans   []TraceSpan // by step, then thread
}

// traceBuf holds the traced run: per thread and step the first chunk's
// start, the last chunk's end (ns since the run's start, 0: none), the
// chunk count and the time spent in chunks. Each thread writes only its
// own rows, each write before the finish() that publishes the chunk, so
// thread 0 reads them all once the run has completed.
type traceBuf struct {
	t0      time.Time
	spans   []int64 // [thread][step][traceFields]
	stepEnd []int64
}

// SetTracing turns tracing on or off; with it on, every Run records when
// each thread ran its chunks of each step (two clock reads per chunk) and
// LastTrace returns the last run's record.
func (e *Executor) SetTracing(on bool) {
	e.tracing = on
	if on && e.tb == nil {
		e.tb = &traceBuf{spans: make([]int64, traceFields*e.nt*len(e.steps)), stepEnd: make([]int64, len(e.steps))}
	}
}

// LastTrace returns the record of the last Run made with tracing on.
func (e *Executor) LastTrace() Trace {
	var t Trace
	if e.tb == nil {
		return t
	}
	t.Start = e.tb.t0
	n := len(e.steps)
	// A plan step run in phases (e.planOf) is one step here: it ends
	// with its last phase, and a thread's span runs from its first
	// chunk of any phase to its last.
	for i := 0; i < n; {
		j := i + 1
		for j < n && e.planOf[j] == e.planOf[i] {
			j++
		}
		t.StepEnd = append(t.StepEnd, time.Duration(e.tb.stepEnd[j-1]))
		for th := 0; th < e.nt; th++ {
			sp := TraceSpan{Step: e.planOf[i], Thread: th}
			for k := i; k < j; k++ {
				s := e.tb.spans[traceFields*(th*n+k):]
				if s[2] > 0 {
					if sp.Chunks == 0 {
						sp.Start = time.Duration(s[0])
					}
					sp.End, sp.Chunks = time.Duration(s[1]), sp.Chunks+int(s[2])
					sp.Busy += time.Duration(s[3])
				}
			}
			if sp.Chunks > 0 {
				t.Spans = append(t.Spans, sp)
			}
		}
		i = j
	}
	return t
}

// traceStart clears the record and starts the run's clock (thread 0,
// before the workers are released).
func (b *traceBuf) start() {
	clear(b.spans)
	clear(b.stepEnd)
	b.t0 = time.Now()
}

// chunk runs f as chunk c of step i on thread tid and records its times.
func (e *core) traceChunk(f stepFunc, i, tid, c, n int) {
	b := e.tb
	t0 := int64(time.Since(b.t0))
	f(tid, c, n)
	t1 := int64(time.Since(b.t0))
	s := b.spans[traceFields*(tid*len(e.steps)+i):]
	if s[2] == 0 {
		s[0] = max(t0, 1)
	}
	s[1] = max(t1, 1)
	s[2]++
	s[3] += t1 - t0
}

// traceFields is how many values traceBuf keeps per thread and step.
const traceFields = 4
