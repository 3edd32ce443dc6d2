package runtime_test

import (
	"testing"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
)

// The built-in SSDLite detector (two outputs, 5-D head permutes, a concat of
// six maps) matches the reference at -O2 on 1 and 2 threads for every ISA,
// at its full 320² size unless -short (then at 160² and half width, with
// the unfused plan too), and at batch 2 once.
func TestSSDLiteMatchesReference(t *testing.T) {
	spec := "ssdlite320_mobilenet_v3_large"
	if testing.Short() {
		spec += ":res=160,alpha=0.5"
	}
	g, err := models.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	cs := []config{{level: 2, threads: 2, batch: 2, isa: kernels.Best()}}
	for _, isa := range kernels.Available() {
		cs = append(cs, config{2, 1, 1, isa}, config{2, 2, 1, isa})
		if testing.Short() {
			cs = append(cs, config{0, 1, 1, isa})
		}
	}
	checkGraph(t, g, cs)
}
