//go:build !linux

package runtime

import goruntime "runtime"

// osYield lets other goroutines run (no portable thread yield; see
// yield_linux.go for why spinning yields).
func osYield() { goruntime.Gosched() }
