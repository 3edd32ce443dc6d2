package passes

import (
	"testing"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
)

// TestCentredArenaForTwoThreads: a plan for two threads puts every
// activation of MobileNetV1 (a chain: never more than two live) centred on
// one of the slot midpoints, so that the thread owning a step's first half
// of rows always writes below a midpoint; a one-thread plan packs lowest
// first, as before (its first buffers start at offset 0).
func TestCentredArenaForTwoThreads(t *testing.T) {
	g, err := models.Build("mobilenet_v1:res=64,classes=10")
	if err != nil {
		t.Fatal(err)
	}
	set, _ := kernels.ForISA(kernels.Generic)
	p2, _, err := Compile(g, Options{Level: 2, Threads: 2}, set)
	if err != nil {
		t.Fatal(err)
	}
	big := 0
	for _, st := range p2.Steps {
		big = max(big, roundUp(st.Out.Floats()))
	}
	for _, st := range p2.Steps {
		size := roundUp(st.Out.Floats())
		mid := st.Out.Off + size/2
		slot := mid / big
		if d := mid - (slot*big + big/2); d < -align || d > align {
			t.Errorf("2 threads: step %q output [%d, %d) is not centred on a slot midpoint (slots of %d floats)", st.Name, st.Out.Off, st.Out.Off+size, big)
		}
	}
	p1, _, err := Compile(g, Options{Level: 2, Threads: 1}, set)
	if err != nil {
		t.Fatal(err)
	}
	if p1.ArenaSize >= p2.ArenaSize {
		t.Errorf("arena for 1 thread %d floats, for 2 threads %d: want the lowest-first packing smaller", p1.ArenaSize, p2.ArenaSize)
	}
}
