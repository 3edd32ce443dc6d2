package runtime_test

import (
	"fmt"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

// TestDWBlocksAsymmetricPads: blocks ending in their depthwise conv whose
// depthwise pads are not the builder's symmetric k/2 (ONNX files from
// TensorFlow: "same" at stride 2 pads bottom/right only; pads up to the
// kernel less one on one side) give the unfused plan's outputs: the band's
// top pad shifts from band to band, and the bottom and right pads are
// implied by the output size. Odd sizes, batch 1 and 3, bands of one row
// and the default, 1 and 2 threads, every ISA.
func TestDWBlocksAsymmetricPads(t *testing.T) {
	gg, x := newGen("dwpads", 21, 16, 15, 17)
	dw := func(x *ir.Value, k, stride int, pads [4]int) *ir.Value {
		c := x.Shape[1]
		a := ir.ConvAttrs(stride, 0, c)
		a.Pads = pads
		w := gg.tensor(1.7/sqrt(float64(k*k)), c, 1, k, k)
		return gg.node(ir.OpRelu, "relu", ir.Attrs{}, gg.node(ir.OpConv, "dw", a, x, w, gg.tensor(0.2, c)))
	}
	y := gg.conv(x, 32, 1, 1, 1, true)
	y = dw(y, 3, 2, [4]int{0, 0, 1, 1}) // TF "same", stride 2: 15x17 -> 8x9
	y = gg.conv(y, 32, 1, 1, 1, true)
	y = dw(y, 5, 1, [4]int{4, 0, 0, 4}) // all of the top pad, all of the right
	y = gg.conv(y, 48, 1, 1, 1, true)
	y = dw(y, 3, 1, [4]int{2, 1, 0, 1})
	y = gg.conv(y, 64, 1, 1, 1, true)
	g := gg.finish(y)
	for _, isa := range kernels.Available() {
		set, err := kernels.ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{1, 3} {
			h, ins := batched(t, g, batch)
			base, _, err := passes.Compile(h, passes.Options{Level: 2, Batch: batch, Verify: true, Disable: []string{"fuse-blocks"}}, set)
			if err != nil {
				t.Fatal(err)
			}
			for _, budget := range []int{0, 1} {
				p, _, err := passes.Compile(h, passes.Options{Level: 2, Batch: batch, Verify: true, Threads: 1, BlockScratch: budget, BlockMinBytes: 1 << 30, DWBlockMinBytes: 1}, set)
				if err != nil {
					t.Fatal(err)
				}
				blocks := 0
				for i := range p.Steps {
					if plan.IsDWBlock(&p.Steps[i]) {
						blocks++
					}
				}
				if blocks != 3 {
					t.Fatalf("%s: %d blocks ending in a depthwise conv, want 3", isa, blocks)
				}
				for _, threads := range []int{1, 2} {
					what := fmt.Sprintf("%s b%d t%d scratch %d", isa, batch, threads, budget)
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
