package runtime_test

import (
	"strings"
	"testing"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// TestBandScratchInArena: plan-memory puts fused blocks' band scratch in
// arena ranges free during the block (plan.Step.BandOff) without growing
// the arena; the plan computes what the same plan with every block's
// scratch allocated apart computes, on 1, 2 and 3 threads (threads beyond
// BandThreads use their own); a range outside the arena or over the
// block's operands is refused.
func TestBandScratchInArena(t *testing.T) {
	g, err := models.Build("mobilenet_v3_small:res=160,classes=10")
	if err != nil {
		t.Fatal(err)
	}
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	_, ins := batched(t, g, 1)
	p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: 1, Verify: true, BlockMinBytes: -1, Threads: 2}, set)
	if err != nil {
		t.Fatal(err)
	}
	apart := *p
	apart.Steps = append([]plan.Step(nil), p.Steps...)
	placed := 0
	for i := range apart.Steps {
		s := &apart.Steps[i]
		if s.Kind != plan.KindBlock {
			continue
		}
		if s.BandThreads > 0 {
			placed++
			if end := s.BandOff + s.BandThreads*s.Scratch; s.BandOff < 0 || end > p.ArenaSize {
				t.Errorf("block %s: band scratch [%d,%d) outside the arena (%d)", s.Name, s.BandOff, end, p.ArenaSize)
			}
		}
		s.BandOff, s.BandThreads = 0, 0
	}
	if placed == 0 {
		t.Fatal("no block's band scratch was placed in the arena")
	}
	for _, nt := range []int{1, 2, 3} {
		got, want := execute(t, p, nt, ins), execute(t, &apart, nt, ins)
		for i := range want {
			if d, ref, err := reference.MaxAbsDiff(got[i], want[i]); err != nil || d > blockTolerance*ref {
				t.Errorf("%d threads: output %d differs by %g (max %g) %v", nt, i, d, ref, err)
			}
		}
	}
	forged := *p
	forged.Steps = append([]plan.Step(nil), p.Steps...)
	for i := range forged.Steps {
		if s := &forged.Steps[i]; s.Kind == plan.KindBlock && s.BandThreads > 0 {
			s.BandOff = p.ArenaSize - s.Scratch/2
			break
		}
	}
	if _, err := runtime.New(&forged, runtime.Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), "band scratch") {
		t.Errorf("band scratch past the arena's end: got %v", err)
	}
}
