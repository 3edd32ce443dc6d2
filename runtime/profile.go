package runtime

import (
	"time"

	"github.com/mnc-go/mnc/plan"
)

// StepTime is one step's accumulated wall time over the profiled runs.
type StepTime struct {
	Index int
	Name  string
	Kind  plan.Kind
	Algo  string
	Total time.Duration
	Runs  int
}

// Mean is the average time per run.
func (s StepTime) Mean() time.Duration {
	if s.Runs == 0 {
		return 0
	}
	return s.Total / time.Duration(s.Runs)
}

// SetProfiling turns per-step timing on or off and clears what was
// recorded. Timing is taken by thread 0 after each step's barrier, so it is
// the step's wall time on all threads; it costs two clock reads per step.
// A step followed by a share-local one (local.go: a depthwise step before
// its pointwise GEMM) has no barrier: its time ends when thread 0's part
// of it does, and the other threads' rest counts in the next step.
func (e *Executor) SetProfiling(on bool) {
	e.profiling = on
	e.runs = 0
	for i := range e.prof {
		e.prof[i] = 0
	}
}

// Profile returns the per-step times recorded since SetProfiling(true).
func (e *Executor) Profile() []StepTime {
	out := make([]StepTime, len(e.plan.Steps))
	for i := range out {
		s := &e.plan.Steps[i]
		out[i] = StepTime{Index: i, Name: s.Name, Kind: s.Kind, Algo: s.Algo, Runs: e.runs}
	}
	for i, d := range e.prof { // a step run in phases: their sum
		out[e.planOf[i]].Total += d
	}
	return out
}
