package runtime_test

import (
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// TestConcurrentExecutors8: three executors of 8 threads each (more than
// this machine's cores) share one plan and run at once, each giving the
// answer of a lone 8-thread executor. Short, so that `go test -race -run
// Concurrent` checks the scheduler (serial steps on thread 0, the other
// threads skipping them) under oversubscription.
func TestConcurrentExecutors8(t *testing.T) {
	checkConcurrentExecutors(t, "mobilenet_v3_small:res=64,alpha=0.5,classes=10", 2, 8, 3, 3)
}

// TestBarriers: one thread never waits; on several, the threads meet once
// per step cut into chunks and one-chunk steps add no barrier (V3-Small has
// some: its squeeze-and-excitation FCs). The steps are those the threads
// walk: an SE block split within its image is several.
func TestBarriers(t *testing.T) {
	g := buildModel(t, "mobilenet_v3_small:res=96")
	p := compile(t, g, config{level: 2, batch: 1, isa: kernels.Best()})
	for _, threads := range []int{1, 2, 8} {
		e, err := runtime.New(p, runtime.Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		chunks, parallel := runtime.PhaseChunks(e), 0
		for _, n := range chunks {
			if n > 1 {
				parallel++
			}
		}
		want := parallel
		if threads == 1 {
			want = 0
		}
		if b := e.Barriers(); b != want {
			t.Errorf("%d threads: %d barriers, want %d (steps cut into chunks)", threads, b, want)
		}
		if threads > 1 && parallel == len(chunks) {
			t.Errorf("%d threads: every one of %d steps is cut into chunks; expected some serial steps", threads, len(chunks))
		}
		e.Close()
	}
}

// TestImages: the throughput mode (whole images per thread) gives, for a
// batch of 3 on 2 threads, each image's output of a one-thread executor of
// the batch-1 plan, bit for bit, without allocating, and refuses a
// mismatched batch.
func TestImages(t *testing.T) {
	g := buildModel(t, "mobilenet_v3_small:res=64,alpha=0.5,classes=10")
	p := compile(t, g, config{level: 2, batch: 1, isa: kernels.Best()})
	s := p.Inputs[0].Buf.Shape
	in := reference.FixedInput(3, s[1], s[2], s[3])
	m, err := runtime.NewImages(p, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	os := p.Outputs[0].Buf.Shape
	out := ir.NewTensor(append([]int{3}, os[1:]...)...)
	if err := m.Run([]*ir.Tensor{in}, []*ir.Tensor{out}); err != nil {
		t.Fatal(err)
	}
	n, no := in.Shape.Size()/3, os.Size()
	for i := 0; i < 3; i++ {
		one := &ir.Tensor{Shape: s, Data: in.Data[i*n : (i+1)*n]}
		want := execute(t, p, 1, []*ir.Tensor{one})[0].Data
		for j := range want {
			if out.Data[i*no+j] != want[j] {
				t.Fatalf("image %d: output %d = %g, want %g", i, j, out.Data[i*no+j], want[j])
			}
		}
	}
	ins, outs := []*ir.Tensor{in}, []*ir.Tensor{out}
	allocs := testing.AllocsPerRun(5, func() {
		if err := m.Run(ins, outs); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per Run, want 0", allocs)
	}
	bad := ir.NewTensor(append([]int{2}, os[1:]...)...)
	if err := m.Run([]*ir.Tensor{in}, []*ir.Tensor{bad}); err == nil {
		t.Error("a batch-2 output for a batch-3 input was accepted")
	}
}

// TestImageGroups: the throughput mode in groups of several threads (5
// threads in groups of 2: 2 groups, one thread idle) gives, for a batch
// of 3, each image's output of a two-thread executor bit for bit, without
// allocating; ImageGroupThreads shares the threads among a small batch.
func TestImageGroups(t *testing.T) {
	for _, c := range []struct{ threads, batch, want int }{{16, 8, 2}, {16, 3, 5}, {16, 16, 1}, {16, 32, 1}, {2, 1, 2}, {1, 4, 1}, {4, 0, 1}} {
		if got := runtime.ImageGroupThreads(c.threads, c.batch); got != c.want {
			t.Errorf("ImageGroupThreads(%d, %d) = %d, want %d", c.threads, c.batch, got, c.want)
		}
	}
	g := buildModel(t, "mobilenet_v3_small:res=64,alpha=0.5,classes=10")
	p := compile(t, g, config{level: 2, batch: 1, isa: kernels.Best()})
	s := p.Inputs[0].Buf.Shape
	in := reference.FixedInput(3, s[1], s[2], s[3])
	m, err := runtime.NewImageGroups(p, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Groups() != 2 || m.Threads() != 4 {
		t.Fatalf("5 threads in groups of 2: %d groups, %d threads; want 2 and 4", m.Groups(), m.Threads())
	}
	os := p.Outputs[0].Buf.Shape
	out := ir.NewTensor(append([]int{3}, os[1:]...)...)
	ins, outs := []*ir.Tensor{in}, []*ir.Tensor{out}
	if err := m.Run(ins, outs); err != nil {
		t.Fatal(err)
	}
	n, no := in.Shape.Size()/3, os.Size()
	for i := 0; i < 3; i++ {
		one := &ir.Tensor{Shape: s, Data: in.Data[i*n : (i+1)*n]}
		want := execute(t, p, 2, []*ir.Tensor{one})[0].Data
		for j := range want {
			if out.Data[i*no+j] != want[j] {
				t.Fatalf("image %d: output %d = %g, want %g", i, j, out.Data[i*no+j], want[j])
			}
		}
	}
	if allocs := testing.AllocsPerRun(5, func() {
		if err := m.Run(ins, outs); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("%.1f allocations per Run, want 0", allocs)
	}
}
