package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// stderr is where progress goes; realMain sets it.
var stderr io.Writer = os.Stderr

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// busy shows "what… N.N s" on a terminal's stderr while one long call runs
// (compiling a large model, measuring), from half a second on, updated
// four times a second; the returned stop clears it. Nothing when stderr is
// not a terminal.
func busy(what string) (stop func()) {
	if !isTerminal(stderr) {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		start := time.Now()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(stderr, "\r\x1b[K")
				}
				return
			case <-t.C:
				if d := time.Since(start); d >= 500*time.Millisecond {
					shown = true
					fmt.Fprintf(stderr, "\r%s… %.1f s\x1b[K", what, d.Seconds())
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
		})
	}
}
