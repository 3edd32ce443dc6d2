package passes

import (
	"testing"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/plan"
)

// TestCentredArenaForTwoThreads: a plan for two threads puts every
// activation of MobileNetV1 (a chain: never more than two live) made by a
// step split by rows centred on one of the slot midpoints, so that the
// thread owning a step's first half of rows always writes below a
// midpoint, and those made by steps split by channels (the GEMMs on the
// small maps, split by columns) above all of them; a one-thread plan packs
// lowest first, as before (its first buffers start at offset 0).
func TestCentredArenaForTwoThreads(t *testing.T) {
	g, err := models.Build("mobilenet_v1:res=64,classes=10")
	if err != nil {
		t.Fatal(err)
	}
	for _, isa := range kernels.Available() {
		set, _ := kernels.ForISA(isa)
		p2, _, err := Compile(g, Options{Level: 2, Threads: 2}, set)
		if err != nil {
			t.Fatal(err)
		}
		big, top, chans := 0, 0, 0
		for _, st := range p2.Steps {
			if !plan.ChannelSplit(&st, 2, set) {
				big = max(big, roundUp(st.Out.Floats()))
				top = max(top, st.Out.Off+roundUp(st.Out.Floats()))
			}
		}
		for _, st := range p2.Steps {
			size := roundUp(st.Out.Floats())
			if plan.ChannelSplit(&st, 2, set) {
				chans++
				if st.Out.Off < top {
					t.Errorf("%s, 2 threads: channel-split step %q output [%d, %d) is not above the row-split outputs (top %d)", isa, st.Name, st.Out.Off, st.Out.Off+size, top)
				}
				continue
			}
			mid := st.Out.Off + size/2
			slot := mid / big
			if d := mid - (slot*big + big/2); d < -align || d > align {
				t.Errorf("%s, 2 threads: step %q output [%d, %d) is not centred on a slot midpoint (slots of %d floats)", isa, st.Name, st.Out.Off, st.Out.Off+size, big)
			}
		}
		if chans == 0 {
			t.Errorf("%s: no channel-split step in V1 at 64x64 on 2 threads", isa)
		}
	}
	set, _ := kernels.ForISA(kernels.Generic)
	p2, _, err := Compile(g, Options{Level: 2, Threads: 2}, set)
	if err != nil {
		t.Fatal(err)
	}
	// DWBlockMinBytes -1: one-thread plans keep V1's depthwise steps
	// (fused with their producers, the tensors that plan-memory lays out
	// differ), so that only the layout differs.
	p1, _, err := Compile(g, Options{Level: 2, Threads: 1, DWBlockMinBytes: -1}, set)
	if err != nil {
		t.Fatal(err)
	}
	if p1.ArenaSize >= p2.ArenaSize {
		t.Errorf("arena for 1 thread %d floats, for 2 threads %d: want the lowest-first packing smaller", p1.ArenaSize, p2.ArenaSize)
	}
	// The two-thread layouts cost at most a third more arena (plan-memory).
	for _, spec := range []string{"mobilenet_v1:res=64,classes=10", "mobilenet_v1:res=128", "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small"} {
		g, err := models.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		var size [3]int
		for nt := 1; nt <= 2; nt++ {
			p, _, err := Compile(g, Options{Level: 2, Threads: nt, DWBlockMinBytes: -1}, set)
			if err != nil {
				t.Fatal(err)
			}
			size[nt] = p.ArenaSize
		}
		if size[2]*3 > size[1]*4 {
			t.Errorf("%s: arena for 2 threads %d floats, for 1 thread %d: more than a third more", spec, size[2], size[1])
		}
	}
}
