package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refDW computes the whole depthwise output in float64 from unpacked
// weights w [C][KH][KW], returning values and the magnitude bound per element.
func refDW(p *DWParams, in, w, bias []float32) (out, mag []float64) {
	out = make([]float64, p.OH*p.OW*p.C)
	mag = make([]float64, len(out))
	for oy := 0; oy < p.OH; oy++ {
		for ox := 0; ox < p.OW; ox++ {
			for c := 0; c < p.C; c++ {
				var s, m float64
				if bias != nil {
					s, m = float64(bias[c]), math.Abs(float64(bias[c]))
				}
				for kh := 0; kh < p.KH; kh++ {
					for kw := 0; kw < p.KW; kw++ {
						iy, ix := oy*p.SH-p.PadT+kh, ox*p.SW-p.PadL+kw
						if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
							continue
						}
						v := float64(in[(iy*p.W+ix)*p.C+c]) * float64(w[(c*p.KH+kh)*p.KW+kw])
						s += v
						m += math.Abs(v)
					}
				}
				i := (oy*p.OW+ox)*p.C + c
				out[i], mag[i] = refAct(&p.Ep, s, c), m
			}
		}
	}
	return out, mag
}

// runDW packs w, runs s.DWConv over rows [0, OH) in two calls (upper half
// first, so a kernel that writes outside its rows is caught) and returns out.
func runDW(s *Set, p *DWParams, in, w, bias []float32) []float32 {
	return runDWWith(s.DWConv, "DWConv", s, p, in, w, bias)
}

// runDWWith is runDW for dw, DWConv or DWConvBand.
func runDWWith(dw func(p *DWParams, in, wp, bias, out []float32, oy0, oy1 int), name string, s *Set, p *DWParams, in, w, bias []float32) []float32 {
	wp := make([]float32, s.PackedDWSize(p.C, p.KH, p.KW))
	s.PackDW(wp, w, p.C, p.KH, p.KW)
	out := make([]float32, p.OH*p.OW*p.C)
	for i := range out {
		out[i] = sentinel
	}
	mid := p.OH / 2
	dw(p, in, wp, bias, out, mid, p.OH)
	for i := 0; i < mid*p.OW*p.C; i++ {
		if out[i] != sentinel {
			panic(fmt.Sprintf("%s rows [%d,%d) wrote element %d of an earlier row", name, mid, p.OH, i))
		}
	}
	dw(p, in, wp, bias, out, 0, mid)
	return out
}

// runDWChannels runs s.DWConvChannels over channel ranges of 16 and 32
// alternately (the last one ragged), highest first, each in two row
// halves, checking that no call writes a lower channel, and returns out.
func runDWChannels(s *Set, p *DWParams, in, w, bias []float32) []float32 {
	wp := make([]float32, s.PackedDWSize(p.C, p.KH, p.KW))
	s.PackDW(wp, w, p.C, p.KH, p.KW)
	out := make([]float32, p.OH*p.OW*p.C)
	for i := range out {
		out[i] = sentinel
	}
	var cuts []int
	for c0, i := 0, 0; c0 < p.C; c0, i = c0+DWChannelQuantum*(1+i%2), i+1 {
		cuts = append(cuts, c0)
	}
	mid := p.OH / 2
	for i := len(cuts) - 1; i >= 0; i-- {
		c0, c1 := cuts[i], p.C
		if i+1 < len(cuts) {
			c1 = cuts[i+1]
		}
		s.DWConvChannels(p, in, wp, bias, out, mid, p.OH, c0, c1)
		s.DWConvChannels(p, in, wp, bias, out, 0, mid, c0, c1)
		for j, v := range out {
			if j%p.C < c0 && v != sentinel {
				panic(fmt.Sprintf("DWConvChannels [%d,%d) of %d wrote channel %d", c0, c1, p.C, j%p.C))
			}
		}
	}
	return out
}

func checkDW(t *testing.T, s *Set, p *DWParams, in, w, bias []float32) {
	t.Helper()
	checkDWOut(t, p, runDW(s, p, in, w, bias), in, w, bias)
	checkDWOut(t, p, runDWWith(s.DWConvBand, "DWConvBand", s, p, in, w, bias), in, w, bias)
	if s.DWConvChannels != nil {
		checkDWOut(t, p, runDWChannels(s, p, in, w, bias), in, w, bias)
	}
}

