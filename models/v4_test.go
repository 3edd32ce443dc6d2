package models_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// TestV4MatchesReference: MobileNetV4-Conv-S compiled at -O0 and -O2 (every
// block fused however small, and at the default thresholds) for every
// available ISA, on 1 and 2 threads at batch 1 and 3, matches the
// reference interpreter within 1e-4·max|ref|: at 128² (4×4 maps in the last
// stage), and at 224² unless -short. Conv-M and Conv-L (FusedIB, strided
// ExtraDW repeats) run the same on the best ISA only, at 128² (the
// reference interpreter's time). -short (the arm64 run under emulation)
// runs Conv-S at 96², batch 1, -O0 on one thread and every block fused
// on two.
func TestV4MatchesReference(t *testing.T) {
	specs := []string{"mobilenet_v4_conv_small:res=128,classes=10", "mobilenet_v4_conv_medium:res=128,classes=10",
		"mobilenet_v4_conv_small", "mobilenet_v4_conv_large:res=128,classes=10"}
	batches, opts, threads := []int{1, 3}, []passes.Options{{Level: 0}, {Level: 2}, {Level: 2, BlockMinBytes: -1}}, []int{1, 2}
	if testing.Short() {
		specs, batches = []string{"mobilenet_v4_conv_small:res=96,classes=10"}, []int{1}
	}
	for _, spec := range specs {
		t.Run(spec, func(t *testing.T) {
			isas := kernels.Available()
			if !strings.HasPrefix(spec, "mobilenet_v4_conv_small") {
				isas = []kernels.ISA{kernels.Best()}
			}
			g, err := models.Build(spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, batch := range batches {
				h := g.Clone()
				if err := h.SetBatch(batch); err != nil {
					t.Fatal(err)
				}
				x := reference.FixedInput(h.Inputs[0].Shape...)
				ref, err := reference.Run(h, map[string]*ir.Tensor{"input": x}, nil)
				if err != nil {
					t.Fatal(err)
				}
				want := ref["logits"]
				for _, isa := range isas {
					set, err := kernels.ForISA(isa)
					if err != nil {
						t.Fatal(err)
					}
					for k, o := range opts {
						o.Batch, o.Verify = batch, true
						p, _, err := passes.Compile(g, o, set)
						if err != nil {
							t.Fatalf("%s O%d: %v", isa, o.Level, err)
						}
						if o.BlockMinBytes < 0 && blocks(p) < middles(g) {
							t.Errorf("%s: %d fused blocks with every block allowed, want at least one per middle depthwise (%d)", isa, blocks(p), middles(g))
						}
						for _, threads := range threads {
							if testing.Short() && (k == 1 || k == 0 && threads == 2 || k == 2 && threads == 1) {
								continue
							}
							what := fmt.Sprintf("%s b%d O%d blockmin %d t%d", isa, batch, o.Level, o.BlockMinBytes, threads)
							got := run(t, p, threads, x)
							d, m, err := reference.MaxAbsDiff(got, want)
							if err != nil || !(d <= 1e-4*m) {
								t.Errorf("%s: max|diff| %.3g vs max|ref| %.3g (%v)", what, d, m, err)
							}
						}
					}
				}
			}
		})
	}
}

// middles counts the graph's middle depthwise convs (each can end a block).
func middles(g *ir.Graph) int {
	n := 0
	for _, x := range g.Nodes {
		if x.Op == ir.OpConv && strings.HasSuffix(x.Name, ".dw_mid.0") {
			n++
		}
	}
	return n
}

func blocks(p *plan.Plan) int {
	n := 0
	for i := range p.Steps {
		if p.Steps[i].Kind == plan.KindBlock {
			n++
		}
	}
	return n
}

func run(t *testing.T, p *plan.Plan, threads int, x *ir.Tensor) *ir.Tensor {
	t.Helper()
	e, err := runtime.New(p, runtime.Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	outs := e.NewOutputs()
	if err := e.Run([]*ir.Tensor{x}, outs); err != nil {
		t.Fatal(err)
	}
	return outs[0]
}
