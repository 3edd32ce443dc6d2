package runtime_test

import (
	"testing"
	"time"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// TestTrace: a traced run records every step's completion in order and
// each thread's spans inside its step; the output is the untraced one.
func TestTrace(t *testing.T) {
	g := buildModel(t, "mobilenet_v3_small:res=96,alpha=0.5,classes=10")
	p := compile(t, g, config{level: 2, batch: 1, isa: kernels.Best()})
	e, err := runtime.New(p, runtime.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
	want := e.NewOutputs()
	if err := e.Run(in, want); err != nil {
		t.Fatal(err)
	}
	if tr := e.LastTrace(); tr.StepEnd != nil {
		t.Fatal("a trace without tracing")
	}
	e.SetTracing(true)
	out := e.NewOutputs()
	for run := 0; run < 2; run++ {
		t0 := time.Now()
		if err := e.Run(in, out); err != nil {
			t.Fatal(err)
		}
		wall := time.Since(t0)
		tr := e.LastTrace()
		if len(tr.StepEnd) != len(p.Steps) {
			t.Fatalf("%d step ends, plan has %d steps", len(tr.StepEnd), len(p.Steps))
		}
		prev := time.Duration(0)
		for i, end := range tr.StepEnd {
			if end < prev {
				t.Fatalf("step %d ends at %v, before step %d (%v)", i, end, i-1, prev)
			}
			prev = end
		}
		if prev > wall {
			t.Errorf("steps end at %v, after the run's %v", prev, wall)
		}
		chunks := make([]int, len(p.Steps))
		for _, s := range tr.Spans {
			// A chunk ends before thread 0 sees its step complete; its
			// start has no lower bound: the other threads may begin step i
			// before thread 0, descheduled, records the end of step i−1.
			if s.Start <= 0 || s.Start > s.End || s.End > tr.StepEnd[s.Step] {
				t.Errorf("step %d thread %d: span %v–%v, step ends at %v", s.Step, s.Thread, s.Start, s.End, tr.StepEnd[s.Step])
			}
			chunks[s.Step] += s.Chunks
		}
		for i, c := range chunks {
			if c == 0 {
				t.Errorf("step %d: no span", i)
			}
		}
	}
	for i := range want {
		for k := range want[i].Data {
			if want[i].Data[k] != out[i].Data[k] {
				t.Fatal("traced output differs")
			}
		}
	}
}