// checkDWOut compares got with the float64 reference.
func checkDWOut(t *testing.T, p *DWParams, got, in, w, bias []float32) {
	t.Helper()
	want, mag := refDW(p, in, w, bias)
	bad := 0
	for i, g := range got {
		if !closeTo(g, want[i], mag[i]) {
			if bad < 3 {
				px := i / p.C
				t.Errorf("%+v: out[y=%d x=%d c=%d] = %v, want %v", *p, px/p.OW, px%p.OW, i%p.C, g, want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d outputs wrong", bad, len(got))
	}
}

// dwShape builds DWParams for an h×w×c input with square kernel k, stride
// st, top/left padding pt and bottom/right padding pb; ok is false when the
// output would be empty.
func dwShape(h, w, c, k, st, pt, pb int, ep Epilogue) (p DWParams, ok bool) {
	oh := (h+pt+pb-k)/st + 1
	ow := (w+pt+pb-k)/st + 1
	if h+pt+pb < k || w+pt+pb < k || oh < 1 || ow < 1 {
		return p, false
	}
	return DWParams{H: h, W: w, C: c, KH: k, KW: k, SH: st, SW: st, PadT: pt, PadL: pt, OH: oh, OW: ow, Ep: withSlopes(ep, c)}, true
}

func TestDWConvMatchesReference(t *testing.T) {
	channels := []int{1, 3, 7, 8, 15, 16, 17, 24, 33, 40, 100, 144}
	spatial := [][2]int{{1, 1}, {2, 3}, {7, 7}, {8, 9}, {14, 14}, {15, 15}}
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(1, 2))
		n := 0
		for _, c := range channels {
			for _, hw := range spatial {
				for _, k := range []int{3, 5} {
					for _, st := range []int{1, 2} {
						n++
						// Rotate padding through "same", none, and
						// asymmetric (more at the top/left, or at the bottom/right).
						pads := [][2]int{{k / 2, k / 2}, {0, 0}, {k / 2, k/2 - 1}, {k/2 - 1, k / 2}, {k - 1, 1}}[n%5]
						p, ok := dwShape(hw[0], hw[1], c, k, st, pads[0], pads[1], dwTestActs[n%len(dwTestActs)])
						if !ok {
							continue
						}
						in := randSlice(rng, p.H*p.W*c)
						w := randSlice(rng, c*k*k)
						var bias []float32
						if n%3 != 0 {
							bias = randSlice(rng, c)
						}
						checkDW(t, s, &p, in, w, bias)
					}
				}
			}
		}
	})
}

// TestDWConvBandWideRows: DWConvBand (3×3 and 5×5) on rows wide enough
// for every pixel group of the channel-block-major kernels (16, then 8, 4,
// 2, 1), with channel tails, gives DWConv's outputs bit for bit (same FMA
// order) and the reference's.
func TestDWConvBandWideRows(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(7, 8))
		n := 0
		for _, w := range []int{2, 5, 18, 33, 40, 58} {
			for _, c := range []int{8, 16, 24, 72} {
				for _, st := range []int{1, 2} {
					for _, k := range []int{3, 5} {
						n++
						pads := [][2]int{{k / 2, k / 2}, {0, 0}, {k / 2, 0}, {0, k / 2}}[n%4]
						p, ok := dwShape(7, w, c, k, st, pads[0], pads[1], dwTestActs[n%len(dwTestActs)])
						if !ok {
							continue
						}
						checkDWBandSame(t, s, &p, rng)
					}
				}
			}
		}
	})
}

// checkDWBandSame checks DWConvBand on p against the reference and DWConv
// (bit for bit).
func checkDWBandSame(t *testing.T, s *Set, p *DWParams, rng *rand.Rand) {
	t.Helper()
	c, k := p.C, p.KH
	in, wt, bias := randSlice(rng, p.H*p.W*c), randSlice(rng, c*k*k), randSlice(rng, c)
	got := runDWWith(s.DWConvBand, "DWConvBand", s, p, in, wt, bias)
	checkDWOut(t, p, got, in, wt, bias)
	want := runDW(s, p, in, wt, bias)
	for i := range want {
		if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("%s %+v: DWConvBand out[%d] = %v, DWConv %v", s.ISA, *p, i, got[i], want[i])
		}
	}
}

// Every activation on a MobileNet-like interior shape, so each epilogue
// mode runs through the vector path with and without a channel tail.
func TestDWConvEveryActivation(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, ep := range dwTestActs {
			for _, c := range []int{24, 40} {
				for _, k := range []int{3, 5} {
					p, _ := dwShape(9, 10, c, k, 1, k/2, k/2, ep)
					checkDW(t, s, &p, randSlice(rng, p.H*p.W*c), randSlice(rng, c*k*k), randSlice(rng, c))
				}
			}
		}
	})
}

