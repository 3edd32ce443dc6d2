package runtime

import "testing"

// TestNCHWToNHWCRange: converting any pixel range writes exactly those
// pixels, for the 3-channel fast path (ranges with and without a tail of
// fewer than four pixels) and the general one.
func TestNCHWToNHWCRange(t *testing.T) {
	for _, c := range []int{3, 5} {
		hw := 37
		in := make([]float32, c*hw)
		for i := range in {
			in[i] = float32(i + 1)
		}
		for _, r := range [][2]int{{0, 37}, {0, 8}, {3, 10}, {5, 6}, {36, 37}, {7, 7}} {
			out := make([]float32, c*hw)
			nchwToNHWCRange(in, c, hw, out, r[0], r[1])
			for p := 0; p < hw; p++ {
				for ch := 0; ch < c; ch++ {
					want := float32(0)
					if p >= r[0] && p < r[1] {
						want = in[ch*hw+p]
					}
					if got := out[p*c+ch]; got != want {
						t.Fatalf("c=%d range %v: pixel %d channel %d = %g, want %g", c, r, p, ch, got, want)
					}
				}
			}
		}
	}
}
