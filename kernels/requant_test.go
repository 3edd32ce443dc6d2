package kernels

import (
	"math"
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// TestRequantSlice: the fused requantization (ActRequant, applied by Go
// after the generated kernels) equals ir.Requantize minus the zero point,
// the definition, on ties, range ends, NaN, ±Inf and every type, for
// every starting channel.
func TestRequantSlice(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	x := []float32{0, 0.5, 1.5, 2.5, -0.5, -2.5, 1e9, -1e9, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 127.5, -128.5, 3}
	for i := 0; i < 200; i++ {
		x = append(x, float32(r.Intn(1<<20)-1<<19))
	}
	for _, qt := range []ir.QType{ir.QUint8, ir.QInt8, ir.QUint16, ir.QInt16, ir.QInt32} {
		for _, zp := range []int32{0, 3, -128, 255} {
			lo, hi := qt.Range()
			if zp < lo || zp > hi {
				continue
			}
			slope := []float32{1, 0.5, 1e-8, 1e3, 0.0037, float32(math.Inf(1)), 0}
			ep := Epilogue{Act: ActRequant, Slope: slope, Min: float32(float64(lo) - float64(zp)), Max: float32(float64(hi) - float64(zp))}
			for c0 := 0; c0 < len(slope); c0++ {
				out := make([]float32, len(x))
				actSliceAt(&ep, x, out, c0)
				for i, v := range x {
					c := (c0 + i) % len(slope)
					want := ir.Requantize(float64(v), slope[c], zp, qt) - float32(zp)
					if out[i] != want && !(qt == ir.QInt32 && math.Abs(float64(out[i]-want)) <= math.Abs(float64(want))*1e-6) {
						t.Fatalf("%v zp %d: x %g · m %g = %g, want %g", qt, zp, v, slope[c], out[i], want)
					}
				}
			}
		}
	}
}

// TestGemmRequant: Set.Gemm with a fused requantization (the generated
// epi.Requant mode on amd64, Go after the kernel elsewhere) on integer
// operands, whose sums every kernel computes exactly, equals ir.Requantize
// of the exact sum, element for element: full and masked panels, k-pair
// panels, edge rows, column ranges, with bias and residual.
func TestGemmRequant(t *testing.T) {
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewSource(2))
		ints := func(n, lo, hi int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(lo + rng.Intn(hi-lo+1))
			}
			return v
		}
		ci := 0
		for _, m := range []int{1, 5, 13, 49} {
			for _, n := range []int{1, 7, 8, 16, 17, 33, 100} {
				for _, k := range []int{3, 17, 144} {
					ci++
					a, w, bias := ints(m*k, -128, 127), ints(n*k, -127, 127), ints(n, -5000, 5000)
					var r []float32
					if ci%3 == 0 {
						r = ints(m*n, -100, 100)
					}
					zp := int32(rng.Intn(256))
					ep := Epilogue{Act: ActRequant, Slope: make([]float32, n), Min: float32(-zp), Max: float32(255 - zp)}
					for c := range ep.Slope {
						ep.Slope[c] = []float32{0.0037, 1.0 / 64, 1e-8, 0.5, 1e3, 0.000731}[(c+ci)%6]
					}
					bp := make([]float32, s.PackedGemmSize(n, k))
					s.PackGemm(bp, w, n, k)
					n0 := 0
					if ci%4 == 1 && n > s.NR {
						n0 = s.NR
					}
					c := make([]float32, m*n)
					s.Gemm(m, n, k, a, k, bp, bias, r, n, c, n, n0, n, &ep)
					for i := 0; i < m; i++ {
						for j := n0; j < n; j++ {
							acc := int64(bias[j])
							for p := 0; p < k; p++ {
								acc += int64(a[i*k+p]) * int64(w[j*k+p])
							}
							if r != nil {
								acc += int64(r[i*n+j])
							}
							want := ir.Requantize(float64(acc), ep.Slope[j], zp, ir.QUint8) - float32(zp)
							if got := c[i*n+j]; got != want {
								t.Fatalf("m%d n%d k%d [%d:]: C[%d][%d] = %g, want %g (acc %d, m %g, zp %d)", m, n, k, n0, i, j, got, want, acc, ep.Slope[j], zp)
							}
						}
					}
				}
			}
		}
	})
}

