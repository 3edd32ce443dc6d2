package runtime_test

import (
	"fmt"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// TestShareLocalSteps: MobileNetV1's pointwise GEMMs start a share as
// soon as the depthwise step before them has done that share (no barrier
// between the two: fewer barriers than steps cut into chunks), and the
// outputs match the reference on 2, 3 and 8 threads, batch 1 and 2,
// for plans laid out for one thread (the GEMM's output over the depthwise
// input: the chunks over the other shares' input rows wait) and for two
// (the centred arena), every ISA.
func TestShareLocalSteps(t *testing.T) {
	g := buildModel(t, "mobilenet_v1:res=96,alpha=0.25,classes=10")
	for _, isa := range kernels.Available() {
		set, err := kernels.ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{1, 2} {
			h, ins := batched(t, g, batch)
			want := referenceOutputs(t, h, ins)
			for _, planThreads := range []int{1, 2} {
				// DWBlockMinBytes -1: the one-thread plan keeps V1's
				// depthwise steps (a fused block is not share-local).
				p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Threads: planThreads, DWBlockMinBytes: -1}, set)
				if err != nil {
					t.Fatal(err)
				}
				for _, nt := range []int{2, 3, 8} {
					what := fmt.Sprintf("%s batch %d, plan for %d threads, %d threads", isa, batch, planThreads, nt)
					e, err := runtime.New(p, runtime.Options{Threads: nt})
					if err != nil {
						t.Fatal(err)
					}
					parallel := 0
					for _, c := range e.Chunks() {
						if c > 1 {
							parallel++
						}
					}
					if nt == 2 && e.Barriers() >= parallel {
						t.Errorf("%s: %d barriers for %d steps cut into chunks: no step ran without one", what, e.Barriers(), parallel)
					}
					outs := e.NewOutputs()
					for r := 0; r < 2; r++ {
						if err := e.Run(ins, outs); err != nil {
							t.Fatal(err)
						}
						checkClose(t, what, outs, want)
					}
					e.Close()
				}
			}
		}
	}
}

// TestShareLocalConcurrent: executors of 8 threads (oversubscribed, so
// threads take each other's chunks, also of the GEMMs that wait for one
// share or for the whole depthwise step) agree with a lone executor;
// short, for `go test -race`.
func TestShareLocalConcurrent(t *testing.T) {
	g := buildModel(t, "mobilenet_v1:res=96,alpha=0.25,classes=10")
	p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: 1, Threads: 2}, mustSet(t))
	if err != nil {
		t.Fatal(err)
	}
	in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
	for _, nt := range []int{2, 8} {
		want := execute(t, p, nt, in)
		done := make(chan []*ir.Tensor)
		for range 3 {
			go func() {
				e, err := runtime.New(p, runtime.Options{Threads: nt})
				if err != nil {
					done <- nil
					return
				}
				defer e.Close()
				out := e.NewOutputs()
				for r := 0; r < 4; r++ {
					if e.Run(in, out) != nil {
						done <- nil
						return
					}
				}
				done <- out
			}()
		}
		for i := 0; i < 3; i++ {
			got := <-done
			if got == nil {
				t.Fatal("an executor failed")
			}
			for j := range want[0].Data {
				if got[0].Data[j] != want[0].Data[j] {
					t.Fatalf("%d threads, executor %d: output %d = %g, want %g", nt, i, j, got[0].Data[j], want[0].Data[j])
				}
			}
		}
	}
}

func mustSet(t *testing.T) *kernels.Set {
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestShareLocalDoesNotAllocate: runs with share-local steps (waiting for
// a share, or for a whole step from inside one) make no heap allocation,
// on 1, 2, 4 and 16 threads.
func TestShareLocalDoesNotAllocate(t *testing.T) {
	g := buildModel(t, "mobilenet_v1:res=96,alpha=0.25,classes=10")
	p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: 1, Threads: 2}, mustSet(t))
	if err != nil {
		t.Fatal(err)
	}
	in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
	for _, nt := range []int{1, 2, 4, 16} {
		e, err := runtime.New(p, runtime.Options{Threads: nt})
		if err != nil {
			t.Fatal(err)
		}
		parallel := 0
		for _, c := range e.Chunks() {
			if c > 1 {
				parallel++
			}
		}
		if nt == 2 && e.Barriers() >= parallel {
			t.Errorf("2 threads: %d barriers for %d steps cut into chunks: no share-local step", e.Barriers(), parallel)
		}
		out := e.NewOutputs()
		if a := testing.AllocsPerRun(5, func() {
			if err := e.Run(in, out); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%d threads: %.1f allocations per Run, want 0", nt, a)
		}
		e.Close()
	}
}
