package runtime_test

import (
	"fmt"
	"testing"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

// blockTolerance bounds fused against unfused: max|diff| ≤ blockTolerance·max|unfused|
// (1e-4, the reference's tolerance, for one-row bands).
const blockTolerance = 1e-5

// TestFusedBlocksMatchUnfused: plans with every inverted-residual block fused
// give the outputs of the same plans without fuse-blocks, on every model,
// every available ISA, 1 and 2 threads, batch 1 and 3, with the default
// bands and with bands of one or two rows (many bands, every halo case).
// The full-size models run at batch 1 on the best ISA, and one-row bands,
// unless -short.
func TestFusedBlocksMatchUnfused(t *testing.T) {
	type run struct {
		spec    string
		isas    []kernels.ISA
		batches []int
		budgets []int
	}
	var runs []run
	specs, budgets := modelSpecs, []int{0, 1, 64 << 10}
	if testing.Short() {
		// Under arm64 emulation the whole set takes minutes: V2 (a stem
		// fused into its first block, stride 2, residuals) and V3-Large
		// (5×5, h-swish, SE blocks: block_se_test.go) with bands of a few rows.
		specs, budgets = []string{"mobilenet_v2:res=128,classes=10", "mobilenet_v3_large:res=96,alpha=0.5,classes=10"}, []int{64 << 10}
	}
	for _, spec := range specs {
		runs = append(runs, run{spec, kernels.Available(), []int{1, 3}, budgets})
	}
	if !testing.Short() {
		for _, spec := range fullSpecs {
			runs = append(runs, run{spec, []kernels.ISA{kernels.Best()}, []int{1}, []int{0}})
		}
	}
	for _, r := range runs {
		g, err := models.Build(r.spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, isa := range r.isas {
			set, err := kernels.ForISA(isa)
			if err != nil {
				t.Fatal(err)
			}
			for _, batch := range r.batches {
				_, ins := batched(t, g, batch)
				base, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true, Disable: []string{"fuse-blocks"}}, set)
				if err != nil {
					t.Fatal(err)
				}
				for _, budget := range r.budgets {
					p, rep, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true, BlockScratch: budget, BlockMinBytes: -1}, set)
					if err != nil {
						t.Fatal(err)
					}
					if (len(rep.Blocks) == 0) != (countKind(base, plan.KindDWConv) == 0) || countKind(p, plan.KindBlock) != len(rep.Blocks) {
						t.Fatalf("%s: %d blocks reported, %d block steps", r.spec, len(rep.Blocks), countKind(p, plan.KindBlock))
					}
					if p.ArenaSize > base.ArenaSize {
						t.Errorf("%s: the fused plan's arena (%d floats) is larger than the unfused one's (%d)", r.spec, p.ArenaSize, base.ArenaSize)
					}
					for _, threads := range []int{1, 2} {
						what := fmt.Sprintf("%s %s b%d t%d scratch %d", r.spec, isa, batch, threads, budget)
						want := execute(t, base, threads, ins)
						got := execute(t, p, threads, ins)
						for i := range want {
							d, ref, err := reference.MaxAbsDiff(got[i], want[i])
							if err != nil {
								t.Fatalf("%s: %v", what, err)
							}
							tol := blockTolerance
							if budget == 1 {
								// One-row bands run the GEMMs as many
								// few-row tiles, whose kernels round
								// differently: the reference's tolerance.
								tol = tolerance
							}
							if !(d <= tol*ref) {
								t.Errorf("%s output %d: max|fused−unfused| %.3g > %.0e·max|unfused| (%.3g)", what, i, d, tol, ref)
							}
						}
					}
				}
			}
		}
	}
}

func countKind(p *plan.Plan, k plan.Kind) int {
	n := 0
	for i := range p.Steps {
		if p.Steps[i].Kind == k {
			n++
		}
	}
	return n
}
