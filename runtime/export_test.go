package runtime

import (
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// WorkersExited returns a function reporting whether all of e's worker
// goroutines have returned. It keeps no reference to e (only to its
// scheduler), so a test can drop e and watch its finalizer stop them.
func WorkersExited(e *Executor) func() bool {
	s := e.sched
	done := make(chan struct{})
	go func() { s.workers.Wait(); close(done) }()
	return func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
}

// DWByChannels exposes dwByChannels to the external tests.
func DWByChannels(p *kernels.DWParams, batch, nt int, set *kernels.Set) bool {
	return plan.DWByChannels(p, batch, nt, set)
}

// SetSEWeightChunk sets seWeightChunk (the fewest floats of an SE block's
// scaled weights' copy per chunk) and returns the old value.
func SetSEWeightChunk(n int) int {
	old := seWeightChunk
	seWeightChunk = n
	return old
}

// Phases returns how many steps e's threads walk (a plan step may run as
// several: an SE block split within its images).
func Phases(e *Executor) int { return len(e.steps) }

// PhaseChunks returns the chunks of every step e's threads walk.
func PhaseChunks(e *Executor) []int { return append([]int(nil), e.chunks...) }
