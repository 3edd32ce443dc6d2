package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refConv computes a dense conv in float64 from weights [Cout][Cin][KH][KW].
func refConv(p *ConvParams, in, w, bias, r []float32) (out, mag []float64) {
	out = make([]float64, p.OH*p.OW*p.Cout)
	mag = make([]float64, len(out))
	for oy := 0; oy < p.OH; oy++ {
		for ox := 0; ox < p.OW; ox++ {
			for co := 0; co < p.Cout; co++ {
				var s, m float64
				if bias != nil {
					s, m = float64(bias[co]), math.Abs(float64(bias[co]))
				}
				for ci := 0; ci < p.Cin; ci++ {
					for kh := 0; kh < p.KH; kh++ {
						for kw := 0; kw < p.KW; kw++ {
							iy, ix := oy*p.SH-p.PadT+kh*p.DH, ox*p.SW-p.PadL+kw*p.DW
							if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
								continue
							}
							v := float64(in[(iy*p.W+ix)*p.Cin+ci]) * float64(w[((co*p.Cin+ci)*p.KH+kh)*p.KW+kw])
							s += v
							m += math.Abs(v)
						}
					}
				}
				i := (oy*p.OW+ox)*p.Cout + co
				if r != nil {
					s += float64(r[i])
					m += math.Abs(float64(r[i]))
				}
				out[i], mag[i] = refAct(&p.Ep, s, co), m
			}
		}
	}
	return out, mag
}

// checkConvRandom checks conv p on random input and weights, with a random
// bias and residual when asked.
func checkConvRandom(t *testing.T, s *Set, rng *rand.Rand, p *ConvParams, withBias, withResidual bool) {
	t.Helper()
	var bias, r []float32
	if withBias {
		bias = randSlice(rng, p.Cout)
	}
	if withResidual {
		r = randSlice(rng, p.OH*p.OW*p.Cout)
	}
	checkConv(t, s, p, randSlice(rng, p.H*p.W*p.Cin), randSlice(rng, p.Cout*p.Cin*p.KH*p.KW), bias, r)
}

func checkConv(t *testing.T, s *Set, p *ConvParams, in, w, bias, r []float32) {
	t.Helper()
	wp := make([]float32, s.PackedConvSize(p))
	s.PackConv(wp, w, p)
	out := make([]float32, p.OH*p.OW*p.Cout)
	for i := range out {
		out[i] = sentinel
	}
	// Rows in two calls, the later rows first, each with its own scratch.
	mid := p.OH / 2
	s.Conv(p, in, wp, bias, r, out, make([]float32, s.ConvScratchSize(p, p.OH-mid)), mid, p.OH)
	for i := 0; i < mid*p.OW*p.Cout; i++ {
		if out[i] != sentinel {
			t.Fatalf("%+v: Conv rows [%d,%d) wrote element %d of an earlier row", *p, mid, p.OH, i)
		}
	}
	s.Conv(p, in, wp, bias, r, out, make([]float32, s.ConvScratchSize(p, mid)), 0, mid)
	want, mag := refConv(p, in, w, bias, r)
	bad := 0
	for i, g := range out {
		if !closeTo(g, want[i], mag[i]) {
			if bad < 3 {
				px := i / p.Cout
				t.Errorf("%+v: out[y=%d x=%d c=%d] = %v, want %v", *p, px/p.OW, px%p.OW, i%p.Cout, g, want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d outputs wrong", bad, len(out))
	}
}

// convShape builds ConvParams; ok is false when the output would be empty.
func convShape(h, w, cin, cout, k, st, d, pt, pl, pb, pr int, ep Epilogue) (p ConvParams, ok bool) {
	span := (k-1)*d + 1
	if h+pt+pb < span || w+pl+pr < span {
		return p, false
	}
	return ConvParams{H: h, W: w, Cin: cin, Cout: cout, KH: k, KW: k, SH: st, SW: st, DH: d, DW: d,
		PadT: pt, PadL: pl, OH: (h+pt+pb-span)/st + 1, OW: (w+pl+pr-span)/st + 1, Ep: withSlopes(ep, cout)}, true
}

func TestConvMatchesReference(t *testing.T) {
	spatial := [][2]int{{1, 1}, {2, 3}, {3, 2}, {7, 7}, {8, 9}, {14, 14}, {15, 15}}
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(7, 8))
		n := 0
		for _, k := range []int{1, 3, 5, 7} {
			for _, st := range []int{1, 2} {
				for _, d := range []int{1, 2} {
					for _, hw := range spatial {
						for _, ch := range [][2]int{{1, 1}, {3, 7}, {8, 17}, {15, 16}, {33, 24}} {
							n++
							pad := [][4]int{{k / 2, k / 2, k / 2, k / 2}, {0, 0, 0, 0}, {k - 1, 0, 1, k / 2}, {1, k / 2, k - 1, 0}}[n%4]
							p, ok := convShape(hw[0], hw[1], ch[0], ch[1], k, st, d, pad[0], pad[1], pad[2], pad[3], dwTestActs[n%len(dwTestActs)])
							if !ok {
								continue
							}
							checkConvRandom(t, s, rng, &p, n%3 != 0, n%2 == 0)
						}
					}
				}
			}
		}
	})
}

