package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/runtime"
)

// traceEvent is one event of the Chrome trace-event format (the JSON that
// Perfetto and chrome://tracing open): "X" complete slices with ts and dur
// in microseconds, "M" metadata naming processes and threads.
type traceEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	TS   float64        `json:"ts"`
	Dur  float64        `json:"dur,omitempty"`
	PID  int            `json:"pid"`
	TID  int            `json:"tid"`
	Args map[string]any `json:"args,omitempty"`
}

type traceFile struct {
	TraceEvents     []traceEvent   `json:"traceEvents"`
	DisplayTimeUnit string         `json:"displayTimeUnit"`
	Metadata        map[string]any `json:"metadata,omitempty"`
}

// tracedRun is one traced run and its wall time as the caller measured it.
type tracedRun struct {
	tr   runtime.Trace
	wall time.Duration
}

// stepKind names a step's kind with its algorithm and what was fused.
func stepKind(s *plan.Step) string {
	k := s.Kind.String()
	if s.Algo != "" && s.Algo != k {
		k += "/" + s.Algo
	}
	if len(s.Fused) > 0 {
		k += "+" + strings.Join(s.Fused, "+")
	}
	return k
}

// stepBytes is the memory a step touches once: its inputs, its output and
// its constants (weights, bias), in bytes.
func stepBytes(p *plan.Plan, s *plan.Step) int64 {
	n := int64(s.Out.Size())
	for _, o := range s.In {
		n += int64(o.Size())
	}
	for _, c := range s.Consts {
		if c >= 0 && c < len(p.Blobs) {
			n += int64(len(p.Blobs[c]))
		}
	}
	for i := range s.Sub {
		// a fused block's inner tensors stay in cache bands: only its
		// steps' constants are read from memory
		for _, c := range s.Sub[i].Consts {
			if c >= 0 && c < len(p.Blobs) {
				n += int64(len(p.Blobs[c]))
			}
		}
	}
	for _, c := range s.ConstIn {
		if c >= 0 && c < len(p.Blobs) {
			n += int64(len(p.Blobs[c]))
		}
	}
	return 4 * n
}

// writeTrace writes the runs as a Chrome trace: track 0 ("steps") holds
// one slice per run and, inside it, one slice per step with its wall time
// (they tile the run); track t+1 ("thread t") holds one slice per step
// that thread worked on, from its first chunk's start to its last chunk's
// end. Slices carry the step's kind, output shape, MACs and GFLOP/s.
func writeTrace(path, model string, p *plan.Plan, threads int, runs []tracedRun) error {
	const pid = 1
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	f := traceFile{DisplayTimeUnit: "ms", Metadata: map[string]any{"model": model, "isa": p.ISA.String(), "threads": threads, "batch": p.Batch}}
	ev := func(e traceEvent) { f.TraceEvents = append(f.TraceEvents, e) }
	ev(traceEvent{Name: "process_name", Ph: "M", PID: pid, Args: map[string]any{"name": fmt.Sprintf("mnc %s (%s, %d threads)", model, p.ISA, threads)}})
	ev(traceEvent{Name: "thread_name", Ph: "M", PID: pid, TID: 0, Args: map[string]any{"name": "steps (wall)"}})
	for t := 0; t < threads; t++ {
		ev(traceEvent{Name: "thread_name", Ph: "M", PID: pid, TID: t + 1, Args: map[string]any{"name": fmt.Sprintf("thread %d", t)}})
	}
	if len(runs) == 0 {
		return fmt.Errorf("-trace: no traced run")
	}
	base := runs[0].tr.Start
	args := func(i int, d time.Duration) map[string]any {
		s := &p.Steps[i]
		m := stepMACs(s)
		a := map[string]any{"step": i, "kind": stepKind(s), "shape": fmt.Sprint(s.Out.Shape), "macs": m}
		if d > 0 && m > 0 {
			a["gflops"] = 2 * float64(m) / float64(d.Nanoseconds())
		}
		return a
	}
	for r, run := range runs {
		off := run.tr.Start.Sub(base)
		ends := run.tr.StepEnd
		total := ends[len(ends)-1]
		ev(traceEvent{Name: fmt.Sprintf("run %d", r), Cat: "run", Ph: "X", TS: us(off), Dur: us(total), PID: pid, TID: 0,
			Args: map[string]any{"wall_ms": float64(run.wall.Nanoseconds()) / 1e6}})
		prev := time.Duration(0)
		for i, end := range ends {
			ev(traceEvent{Name: p.Steps[i].Name, Cat: "step", Ph: "X", TS: us(off + prev), Dur: us(end - prev), PID: pid, TID: 0, Args: args(i, end-prev)})
			prev = end
		}
		for _, s := range run.tr.Spans {
			a := args(s.Step, s.End-s.Start)
			a["chunks"] = s.Chunks
			a["busy_us"] = us(s.Busy) // in its chunks; the rest of the slice it waited
			ev(traceEvent{Name: p.Steps[s.Step].Name, Cat: "work", Ph: "X", TS: us(off + s.Start), Dur: us(s.End - s.Start), PID: pid, TID: s.Thread + 1, Args: a})
		}
	}
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-trace: %w", err)
	}
	w := bufio.NewWriter(out)
	if err := json.NewEncoder(w).Encode(f); err != nil {
		out.Close()
		return fmt.Errorf("-trace: %w", err)
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return fmt.Errorf("-trace: %w", err)
	}
	return out.Close()
}

// traceRuns runs e n times with tracing on.
func traceRuns(e *runtime.Executor, ins, outs []*ir.Tensor, n int) ([]tracedRun, error) {
	e.SetTracing(true)
	defer e.SetTracing(false)
	var runs []tracedRun
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if err := e.Run(ins, outs); err != nil {
			return nil, err
		}
		runs = append(runs, tracedRun{tr: e.LastTrace(), wall: time.Since(t0)})
	}
	return runs, nil
}
