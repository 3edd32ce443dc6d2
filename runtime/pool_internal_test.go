package runtime

import (
	"fmt"
	"math"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/reference"
)

// TestCounterGenerations: a counter written in an earlier run counts 0 in
// the current one, one written in a later run marks the current run as
// superseded, also across the wrap of the 32-bit generation.
func TestCounterGenerations(t *testing.T) {
	for _, g := range []uint32{1, 7, math.MaxUint32, 0} {
		tag := func(gen uint32, n int) uint64 { return uint64(gen)<<32 | uint64(n) }
		if n, ok := count(tag(g, 5), g); n != 5 || !ok {
			t.Errorf("run %d: its own count 5 reads %d, %v", g, n, ok)
		}
		if n, ok := count(tag(g-1, 5), g); n != 0 || !ok {
			t.Errorf("run %d: the previous run's count reads %d, %v, want 0, true", g, n, ok)
		}
		if _, ok := count(tag(g+1, 0), g); ok {
			t.Errorf("run %d: a counter of run %d does not supersede it", g, g+1)
		}
		var c paddedCounter
		c.Store(tag(g-3, 9))
		if n := bump(&c, g); n != 1 {
			t.Errorf("run %d: first bump over an old count gives %d, want 1", g, n)
		}
		if n := bump(&c, g); n != 2 {
			t.Errorf("run %d: second bump gives %d, want 2", g, n)
		}
	}
}

// TestRunsAcrossGenerationWrap: an executor whose run generation wraps
// past 2³² (counters re-tagged only every retagRuns runs) gives the same
// outputs run after run, on 1, 2 and 3 threads.
func TestRunsAcrossGenerationWrap(t *testing.T) {
	g, err := models.Build("mobilenet_v1:res=64,alpha=0.25,classes=10")
	if err != nil {
		t.Fatal(err)
	}
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: 1, Threads: 2}, set)
	if err != nil {
		t.Fatal(err)
	}
	in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
	var want []float32
	for _, nt := range []int{1, 2, 3} {
		e, err := New(p, Options{Threads: nt})
		if err != nil {
			t.Fatal(err)
		}
		out := e.NewOutputs()
		if err := e.Run(in, out); err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = append([]float32(nil), out[0].Data...)
		}
		e.gen = math.MaxUint32 - 2
		e.sched.retag(e.gen) // as if every counter had been written in the run before
		for r := 0; r < 6; r++ {
			runMatches(t, e, in, out, want, fmt.Sprintf("%d threads, run %d", nt, r))
		}
		e.Close()
		// A fresh executor whose first run is a re-tagging one, 3·2³⁰
		// runs after its counters were (never) written: without the
		// re-tag they would read as a later run's.
		e, err = New(p, Options{Threads: nt})
		if err != nil {
			t.Fatal(err)
		}
		e.gen = 3*retagRuns - 1
		for r := 0; r < 2; r++ {
			runMatches(t, e, in, out, want, fmt.Sprintf("%d threads, fresh executor", nt))
		}
		e.Close()
	}
}

// runMatches runs e once on a cleared output and compares it with want.
func runMatches(t *testing.T, e *Executor, in, out []*ir.Tensor, want []float32, what string) {
	t.Helper()
	clear(out[0].Data)
	if err := e.Run(in, out); err != nil {
		t.Fatal(err)
	}
	for i, v := range out[0].Data {
		if d := v - want[i]; d > 1e-4 || d < -1e-4 {
			t.Fatalf("%s (generation %d): output %d = %g, want %g", what, e.gen, i, v, want[i])
		}
	}
}