// TestConvRequant: depthwise (3×3 and 5×5, strides 1 and 2, channel
// tails) and stem convolutions with a fused requantization, on integer
// operands whose sums every ISA computes exactly, give the generic set's
// output element for element (the generic set requantizes with
// actSlice, which TestRequantSlice checks against ir.Requantize).
func TestConvRequant(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	ints := func(n, lo, hi int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(lo + rng.Intn(hi-lo+1))
		}
		return v
	}
	ep := func(c int) Epilogue {
		e := Epilogue{Act: ActRequant, Slope: make([]float32, c), Min: -17, Max: 238}
		for i := range e.Slope {
			e.Slope[i] = []float32{0.0037, 1.0 / 64, 1e-8, 0.5, 1e3, 0.000731, 0.021}[i%7]
		}
		return e
	}
	gen, _ := ForISA(Generic)
	for _, isa := range Available()[1:] {
		s, _ := ForISA(isa)
		for _, c := range []int{8, 19, 32, 144} {
			for _, k := range []int{3, 5} {
				for _, st := range []int{1, 2} {
					h, pad := 13, k/2
					o := (h+2*pad-k)/st + 1
					p := DWParams{H: h, W: h, C: c, KH: k, KW: k, SH: st, SW: st, PadT: pad, PadL: pad, OH: o, OW: o, Ep: ep(c)}
					in, w, bias := ints(h*h*c, -128, 127), ints(c*k*k, -127, 127), ints(c, -3000, 3000)
					want, got := make([]float32, o*o*c), make([]float32, o*o*c)
					for _, run := range []struct {
						s   *Set
						out []float32
					}{{gen, want}, {s, got}} {
						wp := make([]float32, run.s.PackedDWSize(c, k, k))
						run.s.PackDW(wp, w, c, k, k)
						run.s.DWConv(&p, in, wp, bias, run.out, 0, o)
					}
					for i := range want {
						if got[i] != want[i] {
							t.Fatalf("%s dw %dx%d/s%d c%d: out[%d] = %g, generic %g", isa, k, k, st, c, i, got[i], want[i])
						}
					}
				}
			}
			// The stem: 3×3 stride 2 from 3 channels.
			p := ConvParams{H: 17, W: 17, Cin: 3, Cout: c, KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, PadT: 1, PadL: 1, OH: 9, OW: 9, Ep: ep(c)}
			in, w, bias := ints(17*17*3, -128, 127), ints(c*27, -127, 127), ints(c, -3000, 3000)
			want, got := make([]float32, 81*c), make([]float32, 81*c)
			for _, run := range []struct {
				s   *Set
				out []float32
			}{{gen, want}, {s, got}} {
				wp := make([]float32, run.s.PackedConvSize(&p))
				run.s.PackConv(wp, w, &p)
				run.s.Conv(&p, in, wp, bias, nil, run.out, make([]float32, run.s.ConvScratchSize(&p, 9)), 0, 9)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s stem c%d: out[%d] = %g, generic %g", isa, c, i, got[i], want[i])
				}
			}
		}
	}
}

// TestQuantizeQAdd: every ISA's Quantize and QAdd equal ir.Quantize and
// ir.QAdd on ties, range ends, NaN, ±Inf, scales 1e-8 to 1e3, zero points
// at the range ends, and lengths with vector tails.
func TestQuantizeQAdd(t *testing.T) {
	edge := []float32{0, 0.5, 1.5, 2.5, -0.5, -2.5, 127.5, -128.5, 255.5, 1e9, -1e9, 3, -7, 65535.5,
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-30, 0.4999999, 0.37, -0.0078125}
	for _, isa := range Available() {
		s, _ := ForISA(isa)
		for _, qt := range []ir.QType{ir.QUint8, ir.QInt8, ir.QUint16, ir.QInt16} {
			lo, hi := qt.Range()
			for _, zp := range []int32{lo, 3, hi} {
				if zp < lo || zp > hi {
					continue
				}
				for _, sc := range []float32{1, 1e-8, 1e3, 0.0078125, 0.37} {
					for _, n := range []int{1, 7, 17, 40} {
						x := make([]float32, n)
						a, b := make([]float32, n), make([]float32, n)
						for i := range x {
							x[i] = edge[(i*7+n)%len(edge)] * []float32{1, 0.01, 100}[i%3]
							a[i] = float32((i*37+n)%255 - 128)
							b[i] = float32((i*91)%255) - 100
						}
						y := make([]float32, n)
						s.Quantize(x, y, sc, float32(zp), float32(lo), float32(hi))
						for i, v := range x {
							if want := ir.Quantize(v, sc, zp, qt); y[i] != want {
								t.Fatalf("%s %v zp %d n %d: Quantize(%g / %g) = %g, want %g", isa, qt, zp, n, v, sc, y[i], want)
							}
						}
						as, bs, m := sc, float32(0.02), 1/sc
						s.QAdd(a, b, y, as, bs, m, float32(lo-zp), float32(hi-zp))
						for i := range a {
							if want := ir.QAdd(a[i], as, b[i], bs, m, zp, qt); y[i] != want {
								t.Fatalf("%s %v zp %d n %d: QAdd(%g·%g + %g·%g) = %g, want %g", isa, qt, zp, n, a[i], as, b[i], bs, y[i], want)
							}
						}
					}
				}
			}
		}
	}
}

