package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

var miscSizes = []int{1, 3, 7, 8, 15, 16, 17, 24, 33, 40, 100, 144}

func checkClose(t *testing.T, what string, got []float32, want, mag []float64) {
	t.Helper()
	bad := 0
	for i, g := range got {
		if !closeTo(g, want[i], mag[i]) {
			if bad < 3 {
				t.Errorf("%s: [%d] = %v, want %v", what, i, g, want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d wrong", what, bad, len(got))
	}
}

func TestGlobalAvgPool(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, c := range miscSizes {
			for _, hw := range []int{1, 2, 3, 4, 5, 9, 49, 196} {
				in := randSlice(rng, hw*c)
				out := make([]float32, c+1)
				out[c] = sentinel
				s.GlobalAvgPool(in, hw, c, out[:c])
				want, mag := make([]float64, c), make([]float64, c)
				for p := 0; p < hw; p++ {
					for ch := 0; ch < c; ch++ {
						want[ch] += float64(in[p*c+ch]) / float64(hw)
						mag[ch] += math.Abs(float64(in[p*c+ch]))
					}
				}
				checkClose(t, "GlobalAvgPool", out[:c], want, mag)
				if out[c] != sentinel {
					t.Errorf("GlobalAvgPool hw=%d c=%d wrote past c", hw, c)
				}
				if s.GlobalAvgPoolChannels == nil {
					continue
				}
				// Channel ranges [c0, c1) of 16 and 32 alternately,
				// highest first: none may write below c0.
				for i := range out {
					out[i] = sentinel
				}
				var cuts []int
				for c0, i := 0, 0; c0 < c; c0, i = c0+DWChannelQuantum*(1+i%2), i+1 {
					cuts = append(cuts, c0)
				}
				for i := len(cuts) - 1; i >= 0; i-- {
					c0, c1 := cuts[i], c
					if i+1 < len(cuts) {
						c1 = cuts[i+1]
					}
					s.GlobalAvgPoolChannels(in, hw, c, c0, c1, out[:c])
					for ch := 0; ch < c0; ch++ {
						if out[ch] != sentinel {
							t.Fatalf("GlobalAvgPoolChannels [%d,%d) of %d wrote channel %d", c0, c1, c, ch)
						}
					}
				}
				checkClose(t, "GlobalAvgPoolChannels", out[:c], want, mag)
				if out[c] != sentinel {
					t.Errorf("GlobalAvgPoolChannels hw=%d c=%d wrote past c", hw, c)
				}
			}
		}
	})
}

func TestScaleChannels(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(15, 16))
		for _, c := range miscSizes {
			for _, hw := range []int{1, 3, 49} {
				in, sc := randSlice(rng, hw*c), randSlice(rng, c)
				want, mag := make([]float64, hw*c), make([]float64, hw*c)
				for i := range want {
					want[i] = float64(in[i]) * float64(sc[i%c])
					mag[i] = math.Abs(want[i])
				}
				out := make([]float32, hw*c+1)
				out[hw*c] = sentinel
				s.ScaleChannels(in, hw, c, sc, out[:hw*c])
				checkClose(t, "ScaleChannels", out[:hw*c], want, mag)
				if out[hw*c] != sentinel {
					t.Errorf("ScaleChannels wrote past the end")
				}
				s.ScaleChannels(in, hw, c, sc, in) // in place
				checkClose(t, "ScaleChannels in place", in, want, mag)
			}
		}
	})
}

func TestAddAndActivate(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(17, 18))
		for _, n := range append(miscSizes, 1000, 1003) {
			for ai := range dwTestActs {
				ep := &dwTestActs[ai]
				if ep.Act == ActPRelu {
					continue // per-channel: only in conv and GEMM epilogues
				}
				a, b := randSlice(rng, n), randSlice(rng, n)
				a[n/2] = float32(math.NaN())
				b[n-1] = float32(math.Inf(1))
				a[0] = float32(math.Inf(-1))
				want, mag := make([]float64, n), make([]float64, n)
				wantAct := make([]float64, n)
				for i := range want {
					want[i] = refAct(ep, float64(a[i])+float64(b[i]), 0)
					mag[i] = math.Abs(float64(a[i])) + math.Abs(float64(b[i]))
					wantAct[i] = refAct(ep, float64(a[i]), 0)
				}
				out := make([]float32, n+1)
				out[n] = sentinel
				s.Add(a, b, out[:n], ep)
				checkClose(t, "Add "+ep.Act.String(), out[:n], want, mag)
				s.Activate(a, out[:n], ep)
				checkClose(t, "Activate "+ep.Act.String(), out[:n], wantAct, mag)
				if out[n] != sentinel {
					t.Errorf("Add/Activate n=%d wrote past the end", n)
				}
				s.Add(a, b, a, ep) // out aliases a
				checkClose(t, "Add in place", a, want, mag)
			}
		}
	})
}

