package runtime_test

import (
	"fmt"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
)

// TestGemmImageRowShares: pointwise convs split by rows into whole image
// rows per thread (gemmRowSplit), around a depthwise conv as in
// MobileNet, match the reference on 2, 3 and 4 threads, batch 1 and 2,
// every ISA, on maps whose rows leave ragged tiles at every share's end.
func TestGemmImageRowShares(t *testing.T) {
	var cs []config
	for _, isa := range kernels.Available() {
		for _, threads := range []int{2, 3, 4} {
			cs = append(cs, config{2, threads, 1, isa})
		}
		cs = append(cs, config{2, 2, 2, isa}, config{0, 3, 2, isa})
	}
	for _, hw := range []int{14, 19, 28} {
		t.Run(fmt.Sprintf("%dx%d", hw, hw), func(t *testing.T) {
			gg, x := newGen("rows", int64(hw), 24, hw, hw)
			y := gg.conv(x, 40, 1, 1, 1, true)
			y = gg.node(ir.OpClip, "relu6", ir.Relu6Attrs(), y)
			y = gg.conv(y, 40, 3, 1, 40, true)
			checkGraph(t, gg.finish(gg.conv(y, 56, 1, 1, 1, true)), cs)
		})
	}
}
