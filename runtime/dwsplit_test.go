package runtime_test

import (
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/runtime"
)

// TestDepthwiseChannelSplit: depthwise steps on small maps with channel
// counts that are not multiples of the split quantum (72, 100, 136), after
// a pointwise conv as in MobileNet, match the reference on 2 and 3
// threads (split by channels) and batch 3 (rows on 2 threads), every ISA.
func TestDepthwiseChannelSplit(t *testing.T) {
	for _, isa := range kernels.Available() {
		set, err := kernels.ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		p := kernels.DWParams{H: 7, W: 7, C: 72, KH: 3, KW: 3, OH: 7, OW: 7}
		if want := set.DWConvChannels != nil; runtime.DWByChannels(&p, 1, 2, set) != want {
			t.Fatalf("%s: a 7×7×72 depthwise on 2 threads: split by channels %v, want %v", isa, !want, want)
		}
	}
	var cs []config
	for _, isa := range kernels.Available() {
		for _, threads := range []int{2, 3} {
			cs = append(cs, config{0, threads, 1, isa}, config{2, threads, 1, isa})
		}
		cs = append(cs, config{0, 2, 3, isa})
	}
	for _, tc := range []struct {
		name          string
		c, hw, k, str int
	}{
		{"7x7x72-3x3", 72, 7, 3, 1},
		{"8x8x100-3x3-s2", 100, 8, 3, 2},
		{"8x8x136-5x5", 136, 8, 5, 1},
		{"12x12x72-3x3", 72, 12, 3, 1}, // channels on 3 threads only
	} {
		t.Run(tc.name, func(t *testing.T) {
			gg, x := newGen(tc.name, 31, 16, tc.hw, tc.hw)
			y := gg.conv(x, tc.c, 1, 1, 1, true)
			y = gg.node(ir.OpClip, "relu6", ir.Relu6Attrs(), y)
			checkGraph(t, gg.finish(gg.conv(y, tc.c, tc.k, tc.str, tc.c, true)), cs)
		})
	}
	// The global pool splits channels too when there are fewer images
	// than threads.
	t.Run("gap-7x7x72", func(t *testing.T) {
		gg, x := newGen("gap", 32, 16, 7, 7)
		y := gg.conv(x, 72, 1, 1, 1, true)
		checkGraph(t, gg.finish(gg.node(ir.OpGlobalAveragePool, "gap", ir.Attrs{}, y)), cs)
	})
}
