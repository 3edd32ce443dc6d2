package runtime

import "testing"

// TestGemmRowSplitShares: with image-row shares, the chunks of a
// row-split GEMM cover its rows once, in order; each thread's run of
// chunks (owned) covers the same image rows as a depthwise step's chunks
// owned by that thread (forRows), and only the last chunk of a share
// ends off the row quantum.
func TestGemmRowSplitShares(t *testing.T) {
	for _, tc := range []struct{ batch, h, w, q, nt int }{
		{1, 14, 14, 12, 2}, {1, 28, 28, 12, 2}, {1, 56, 56, 12, 2}, {1, 112, 112, 12, 2},
		{1, 28, 28, 12, 3}, {2, 14, 14, 12, 2}, {3, 14, 14, 12, 4}, {1, 56, 56, 6, 16},
		{2, 28, 28, 12, 5}, {1, 20, 20, 12, 2},
	} {
		hr, m := tc.batch*tc.h, tc.batch*tc.h*tc.w
		if !gemmShareImageRows(m, hr, tc.q, tc.nt) {
			t.Errorf("%+v: no image-row shares", tc)
			continue
		}
		g := gemmRowSplit{m: m, quantum: tc.q, threads: tc.nt, imageRows: hr, width: tc.w}
		for _, nc := range []int{tc.nt, 2 * tc.nt, 4 * tc.nt, 4*tc.nt + 1} {
			next := 0
			for c := 0; c < nc; c++ {
				lo, hi := g.chunk(c, nc)
				if lo != next || hi < lo {
					t.Fatalf("%+v, %d chunks: chunk %d is rows [%d, %d), want it to start at %d", tc, nc, c, lo, hi, next)
				}
				next = hi
			}
			if next != m {
				t.Fatalf("%+v, %d chunks: the chunks end at row %d of %d", tc, nc, next, m)
			}
			if nc%tc.nt != 0 {
				continue
			}
			for th := 0; th < tc.nt; th++ {
				c0, c1 := owned(nc, th, tc.nt)
				// The depthwise step's chunks this thread owns.
				d0, d1 := owned(4*tc.nt, th, tc.nt)
				r0, _ := split(hr, 1, d0, 4*tc.nt)
				_, r1 := split(hr, 1, d1-1, 4*tc.nt)
				lo, _ := g.chunk(c0, nc)
				_, hi := g.chunk(c1-1, nc)
				if lo != r0*tc.w || hi != r1*tc.w {
					t.Errorf("%+v, %d chunks: thread %d's GEMM rows [%d, %d), its depthwise rows are pixels [%d, %d)", tc, nc, th, lo, hi, r0*tc.w, r1*tc.w)
				}
				for c := c0; c < c1-1; c++ {
					if l, h := g.chunk(c, nc); (h-l)%tc.q != 0 {
						t.Errorf("%+v, %d chunks: chunk %d ([%d, %d)) is not the last of its share and ends off the quantum", tc, nc, c, l, h)
					}
				}
			}
		}
	}
	// Few rows a thread: quanta from row 0 (V2's 7×7 layers on 2 threads).
	if gemmShareImageRows(49, 7, 12, 2) || gemmShareImageRows(196, 14, 12, 4) || gemmShareImageRows(196, 14, 12, 1) {
		t.Error("image-row shares for too few rows a thread")
	}
}
