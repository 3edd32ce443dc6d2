package runtime

import "github.com/mnc-go/mnc/kernels"

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
	return dwByChannels(p, batch, nt, set)
}
