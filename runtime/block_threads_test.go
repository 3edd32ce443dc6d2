package runtime_test

import (
	"testing"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

// TestBlocksForThreads: compiled for many threads, fuse-blocks keeps only
// the blocks whose rows give every thread a part (plan.BlockParts), counts
// the others in the report, and the plan still computes what the plan
// compiled for one thread does, run on that many threads (here 16 and 5,
// oversubscribed) and at batch 3.
func TestBlocksForThreads(t *testing.T) {
	g, err := models.Build("mobilenet_v2:res=160,classes=10")
	if err != nil {
		t.Fatal(err)
	}
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 3} {
		_, ins := batched(t, g, batch)
		one, rep1, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true, BlockMinBytes: -1}, set)
		if err != nil {
			t.Fatal(err)
		}
		if rep1.BlocksLeftForThreads != 0 {
			t.Fatalf("batch %d, one thread: %d blocks left unfused", batch, rep1.BlocksLeftForThreads)
		}
		want := execute(t, one, 1, ins)
		for _, nt := range []int{5, 16} {
			p, rep, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true, BlockMinBytes: -1, Threads: nt}, set)
			if err != nil {
				t.Fatal(err)
			}
			fused := countKind(p, plan.KindBlock)
			if fused+rep.BlocksLeftForThreads != countKind(one, plan.KindBlock) || rep.BlocksLeftForThreads == 0 {
				t.Errorf("batch %d, %d threads: %d blocks fused + %d left != %d fused for one thread", batch, nt, fused, rep.BlocksLeftForThreads, countKind(one, plan.KindBlock))
			}
			for i := range p.Steps {
				s := &p.Steps[i]
				if s.Kind == plan.KindBlock && s.Out.Shape[0]*plan.BlockParts(s.Out.Shape[0], s.Out.Shape[2], nt) < nt {
					t.Errorf("batch %d, %d threads: block %s (%v) fused but cannot feed every thread", batch, nt, s.Name, s.Out.Shape)
				}
			}
			got := execute(t, p, nt, ins)
			for i := range want {
				d, ref, err := reference.MaxAbsDiff(got[i], want[i])
				if err != nil {
					t.Fatal(err)
				}
				if d > blockTolerance*ref {
					t.Errorf("batch %d, %d threads: output %d differs by %g (max %g)", batch, nt, i, d, ref)
				}
			}
		}
	}
}
