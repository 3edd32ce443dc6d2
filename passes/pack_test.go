package passes

import (
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
)

// A fully-connected bias is packed scaled by Beta; a constant shared with
// another step must still reach that step unscaled, and every blob the
// plan carries must be read by some step (the Beta-scaled bias was once
// also cached under the raw key: an unused blob, and scaled data for the
// next raw reader of the same tensor).
func TestPackFCBiasSharedWithRawReader(t *testing.T) {
	b, x := newBuilder(1, 4)
	bias := b.rand(-1, 1, 3)
	a := ir.GemmAttrs()
	a.Beta = 2
	y := b.add(ir.OpGemm, a, x, b.rand(-1, 1, 3, 4), bias)
	z := b.add(ir.OpAdd, ir.Attrs{}, y, bias) // reads the same constant raw
	g := b.finish(z)
	set, _ := kernels.ForISA(kernels.Generic)
	p, _, err := Compile(g, Options{Level: 0, Verify: true}, set)
	if err != nil {
		t.Fatal(err)
	}
	used := make([]bool, len(p.Blobs))
	rawSeen := false
	for _, st := range p.Steps {
		for _, i := range append(append([]int(nil), st.Consts...), st.ConstIn...) {
			if i >= 0 {
				used[i] = true
			}
		}
		if st.Op == ir.OpAdd {
			for _, i := range st.ConstIn {
				if i < 0 {
					continue
				}
				rawSeen = true
				for j, v := range p.Blobs[i] {
					if v != bias.Const.Data[j] {
						t.Fatalf("the Add step reads bias[%d] = %g, want %g (the FC's Beta-scaled copy)", j, v, bias.Const.Data[j])
					}
				}
			}
		}
	}
	if !rawSeen {
		t.Fatal("the Add step reads no constant blob")
	}
	for i, u := range used {
		if !u {
			t.Errorf("blob %d (%d values) is read by no step", i, len(p.Blobs[i]))
		}
	}
}
