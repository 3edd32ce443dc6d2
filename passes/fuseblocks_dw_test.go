package passes

import (
	"testing"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/plan"
)

// TestDWBlocksOnlyForOneThread: MobileNetV1 compiled for one thread fuses
// each of its 13 depthwise convs with the conv before it into a block
// ending in the depthwise conv (the stem's into the first); for two
// threads, or an unknown number, and with DWBlockMinBytes -1 it keeps its
// 13 depthwise steps; V2, V3-Large and V3-Small (inverted residuals, SE)
// and V4-Conv-S (start depthwise convs before a 3× expand) have no such
// block on one thread.
func TestDWBlocksOnlyForOneThread(t *testing.T) {
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	count := func(spec string, o Options) (dwBlocks, dwSteps int) {
		g, err := models.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		o.Level = 2
		p, _, err := Compile(g, o, set)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.Steps {
			s := &p.Steps[i]
			if plan.IsDWBlock(s) {
				dwBlocks++
				if i == 1 && s.Sub[0].Kind != plan.KindConv {
					t.Errorf("%s: the first block's producer is a %s, not the stem", spec, s.Sub[0].Kind)
				}
			}
			if s.Kind == plan.KindDWConv {
				dwSteps++
			}
		}
		return dwBlocks, dwSteps
	}
	if b, d := count("mobilenet_v1", Options{Threads: 1}); b != 13 || d != 0 {
		t.Errorf("V1 for one thread: %d blocks ending in a depthwise conv, %d depthwise steps; want 13, 0", b, d)
	}
	for _, o := range []Options{{Threads: 2}, {}, {Threads: 1, DWBlockMinBytes: -1}} {
		if b, d := count("mobilenet_v1", o); b != 0 || d != 13 {
			t.Errorf("V1 for %d threads (DWBlockMinBytes %d): %d blocks ending in a depthwise conv, %d depthwise steps; want 0, 13", o.Threads, o.DWBlockMinBytes, b, d)
		}
	}
	for _, spec := range []string{"mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "mobilenet_v4_conv_small"} {
		if b, _ := count(spec, Options{Threads: 1}); b != 0 {
			t.Errorf("%s for one thread: %d blocks ending in a depthwise conv, want 0", spec, b)
		}
	}
}
