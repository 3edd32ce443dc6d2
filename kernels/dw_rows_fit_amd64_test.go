//go:build amd64 && !purego

package kernels

import "testing"

// The channel-block-major depthwise kernel is taken only where its window's
// lines spread over L1's sets: V1's power-of-two channel counts are kept
// on the pixel-major kernel (measured slower on the rows kernel), V2's and
// V3's shapes take it.
func TestDWRowsFitL1(t *testing.T) {
	for _, c := range []struct {
		h, w, ch, k, s int
		want           bool
	}{
		{56, 56, 128, 3, 1, false},
		{28, 28, 256, 3, 1, false},
		{14, 14, 512, 3, 1, false},
		{7, 7, 1024, 3, 1, false},
		{112, 112, 64, 3, 1, false},
		{56, 56, 144, 3, 1, true},
		{14, 14, 384, 3, 1, true},
		{14, 14, 576, 3, 1, true},
		{7, 7, 960, 3, 1, true},
		{112, 112, 96, 3, 1, true},
		{28, 28, 72, 5, 1, true},
		{14, 14, 672, 5, 1, true},
		{14, 14, 1024, 5, 1, false},
		{112, 112, 64, 3, 2, true},
		{28, 28, 256, 3, 2, false},
		{14, 14, 512, 3, 2, false},
	} {
		p := DWParams{H: c.h, W: c.w, C: c.ch, KH: c.k, KW: c.k, SH: c.s, SW: c.s}
		if got := dwRowsFitL1(&p); got != c.want {
			t.Errorf("%dx%dx%d %dx%d/%d: dwRowsFitL1 = %v, want %v", c.h, c.w, c.ch, c.k, c.k, c.s, got, c.want)
		}
	}
}