// TestQAddU8: every ISA's QAddU8 equals ir.QAdd on the centred values
// for uint8 and int8 (stored +128) outputs, zero points at the range ends,
// scales 1e-8..1e3, lengths with and without a tail of whole vectors, in place.
func TestQAddU8(t *testing.T) {
	for _, isa := range Available() {
		s, _ := ForISA(isa)
		for _, qt := range []ir.QType{ir.QUint8, ir.QInt8} {
			lo, _ := qt.Range()
			for _, z := range [][3]int32{{0, 255, 0}, {255, 0, 255}, {3, 100, 128}} {
				for _, sc := range []float32{1, 1e-8, 1e3, 0.0078125, 0.37} {
					for _, n := range []int{1, 15, 16, 17, 40, 100} {
						a, b := make([]uint8, n), make([]uint8, n)
						for i := range a {
							a[i], b[i] = uint8(i*37+n), uint8(i*91+3*n)
						}
						zy := z[2] // the output's zero point byte; its type's zero point is zy + lo
						zp := zy + lo
						as, bs, m := sc, float32(0.02), 1/sc
						y := make([]uint8, n)
						s.QAddU8(a, b, y, as, bs, m, float32(-zy), float32(255-zy), z[0], z[1], zy)
						for i := range a {
							want := ir.QAdd(float32(int32(a[i])-z[0]), as, float32(int32(b[i])-z[1]), bs, m, zp, qt)
							if got := float32(int32(y[i]) - zy); got != want {
								t.Fatalf("%s %v z %v sc %g n %d: QAddU8(%d, %d) = %g (byte %d), want %g", isa, qt, z, sc, n, a[i], b[i], got, y[i], want)
							}
						}
						s.QAddU8(a, b, a, as, bs, m, float32(-zy), float32(255-zy), z[0], z[1], zy) // in place
						for i := range a {
							if a[i] != y[i] {
								t.Fatalf("%s: QAddU8 in place differs at %d", isa, i)
							}
						}
					}
				}
			}
		}
	}
}

// TestLUTBytes: every ISA's byte table lookup (VPERMI2B with AVX-512
// VBMI) equals indexing, every byte value, lengths around the 64-byte
// vectors, in place.
func TestLUTBytes(t *testing.T) {
	var table [256]byte
	for i := range table {
		table[i] = byte(i*167 + 13)
	}
	for _, isa := range Available() {
		s, _ := ForISA(isa)
		for _, n := range []int{1, 63, 64, 65, 256, 300} {
			in := make([]uint8, n)
			for i := range in {
				in[i] = uint8(i*31 + n)
			}
			out := make([]uint8, n+1)
			s.LUTBytes(in, out[:n], &table)
			for i, b := range in {
				if out[i] != table[b] {
					t.Fatalf("%s n %d: out[%d] = %d, table[%d] = %d", isa, n, i, out[i], b, table[b])
				}
			}
			if out[n] != 0 {
				t.Fatalf("%s n %d: wrote past the end", isa, n)
			}
			s.LUTBytes(in, in, &table)
			for i := range in {
				if in[i] != out[i] {
					t.Fatalf("%s n %d: in place differs at %d", isa, n, i)
				}
			}
		}
	}
}
