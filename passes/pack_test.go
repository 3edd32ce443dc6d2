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

// packGemmRows, packing a spent weight a few hundred KiB of rows at a time
// and dropping each part's pages, lays out the same bytes as one PackGemm
// on every instruction set here (whole panels per call; the last, partial
// panel in the last call). Fails with a part that is not a whole number of
// panels or a part packed at the wrong offset.
func TestPackGemmRowsSame(t *testing.T) {
	for _, isa := range kernels.Available() {
		set, err := kernels.ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		for _, nk := range [][2]int{{1000, 1280}, {1003, 257}, {70, 8000}} {
			n, k := nk[0], nk[1]
			w := make([]float32, n*k)
			for i := range w {
				w[i] = float32(i%977) - 400
			}
			want := make([]float32, set.PackedGemmSize(n, k))
			set.PackGemm(want, w, n, k)
			got := make([]float32, len(want))
			packGemmRows(set, got, w, n, k, true)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s n=%d k=%d: packed[%d] = %v, want %v", isa, n, k, i, got[i], want[i])
				}
			}
		}
	}
}

// Constants whose values lie in memory another constant reads are never
// spent (their pages would be dropped under the other's feet).
func TestSharedConstsOverlap(t *testing.T) {
	b, x := newBuilder(1, 8)
	big := make([]float32, 2*3*8)
	w1 := ir.NewTensor(3, 8)
	w1.Data = big[:24]
	w2 := ir.NewTensor(3, 8)
	w2.Data = big[16:40] // overlaps w1's last 8 values
	w3 := b.rand(-1, 1, 3, 8)
	a := ir.GemmAttrs()
	a.TransB = true
	y1 := b.add(ir.OpGemm, a, x, b.g.AddConst("w1", w1))
	y2 := b.add(ir.OpGemm, a, x, b.g.AddConst("w2", w2))
	y3 := b.add(ir.OpGemm, a, x, w3)
	g := b.finish(b.add(ir.OpAdd, ir.Attrs{}, b.add(ir.OpAdd, ir.Attrs{}, y1, y2), y3))
	set, _ := kernels.ForISA(kernels.Generic)
	var shared map[*ir.Tensor]bool
	_, _, err := Compile(g, Options{Level: 0, AfterPass: func(name string, st *State) {
		if name == "emit-steps" {
			shared = st.sharedConsts()
		}
	}}, set)
	if err != nil {
		t.Fatal(err)
	}
	if !shared[w1] || !shared[w2] || shared[w3.Const] {
		t.Fatalf("shared: w1 %v, w2 %v, w3 %v; want true, true, false", shared[w1], shared[w2], shared[w3.Const])
	}
}