// TestNCHWToNHWCPixels: converting any pixel range writes exactly those
// pixels, for 3 channels (ranges shorter and longer than a vector, with
// and without a tail, at any start) and others.
func TestNCHWToNHWCPixels(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		for _, c := range []int{3, 5} {
			hw := 77
			in := make([]float32, c*hw)
			for i := range in {
				in[i] = float32(i + 1)
			}
			for _, r := range [][2]int{{0, 77}, {0, 8}, {3, 10}, {5, 6}, {76, 77}, {7, 7}, {0, 16}, {1, 33}, {13, 77}, {16, 64}, {40, 75}} {
				out := make([]float32, c*hw)
				s.NCHWToNHWCPixels(in, c, hw, out, r[0], r[1])
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
	})
}

func TestLayoutConversions(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(19, 20))
		for _, c := range miscSizes {
			for _, hw := range []int{1, 7, 33, 100} {
				nchw := randSlice(rng, c*hw)
				nhwc := make([]float32, c*hw)
				s.NCHWToNHWC(nchw, c, hw, nhwc)
				for ch := 0; ch < c; ch++ {
					for p := 0; p < hw; p++ {
						if nhwc[p*c+ch] != nchw[ch*hw+p] {
							t.Fatalf("NCHWToNHWC c=%d hw=%d: [p=%d][c=%d] = %v, want %v", c, hw, p, ch, nhwc[p*c+ch], nchw[ch*hw+p])
						}
					}
				}
				back := make([]float32, c*hw)
				s.NHWCToNCHW(nhwc, hw, c, back)
				for i := range back {
					if back[i] != nchw[i] {
						t.Fatalf("NHWCToNCHW c=%d hw=%d: round trip differs at %d", c, hw, i)
					}
				}
			}
		}
	})
}

// Activation names for messages.

// The SIMD wrappers must not allocate (their locals reach the assembly
// through static calls to //go:noescape functions).
func TestKernelsDoNotAllocate(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		p, _ := dwShape(14, 14, 40, 3, 1, 1, 1, Epilogue{Act: ActHardSwish})
		in, out := make([]float32, 14*14*40), make([]float32, 14*14*40)
		wp := make([]float32, s.PackedDWSize(40, 3, 3))
		cp, _ := convShape(16, 16, 3, 24, 3, 2, 1, 1, 1, 1, 1, Epilogue{Act: ActClip, Max: 6})
		cw := make([]float32, s.PackedConvSize(&cp))
		cscratch := make([]float32, s.ConvScratchSize(&cp, cp.OH))
		dp, _ := convShape(8, 8, 16, 24, 3, 1, 1, 1, 1, 1, 1, Epilogue{Act: ActRelu})
		dw := make([]float32, s.PackedConvSize(&dp))
		dscratch := make([]float32, s.ConvScratchSize(&dp, dp.OH))
		ep := &Epilogue{Act: ActRelu}
		n := testing.AllocsPerRun(5, func() {
			s.DWConv(&p, in, wp, nil, out, 0, p.OH)
			s.Conv(&cp, in, cw, nil, nil, out, cscratch, 0, cp.OH)
			s.Conv(&dp, in, dw, nil, in[:dp.OH*dp.OW*24], out, dscratch, 0, dp.OH)
			s.GlobalAvgPool(in, 196, 40, out)
			s.ScaleChannels(in, 196, 40, in, out)
			s.Add(in, in, out, ep)
			s.Activate(in, out, ep)
		})
		if n != 0 {
			t.Errorf("%v allocations per run, want 0", n)
		}
	})
}