// NaN and ±Inf inputs must come out as ir.ApplyAct says (NaN stays NaN
// through every clamp) on every path, interior and border.
func TestDWConvNaNInf(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, ep := range dwTestActs {
			p, _ := dwShape(8, 9, 17, 3, 1, 1, 1, ep)
			in := randSlice(rng, p.H*p.W*p.C)
			in[(4*9+4)*17+3] = float32(math.NaN())   // interior
			in[(0*9+0)*17+5] = float32(math.NaN())   // corner
			in[(3*9+8)*17+16] = float32(math.Inf(1)) // right border, tail channel
			in[(7*9+2)*17+0] = float32(math.Inf(-1)) // bottom border
			w := randSlice(rng, p.C*9)
			for i := range w {
				w[i] = float32(math.Abs(float64(w[i]))) + 0.1 // no 0·Inf
			}
			checkDW(t, s, &p, in, w, nil)
		}
	})
}

func TestPackedDWSizeCoversPacking(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		for _, c := range []int{1, 17, 144} {
			if n := s.PackedDWSize(c, 3, 3); n < 9*c {
				t.Errorf("PackedDWSize(%d,3,3) = %d < %d", c, n, 9*c)
			}
		}
	})
}

// Shapes off the generated kernels' path: 1×1 and 7×7 (pure Go on every
// ISA), rectangular kernels, strides 3 and unequal SH/SW (column-range
// kernels only), and padding larger than the kernel reaches.
func TestDWConvOtherShapes(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(21, 22))
		cases := []DWParams{
			{H: 9, W: 8, C: 17, KH: 1, KW: 1, SH: 1, SW: 1, OH: 9, OW: 8},
			{H: 9, W: 8, C: 17, KH: 1, KW: 1, SH: 2, SW: 2, OH: 5, OW: 4},
			{H: 15, W: 15, C: 33, KH: 7, KW: 7, SH: 1, SW: 1, PadT: 3, PadL: 3, OH: 15, OW: 15},
			{H: 14, W: 14, C: 24, KH: 7, KW: 7, SH: 2, SW: 2, PadT: 3, PadL: 2, OH: 7, OW: 7},
			{H: 8, W: 9, C: 16, KH: 3, KW: 5, SH: 1, SW: 1, PadT: 1, PadL: 2, OH: 8, OW: 9},
			{H: 8, W: 9, C: 40, KH: 5, KW: 3, SH: 2, SW: 1, PadT: 2, PadL: 1, OH: 4, OW: 9},
			{H: 15, W: 15, C: 40, KH: 3, KW: 3, SH: 3, SW: 3, PadT: 1, PadL: 1, OH: 5, OW: 5},
			{H: 15, W: 15, C: 17, KH: 5, KW: 5, SH: 1, SW: 2, PadT: 2, PadL: 2, OH: 15, OW: 8},
			{H: 15, W: 15, C: 17, KH: 5, KW: 5, SH: 2, SW: 3, PadT: 0, PadL: 1, OH: 6, OW: 5},
			{H: 3, W: 3, C: 7, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 3, PadL: 3, OH: 7, OW: 7},
			{H: 2, W: 1, C: 100, KH: 5, KW: 5, SH: 1, SW: 1, PadT: 2, PadL: 2, OH: 2, OW: 1},
		}
		for i, p := range cases {
			p.Ep = withSlopes(dwTestActs[i%len(dwTestActs)], p.C)
			var bias []float32
			if i%2 == 0 {
				bias = randSlice(rng, p.C)
			}
			checkDW(t, s, &p, randSlice(rng, p.H*p.W*p.C), randSlice(rng, p.C*p.KH*p.KW), bias)
		}
	})
}

// Every row width from 1 to 20 (so every pixel-group size of the interior
// and border kernels, with and without a channel tail), for each kernel
// and stride with generated code.
func TestDWConvEveryWidth(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(23, 24))
		for w := 1; w <= 20; w++ {
			for _, k := range []int{3, 5} {
				for _, st := range []int{1, 2} {
					for _, c := range []int{16, 17} {
						p, ok := dwShape(k+2, w, c, k, st, k/2, k/2, dwTestActs[(w+k+st)%len(dwTestActs)])
						if !ok {
							continue
						}
						p.H = w + 3 // taller than wide: border columns run down several rows
						p.OH = (p.H+2*(k/2)-k)/st + 1
						checkDW(t, s, &p, randSlice(rng, p.H*p.W*c), randSlice(rng, c*k*k), randSlice(rng, c))
					}
				}
			}
		}
	})
}
