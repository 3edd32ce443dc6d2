//go:build amd64 && !purego

package kernels

import "testing"

// The channel-block-major depthwise kernel is taken only where its window's
// lines spread over L1's sets: V1's power-of-two channel counts are kept
// on the pixel-major kernel (measured slower on the rows kernel), V2's and
// V3's shapes take it.
func TestDWRowsFitL1(t *testing.T) {
	for _, c := range []struct {
		h, w, ch, k int
		want        bool
	}{
		{56, 56, 128, 3, false},
		{28, 28, 256, 3, false},
		{14, 14, 512, 3, false},
		{7, 7, 1024, 3, false},
		{112, 112, 64, 3, false},
		{56, 56, 144, 3, true},
		{14, 14, 384, 3, true},
		{14, 14, 576, 3, true},
		{7, 7, 960, 3, true},
		{112, 112, 96, 3, true},
		{28, 28, 72, 5, true},
		{14, 14, 672, 5, true},
		{14, 14, 1024, 5, false},
	} {
		p := DWParams{H: c.h, W: c.w, C: c.ch, KH: c.k, KW: c.k, SH: 1, SW: 1}
		if got := dwRowsFitL1(&p); got != c.want {
			t.Errorf("%dx%dx%d %dx%d: dwRowsFitL1 = %v, want %v", c.h, c.w, c.ch, c.k, c.k, got, c.want)
		}
	}
}
