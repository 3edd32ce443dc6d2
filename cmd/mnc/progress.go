package main

import (
	"fmt"
	"io"
	"os"
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

// progress is a one-line status on stderr for long work, shown only when
// stderr is a terminal (never in pipes, files or tests) and only after the
// work has taken half a second.
type progress struct {
	on    bool
	what  string
	start time.Time
	shown bool
}

func newProgress(enabled bool, what string) *progress {
	return &progress{on: enabled && isTerminal(stderr), what: what, start: time.Now()}
}

// step shows "what i/n" (i counted from 0: the item being worked on).
func (p *progress) step(i, n int) {
	if !p.on || time.Since(p.start) < 500*time.Millisecond && !p.shown {
		return
	}
	p.shown = true
	fmt.Fprintf(stderr, "\r%s %d/%d (%.1f s)\x1b[K", p.what, i+1, n, time.Since(p.start).Seconds())
}

// say shows a free-form status.
func (p *progress) say(format string, args ...any) {
	if !p.on {
		return
	}
	p.shown = true
	fmt.Fprintf(stderr, "\r%s: "+format+"\x1b[K", append([]any{p.what}, args...)...)
}

// done clears the line.
func (p *progress) done() {
	if p.on && p.shown {
		fmt.Fprint(stderr, "\r\x1b[K")
	}
	p.shown = false
}