// The stem shape (3×3 stride 2 from 3 channels) has a fast path on amd64:
// every output width it takes (1..4 vectors, tails), every activation,
// symmetric and asymmetric padding, odd and even image sizes, with and
// without bias and residual; rows wide enough (70: 35 output pixels) for
// the AVX-512 kernels' 16- and 8-pixel groups read from the input in place.
func TestConvStem(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(9, 10))
		n := 0
		for _, cout := range []int{1, 8, 15, 16, 17, 24, 32, 33, 40, 64, 65} {
			for _, hw := range [][2]int{{1, 1}, {2, 3}, {7, 7}, {8, 9}, {15, 15}, {32, 30}, {6, 70}} {
				for _, pad := range [][4]int{{1, 1, 1, 1}, {0, 0, 1, 1}, {1, 1, 0, 0}, {0, 0, 0, 0}, {2, 1, 0, 2}} {
					n++
					p, ok := convShape(hw[0], hw[1], 3, cout, 3, 2, 1, pad[0], pad[1], pad[2], pad[3], dwTestActs[n%len(dwTestActs)])
					if !ok {
						continue
					}
					var bias, r []float32
					if n%3 != 0 {
						bias = randSlice(rng, cout)
					}
					if n%7 == 0 {
						r = randSlice(rng, p.OH*p.OW*cout)
					}
					checkConv(t, s, &p, randSlice(rng, p.H*p.W*3), randSlice(rng, cout*27), bias, r)
				}
			}
		}
	})
}

func TestConvNaNInf(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, ep := range dwTestActs {
			p, _ := convShape(9, 9, 3, 20, 3, 2, 1, 1, 1, 1, 1, ep)
			in := randSlice(rng, p.H*p.W*3)
			in[(4*9+4)*3+1] = float32(math.NaN())
			in[(0*9+0)*3+2] = float32(math.NaN())
			in[(6*9+8)*3+0] = float32(math.Inf(1))
			w := randSlice(rng, 20*27)
			for i := range w {
				w[i] = float32(math.Abs(float64(w[i]))) + 0.1
			}
			checkConv(t, s, &p, in, w, randSlice(rng, 20), nil)
		}
	})
}

// Dense convs with 8 or more input channels run as an implicit GEMM on
// amd64 (conv_taps_amd64.go): interior pixels read the input in place,
// edge pixels go through im2col, in runs across rows. Output channels
// around the panel widths (a last panel of 8 or fewer: packed in k pairs,
// then odd KW·Cin keeps im2col), strides 1 and 2, dilations, pads on every
// side, rows of one interior pixel and none, every activation, residuals.
func TestConvImplicitGemm(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(13, 14))
		n := 0
		for _, ch := range [][2]int{{8, 8}, {9, 40}, {16, 24}, {24, 96}, {32, 32}, {33, 7}, {32, 17}, {40, 100}} {
			for _, k := range []int{3, 5} {
				for _, st := range []int{1, 2} {
					for _, hw := range [][2]int{{1, 1}, {3, 4}, {7, 9}, {12, 31}, {17, 16}} {
						for _, pad := range [][4]int{{k / 2, k / 2, k / 2, k / 2}, {0, 0, 0, 0}, {k - 1, 0, 1, k / 2}, {1, k / 2, k - 1, 0}} {
							n++
							d := 1 + n%6/5 // every sixth conv dilated
							p, ok := convShape(hw[0], hw[1], ch[0], ch[1], k, st, d, pad[0], pad[1], pad[2], pad[3], dwTestActs[n%len(dwTestActs)])
							if ok && n%7 == 3 && d == 1 { // dilated along H only: still in place
								p.DH = 2
								p.OH = (hw[0]+pad[0]+pad[2]-2*(k-1)-1)/st + 1
								ok = p.OH > 0
							}
							if !ok {
								continue
							}
							checkConvRandom(t, s, rng, &p, n%3 != 0, n%2 == 0)
						}
					}
				}
			}
		}
	})
}

// A residual that is the output itself (accumulating in place) stays
// correct where the implicit GEMM overwrites edge pixels before im2col's
// results land there.
func TestConvResidualInPlace(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(15, 16))
		for _, st := range []int{1, 2} {
			p, _ := convShape(12, 16, 16, 24, 3, st, 1, 1, 1, 1, 1, Epilogue{Act: ActRelu})
			in, w, bias := randSlice(rng, p.H*p.W*p.Cin), randSlice(rng, p.Cout*p.Cin*9), randSlice(rng, p.Cout)
			r := randSlice(rng, p.OH*p.OW*p.Cout)
			want, mag := refConv(&p, in, w, bias, r)
			wp := make([]float32, s.PackedConvSize(&p))
			s.PackConv(wp, w, &p)
			out := append([]float32(nil), r...)
			s.Conv(&p, in, wp, bias, out, out, make([]float32, s.ConvScratchSize(&p, p.OH)), 0, p.OH)
			for i, g := range out {
				if !closeTo(g, want[i], mag[i]) {
					t.Fatalf("stride %d: out[%d] = %v, want %v", st, i, g, want[i])
				}
			}
		}
	})
}
