package runtime_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// TestSEBlocksMatchUnfused: V3-Large and V3-Small with their SE blocks
// fused (plan.IsSEBlock: expand and depthwise in bands, the pool per band,
// the scale folded into the project's weights or into the depthwise
// output) give the unfused plan's outputs within 1e-5·max|ref| on every
// available ISA, 1, 2 and 3 threads, batch 1 and 3, with the default
// bands and bands of one or two rows; the plans survive encoding. Every
// SE block is fused here: the larger maps fold the scale into the
// project's weights, the smaller ones scale the depthwise output, both
// at 128² (and the full-size V3-Large on the best ISA unless -short).
func TestSEBlocksMatchUnfused(t *testing.T) {
	specs := []string{"mobilenet_v3_large:res=128,alpha=0.5,classes=10", "mobilenet_v3_small:res=96,alpha=0.5,classes=10"}
	if !testing.Short() {
		specs = append(specs, "mobilenet_v3_large:res=224,classes=10")
	}
	for _, spec := range specs {
		g, err := models.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		isas := kernels.Available()
		if strings.Contains(spec, "224") {
			isas = []kernels.ISA{kernels.Best()}
		}
		for _, isa := range isas {
			set, err := kernels.ForISA(isa)
			if err != nil {
				t.Fatal(err)
			}
			for _, batch := range []int{1, 3} {
				_, ins := batched(t, g, batch)
				base, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true, Disable: []string{"fuse-blocks"}}, set)
				if err != nil {
					t.Fatal(err)
				}
				for _, budget := range []int{0, 32 << 10} {
					p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true, BlockScratch: budget, BlockMinBytes: -1}, set)
					if err != nil {
						t.Fatal(err)
					}
					se, fold := 0, 0
					for i := range p.Steps {
						if s := &p.Steps[i]; plan.IsSEBlock(s) {
							se++
							if d := s.Sub[plan.SEDepthwise(s)].Out.Shape; plan.SEFoldsScale(d[2], d[3], s.Out.Shape[1]) {
								fold++
							}
						}
					}
					if se == 0 || countKind(p, plan.KindScaleChannels) != 0 {
						t.Fatalf("%s: %d SE blocks fused, %d scale steps left", spec, se, countKind(p, plan.KindScaleChannels))
					}
					if fold == 0 || fold == se {
						t.Logf("%s: %d of %d SE blocks fold the scale into the weights", spec, fold, se)
					}
					var buf bytes.Buffer
					if err := plan.Encode(&buf, p); err != nil {
						t.Fatal(err)
					}
					q, err := plan.Decode(&buf)
					if err != nil {
						t.Fatal(err)
					}
					for _, threads := range []int{1, 2, 3} {
						what := fmt.Sprintf("%s %s b%d t%d scratch %d", spec, isa, batch, threads, budget)
						// On 3 threads the images left over split the
						// scaled weights' copy too (small here).
						chunk := runtime.SetSEWeightChunk(16)
						if threads != 3 {
							runtime.SetSEWeightChunk(chunk)
						}
						if batch%threads != 0 {
							checkSplitSE(t, what, q, threads)
						}
						want, got := execute(t, base, threads, ins), execute(t, q, threads, ins)
						runtime.SetSEWeightChunk(chunk)
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

// TestSEBlocksForThreads: compiled for 2 threads, the SE blocks are fused
// at every batch, as for one thread (at batch 1 and 3 the images left over
// are split within: the executor walks more steps than the plan has), and
// such a plan computes the one-thread plan's outputs.
func TestSEBlocksForThreads(t *testing.T) {
	g, err := models.Build("mobilenet_v3_large:res=96,alpha=0.5,classes=10")
	if err != nil {
		t.Fatal(err)
	}
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 2, 3} {
		_, ins := batched(t, g, batch)
		one, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true, BlockMinBytes: -1}, set)
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: batch, Verify: true, BlockMinBytes: -1, Threads: 2}, set)
		if err != nil {
			t.Fatal(err)
		}
		if n, n1 := countSE(p), countSE(one); n == 0 || n != n1 {
			t.Errorf("batch %d: %d SE blocks fused for 2 threads, %d for one", batch, n, n1)
		}
		if batch%2 != 0 {
			checkSplitSE(t, fmt.Sprintf("batch %d", batch), p, 2)
		}
		want := execute(t, one, 1, ins)
		got := execute(t, p, 2, ins)
		for i := range want {
			d, ref, err := reference.MaxAbsDiff(got[i], want[i])
			if err != nil {
				t.Fatal(err)
			}
			if d > blockTolerance*ref {
				t.Errorf("batch %d, 2 threads: output %d differs by %g (max %g)", batch, i, d, ref)
			}
		}
	}
}

// TestSEBlockValidate: Validate refuses an SE block whose steps do not
// chain (a fc2 that makes other channels than the depthwise conv, a
// project reading another shape, six fused steps) with a one-line error.
func TestSEBlockValidate(t *testing.T) {
	g, err := models.Build("mobilenet_v3_large:res=128,alpha=0.5,classes=10")
	if err != nil {
		t.Fatal(err)
	}
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := passes.Compile(g, passes.Options{Level: 2, BlockMinBytes: -1}, set)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(p.Steps, func(s plan.Step) bool { return plan.IsSEBlock(&s) })
	if i < 0 {
		t.Fatal("no SE block fused")
	}
	s := &p.Steps[i]
	d := plan.SEDepthwise(s)
	for _, c := range []struct {
		what   string
		forge  func(s *plan.Step)
		substr string
	}{
		{"fc2 channels", func(s *plan.Step) { s.Sub[d+2].Out.Shape[1]++ }, "fc2"},
		{"project input", func(s *plan.Step) { s.Sub[d+3].In[0].Shape[2]++ }, "project"},
		{"six steps", func(s *plan.Step) { s.Sub = append(s.Sub, s.Sub[d+3]) }, "6 steps"},
	} {
		orig := s.Sub
		s.Sub = slices.Clone(orig)
		for j := range s.Sub {
			s.Sub[j].In = slices.Clone(s.Sub[j].In)
			s.Sub[j].In[0].Shape = slices.Clone(s.Sub[j].In[0].Shape)
			s.Sub[j].Out.Shape = slices.Clone(s.Sub[j].Out.Shape)
		}
		c.forge(s)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.substr) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Validate gave %v, want an error about %q", c.what, err, c.substr)
		}
		s.Sub = orig
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
}

// checkSplitSE fails unless p's SE blocks run split within the images
// on threads threads (more steps walked than the plan has: phases).
func checkSplitSE(t *testing.T, what string, p *plan.Plan, threads int) {
	t.Helper()
	e, err := runtime.New(p, runtime.Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if runtime.Phases(e) <= len(p.Steps) {
		t.Errorf("%s: %d steps walked for %d plan steps: no SE block split within its images", what, runtime.Phases(e), len(p.Steps))
	}
}

func countSE(p *plan.Plan) int {
	n := 0
	for i := range p.Steps {
		if plan.IsSEBlock(&p.Steps[i]) {
			n++
		}
	}
	return n
}
