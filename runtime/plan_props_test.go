package runtime_test

import (
	"bytes"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

func buildModel(t testing.TB, spec string) *ir.Graph {
	t.Helper()
	g, err := models.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestV2FusedPlanShape: the -O2 V2 plan has no BatchNorm and no standalone
// activation or Add step, and its 1×1 convs are GEMMs with no scratch,
// while -O0 keeps every op separate.
func TestV2FusedPlanShape(t *testing.T) {
	g := buildModel(t, "mobilenet_v2")
	for _, isa := range kernels.Available() {
		p := compile(t, g, config{level: 2, batch: 1, isa: isa})
		counts := map[plan.Kind]int{}
		var steps []plan.Step // fused blocks' steps count as themselves
		for _, s := range p.Steps {
			steps = append(steps, s.Sub...)
			if s.Kind == plan.KindBlock {
				counts[s.Kind]++
			} else {
				steps = append(steps, s)
			}
		}
		for _, s := range steps {
			counts[s.Kind]++
			if s.Op == ir.OpBatchNorm || s.Kind == plan.KindActivate || s.Kind == plan.KindAdd || s.Op == ir.OpAdd {
				t.Errorf("%s: step %q (%s, %s) should have been fused", isa, s.Name, s.Kind, s.Op)
			}
			if s.Op == ir.OpConv && len(s.WShape) == 4 && s.WShape[2] == 1 && s.WShape[3] == 1 {
				if s.Algo != "gemm" || s.Kind != plan.KindGemm || s.Scratch != 0 {
					t.Errorf("%s: 1×1 conv %q runs as %s/%s with %d scratch floats; want gemm, none", isa, s.Name, s.Kind, s.Algo, s.Scratch)
				}
			}
		}
		// 1 stem, 17 depthwise, 16 expand + 17 project + the last 1×1, and
		// the FC; the large blocks fused.
		if counts[plan.KindDWConv] != 17 || counts[plan.KindConv] != 1 || counts[plan.KindGemm] != 35 || counts[plan.KindBlock] == 0 {
			t.Errorf("%s: step kinds %v, want 17 dwconv, 1 conv, 35 gemm, some of them in blocks", isa, counts)
		}
		p0 := compile(t, g, config{level: 0, batch: 1, isa: isa})
		var bn, act, add int
		for _, s := range p0.Steps {
			switch {
			case s.Op == ir.OpBatchNorm:
				bn++
			case s.Kind == plan.KindActivate:
				act++
			case s.Kind == plan.KindAdd:
				add++
			}
		}
		if bn != 52 || act != 35 || add != 10 {
			t.Errorf("%s: -O0 plan has %d BN, %d activation, %d Add steps; want 52, 35, 10", isa, bn, act, add)
		}
	}
}

// TestPeakMemory: V2 and V3 plans pass the independent overlap checker and
// their arena is below half of what storing every intermediate would take.
// (-short leaves out V3-Large: compiling is slow under qemu emulation.)
func TestPeakMemory(t *testing.T) {
	set, _ := kernels.ForISA(kernels.Best())
	specs := []string{"mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"}
	if testing.Short() {
		specs = []string{"mobilenet_v2", "mobilenet_v3_small"}
	}
	for _, spec := range specs {
		g := buildModel(t, spec)
		for _, level := range []int{0, 2} {
			p, rep, err := passes.Compile(g, passes.Options{Level: level}, set)
			if err != nil {
				t.Fatal(err)
			}
			if err := plan.CheckMemory(p); err != nil {
				t.Errorf("%s -O%d: %v", spec, level, err)
			}
			if rep.ArenaBytes*2 >= rep.IntermediateBytes {
				t.Errorf("%s -O%d: arena %d bytes is not below half of the %d bytes of intermediates", spec, level, rep.ArenaBytes, rep.IntermediateBytes)
			}
			t.Logf("%s -O%d: arena %.2f MiB (live peak %.2f MiB), intermediates %.2f MiB", spec, level,
				float64(rep.ArenaBytes)/(1<<20), float64(rep.LivePeakBytes)/(1<<20), float64(rep.IntermediateBytes)/(1<<20))
		}
	}
}

// TestRunDoesNotAllocate: after warm-up, Run makes no heap allocations,
// at -O0 and -O2, on 1, 2, 4 and 16 threads (more threads than this
// machine's cores: sleeping and waking workers must not allocate either).
func TestRunDoesNotAllocate(t *testing.T) {
	g := buildModel(t, "mobilenet_v3_small:res=96")
	for _, level := range []int{0, 2} {
		for _, threads := range []int{1, 2, 4, 16} {
			p := compile(t, g, config{level: level, batch: 1, isa: kernels.Best()})
			e, err := runtime.New(p, runtime.Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
			out := e.NewOutputs()
			allocs := testing.AllocsPerRun(5, func() {
				if err := e.Run(in, out); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("-O%d, %d threads: %.1f allocations per Run, want 0", level, threads, allocs)
			}
			e.Close()
		}
	}
}

// TestDilatedRunDoesNotAllocate: LR-ASPP's dilated depthwise steps (run as
// undilated sub-images) make no heap allocation per Run either.
func TestDilatedRunDoesNotAllocate(t *testing.T) {
	g := buildModel(t, "lraspp_mobilenet_v3_large:h=64,w=64")
	p := compile(t, g, config{level: 2, batch: 1, isa: kernels.Best()})
	for _, threads := range []int{1, 2} {
		e, err := runtime.New(p, runtime.Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
		out := e.NewOutputs()
		allocs := testing.AllocsPerRun(5, func() {
			if err := e.Run(in, out); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%d threads: %.1f allocations per Run, want 0", threads, allocs)
		}
		e.Close()
	}
}

// TestPlanFileRoundTrip: a plan encoded, decoded and run gives bit-identical
// outputs to the original.
func TestPlanFileRoundTrip(t *testing.T) {
	g := buildModel(t, "mobilenet_v3_small:res=96,alpha=0.5,classes=10")
	for _, isa := range kernels.Available() {
		for _, level := range []int{0, 2} {
			p := compile(t, g, config{level: level, batch: 2, isa: isa})
			var buf bytes.Buffer
			if err := plan.Encode(&buf, p); err != nil {
				t.Fatal(err)
			}
			q, err := plan.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
			a, b := execute(t, p, 2, in), execute(t, q, 2, in)
			for i := range a[0].Data {
				if a[0].Data[i] != b[0].Data[i] {
					t.Fatalf("%s -O%d: output %d differs after the round trip: %g vs %g", isa, level, i, a[0].Data[i], b[0].Data[i])
				}
			}
		}
	}
}

// TestConcurrentExecutors: one plan shared by several executors running at
// once gives the same answer in each. (All use two threads: a different
// split can change a GEMM tile's shape and so the last bits.)
func TestConcurrentExecutors(t *testing.T) {
	checkConcurrentExecutors(t, "mobilenet_v3_small:res=96,alpha=0.5,classes=10", 1, 2, 4, 5)
}

// checkConcurrentExecutors runs `executors` executors of `threads` threads
// on one plan at once, `runs` times each, and checks each final output
// equals a lone executor's of the same thread count, bit for bit.
func checkConcurrentExecutors(t *testing.T, spec string, batch, threads, executors, runs int) {
	t.Helper()
	g := buildModel(t, spec)
	p := compile(t, g, config{level: 2, batch: batch, isa: kernels.Best()})
	in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
	want := execute(t, p, threads, in)
	done := make(chan []*ir.Tensor)
	for range executors {
		go func() {
			e, err := runtime.New(p, runtime.Options{Threads: threads})
			if err != nil {
				done <- nil
				return
			}
			defer e.Close()
			out := e.NewOutputs()
			for r := 0; r < runs; r++ {
				if e.Run(in, out) != nil {
					done <- nil
					return
				}
			}
			done <- out
		}()
	}
	for i := 0; i < executors; i++ {
		got := <-done
		if got == nil {
			t.Fatal("an executor failed")
		}
		for j := range want[0].Data {
			if got[0].Data[j] != want[0].Data[j] {
				t.Fatalf("executor %d: output %d = %g, want %g", i, j, got[0].Data[j], want[0].Data[j])
			}
		}
	}
}

func TestProfile(t *testing.T) {
	g := buildModel(t, "mobilenet_v3_small:res=96,alpha=0.5,classes=10")
	p := compile(t, g, config{level: 2, batch: 1, isa: kernels.Best()})
	e, err := runtime.New(p, runtime.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
	out := e.NewOutputs()
	e.SetProfiling(true)
	for i := 0; i < 3; i++ {
		if err := e.Run(in, out); err != nil {
			t.Fatal(err)
		}
	}
	prof := e.Profile()
	if len(prof) != len(p.Steps) || prof[1].Runs != 3 {
		t.Fatalf("profile has %d steps (plan %d), runs %d", len(prof), len(p.Steps), prof[1].Runs)
	}
	var sum int64
	for _, s := range prof {
		sum += int64(s.Total)
	}
	if sum <= 0 {
		t.Fatal("no time recorded")
	}
	var buf bytes.Buffer
	runtime.PrintProfile(&buf, prof, 5)
	if !strings.Contains(buf.String(), "total ") || strings.Count(buf.String(), "\n") != 7 {
		t.Errorf("profile table:\n%s", buf.String())
	}
}

// TestRepeatedRunsIdentical: with any thread count, repeated runs give
// bit-identical outputs (chunk boundaries are fixed; which thread computes a
// chunk does not matter), which also exercises the run-generation handoff
// between consecutive runs.
func TestRepeatedRunsIdentical(t *testing.T) {
	g := buildModel(t, "mobilenet_v3_small:res=96,alpha=0.5,classes=10")
	p := compile(t, g, config{level: 2, batch: 2, isa: kernels.Best()})
	in := []*ir.Tensor{reference.FixedInput(p.Inputs[0].Buf.Shape...)}
	for _, threads := range []int{2, 3, 5} {
		e, err := runtime.New(p, runtime.Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		first := e.NewOutputs()
		if err := e.Run(in, first); err != nil {
			t.Fatal(err)
		}
		out := e.NewOutputs()
		for r := 0; r < 30; r++ {
			if err := e.Run(in, out); err != nil {
				t.Fatal(err)
			}
			for i, v := range out[0].Data {
				if v != first[0].Data[i] {
					t.Fatalf("%d threads, run %d: output %d = %g, first run gave %g", threads, r, i, v, first[0].Data[i])
				}
			}
		}
		e.Close()
	}
}

// TestDroppedExecutorStopsThreads: an executor dropped without Close is
// finalized and its worker goroutines exit. It watches those goroutines
// themselves (not the process's goroutine count, which other tests' workers
// change) and forces collections until the finalizer has run.
func TestDroppedExecutorStopsThreads(t *testing.T) {
	gg, x := newGen("drop", 1, 3, 8, 8)
	p := compile(t, gg.finish(gg.conv(x, 8, 3, 1, 1, true)), config{level: 2, batch: 1, isa: kernels.Best()})
	var exited func() bool
	func() {
		e, err := runtime.New(p, runtime.Options{Threads: 4})
		if err != nil {
			t.Fatal(err)
		}
		exited = runtime.WorkersExited(e)
		_ = e.Run([]*ir.Tensor{ir.NewTensor(1, 3, 8, 8)}, e.NewOutputs())
	}()
	for i := 0; !exited(); i++ {
		if i == 3000 { // 30 s: the finalizer never ran
			t.Fatal("the dropped executor's worker goroutines are still running")
		}
		goruntime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// Close stops the workers without waiting for a collection.
func TestCloseStopsThreads(t *testing.T) {
	gg, x := newGen("close", 1, 3, 8, 8)
	p := compile(t, gg.finish(gg.conv(x, 8, 3, 1, 1, true)), config{level: 2, batch: 1, isa: kernels.Best()})
	e, err := runtime.New(p, runtime.Options{Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	exited := runtime.WorkersExited(e)
	e.Close()
	for i := 0; !exited(); i++ {
		if i == 3000 {
			t.Fatal("Close did not stop the worker goroutines")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
