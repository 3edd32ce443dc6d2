package runtime_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// dwBlockDesc is a V1-like network of awkward shapes for blocks that end
// in their depthwise conv: odd input height and width, odd channel counts,
// a dense 3×3 conv producer on 19 channels (the amd64 implicit GEMM's
// path, on a band's rows), a 256-channel map wide
// enough (24 pixels) that the AVX-512 band kernel takes it at a padded
// pitch, a 5×5 stride-2 depthwise conv, and maps down to one row. Each
// 1×1 conv keeps or at most doubles the channels, as V1's (fuse-blocks
// fuses producer and depthwise conv only there).
const dwBlockDesc = `
model dwblock_awkward
input 3x45x47
classes 10
conv  k=3 out=19 s=2
conv  k=3 out=24 s=1
dwsep out=37  s=1
dwsep out=64  s=1
dwsep out=128 s=1
dwsep out=256 s=1
dwsep out=256 s=1
dwsep out=261 s=2 k=5
dwsep out=272 s=2
dwsep out=272 s=2
dwsep out=300 s=2
dwsep out=300 s=2
pool
fc
`

// TestDWBlocksMatchUnfused: plans compiled for one thread with every 1×1
// conv (or stem) fused with the depthwise conv after it (plan.IsDWBlock)
// give the outputs of the same plans without fuse-blocks, on every
// available ISA, batch 1 and 3, run on 1, 2 and 3 threads (a block split
// by rows recomputes halo rows), with the default bands and bands of one
// or two rows; and at least one block reads its band at a padded pitch
// where the kernels choose one. -short (arm64 emulation) runs the awkward
// network alone, at batch 3 on 1 and 3 threads, with default and one-row
// bands.
func TestDWBlocksMatchUnfused(t *testing.T) {
	awkward, err := frontend.Parse("dwblock_awkward", strings.NewReader(dwBlockDesc))
	if err != nil {
		t.Fatal(err)
	}
	small := buildModel(t, modelSpecs[0]) // V1 at 96², α 0.5
	graphs, budgets := []*ir.Graph{awkward, small}, []int{0, 1, 16 << 10}
	batches, threadCounts := []int{1, 3}, []int{1, 2, 3}
	if testing.Short() {
		graphs, budgets, batches, threadCounts = graphs[:1], budgets[:2], batches[1:], []int{1, 3}
	}
	for _, isa := range kernels.Available() {
		set, err := kernels.ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		for gi, g := range graphs {
			for _, batch := range batches {
				_, ins := batched(t, g, batch)
				base, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true, Disable: []string{"fuse-blocks"}}, set)
				if err != nil {
					t.Fatal(err)
				}
				for _, budget := range budgets {
					p, rep, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true, Threads: 1, BlockScratch: budget, BlockMinBytes: 1 << 30, DWBlockMinBytes: 1}, set)
					if err != nil {
						t.Fatal(err)
					}
					dw, padded := 0, 0
					for i := range p.Steps {
						s := &p.Steps[i]
						if !plan.IsDWBlock(s) {
							continue
						}
						dw++
						l, err := plan.BlockBandLayout(set, s.Sub, s.Band)
						if err != nil {
							t.Fatal(err)
						}
						if l.Pitch > s.Out.Shape[1] {
							padded++
						}
					}
					if want := countKind(base, plan.KindDWConv); dw != want || len(rep.Blocks) != want {
						t.Fatalf("%s: %d blocks ending in a depthwise conv, %d reported, want %d", g.Name, dw, len(rep.Blocks), want)
					}
					if set.DWBandPitch != nil && gi == 0 && padded == 0 {
						t.Errorf("%s %s: no block reads its band at a padded pitch", g.Name, isa)
					}
					for _, threads := range threadCounts {
						what := fmt.Sprintf("%s %s b%d t%d scratch %d", g.Name, isa, batch, threads, budget)
						want := execute(t, base, threads, ins)
						got := execute(t, p, threads, ins)
						for i := range want {
							d, ref, err := reference.MaxAbsDiff(got[i], want[i])
							if err != nil {
								t.Fatalf("%s: %v", what, err)
							}
							if !(d <= blockTolerance*ref) {
								t.Errorf("%s output %d: max|fused−unfused| %.3g > %.0e·max|unfused| (%.3g)", what, i, d, blockTolerance, ref)
							}
						}
					}
				}
			}
		}
	}
}

// TestDWBlockRejectsInconsistentPlans: a block ending in its depthwise
// conv whose plan was tampered with is refused by New, with an error:
// a residual input, the producer and depthwise steps swapped, a project
// appended, less band scratch than its bands (at the kernels' pitch) need,
// and far more.
func TestDWBlockRejectsInconsistentPlans(t *testing.T) {
	g, err := frontend.Parse("dwblock_awkward", strings.NewReader(dwBlockDesc))
	if err != nil {
		t.Fatal(err)
	}
	set := mustSet(t)
	compile := func() (*plan.Plan, *plan.Step) {
		p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: 1, Threads: 1, BlockMinBytes: 1 << 30, DWBlockMinBytes: 1}, set)
		if err != nil {
			t.Fatal(err)
		}
		// The last block with a GEMM producer whose band is padded, if
		// the kernels pad one; else the last with a GEMM producer.
		var pick *plan.Step
		for i := range p.Steps {
			s := &p.Steps[i]
			if !plan.IsDWBlock(s) || s.Sub[0].Kind != plan.KindGemm {
				continue
			}
			if l, err := plan.BlockBandLayout(set, s.Sub, s.Band); err == nil && (pick == nil || l.Pitch > s.Out.Shape[1]) {
				pick = s
			}
		}
		if pick == nil {
			t.Fatal("no block with a GEMM producer")
		}
		pick.Sub = append([]plan.Step(nil), pick.Sub...)
		pick.BandOff, pick.BandThreads = 0, 0
		return p, pick
	}
	if p, _ := compile(); true {
		e, err := runtime.New(p, runtime.Options{Threads: 1})
		if err != nil {
			t.Fatalf("the untampered plan: %v", err)
		}
		e.Close()
	}
	mutations := map[string]func(p *plan.Plan, s *plan.Step){
		"residual": func(p *plan.Plan, s *plan.Step) { s.In = append(s.In, s.Out) },
		"swapped":  func(p *plan.Plan, s *plan.Step) { s.Sub[0], s.Sub[1] = s.Sub[1], s.Sub[0] },
		"project":  func(p *plan.Plan, s *plan.Step) { s.Sub = append(s.Sub, s.Sub[0]) },
		"scratch short": func(p *plan.Plan, s *plan.Step) {
			l, err := plan.BlockBandLayout(set, s.Sub, s.Band)
			if err != nil {
				t.Fatal(err)
			}
			s.Scratch = l.Total - 16
		},
		"scratch huge": func(p *plan.Plan, s *plan.Step) { s.Scratch = 1 << 26 },
	}
	for name, mutate := range mutations {
		p, s := compile()
		mutate(p, s)
		if e, err := runtime.New(p, runtime.Options{Threads: 1}); err == nil {
			e.Close()
			t.Errorf("%s: New accepted the plan", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
