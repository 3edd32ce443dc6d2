package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// qdwPath is one int8 depthwise implementation to test: a Set, and for
// AVX-512 whether its VNNI kernels are switched off (the AVX2 kernels run
// instead, as on AVX-512 machines without VNNI).
type qdwPath struct {
	name   string
	set    *Set
	noVNNI bool
}

func qdwPaths(t *testing.T) []qdwPath {
	var ps []qdwPath
	for _, isa := range Available() {
		s, err := ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, qdwPath{isa.String(), s, false})
		if isa == AVX512 && HasVNNI() {
			ps = append(ps, qdwPath{"avx512-novnni", s, true})
		}
	}
	return ps
}

// qdwRef is the int64 reference: ir.Requantize of bias + Σ (x − xzp)·w
// over the taps inside the image.
func qdwRef(p *QDWParams, in []byte, w, bias []int32, mult []float32, oy, ox, c int) byte {
	acc := int64(bias[c])
	for kh := 0; kh < p.KH; kh++ {
		for kw := 0; kw < p.KW; kw++ {
			iy, ix := oy*p.SH-p.PadT+kh, ox*p.SW-p.PadL+kw
			if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
				continue
			}
			acc += (int64(in[(iy*p.W+ix)*p.InStride+c]) - int64(p.XZP)) * int64(w[(c*p.KH+kh)*p.KW+kw])
		}
	}
	return byte(ir.Requantize(float64(acc), mult[c], p.YZP, ir.QUint8))
}

// qdwCase makes random operands; extremes (0/255 inputs, −128/127
// weights) are frequent, multipliers span 1e-8..1e3.
func qdwCase(rng *rand.Rand, p *QDWParams) (in []byte, w, bias []int32, mult []float32) {
	in = make([]byte, p.H*p.W*p.InStride)
	for i := range in {
		switch rng.Intn(5) {
		case 0:
			in[i] = 0
		case 1:
			in[i] = 255
		default:
			in[i] = byte(rng.Intn(256))
		}
	}
	taps := p.KH * p.KW
	w = make([]int32, p.C*taps)
	for i := range w {
		switch rng.Intn(5) {
		case 0:
			w[i] = -128
		case 1:
			w[i] = 127
		default:
			w[i] = int32(rng.Intn(256) - 128)
		}
	}
	bias = make([]int32, p.C)
	mult = make([]float32, p.C)
	for c := range bias {
		bias[c] = int32(rng.Intn(1<<21) - 1<<20)
		if c%7 == 3 {
			bias[c] = 1<<30 + int32(rng.Intn(1000)) // large, still safe
		}
		mult[c] = float32(math.Pow(10, -8+11*rng.Float64()))
		if c%5 == 1 {
			mult[c] = float32(1 / (64 + 64*rng.Float64())) // about the output range: few saturated
		}
	}
	return
}

// runQDW runs one path on rows [0, split) then [split, OH), checking that
// the first call wrote no later row, and that nothing past the output was
// written; it returns the output.
func runQDW(t *testing.T, ps qdwPath, p *QDWParams, in []byte, w, bias []int32, mult []float32, split int) []byte {
	t.Helper()
	s := ps.set
	if ps.noVNNI {
		defer func(v bool) { qdwNoVNNI = v }(qdwNoVNNI)
		qdwNoVNNI = true
	}
	wp := make([]byte, s.PackedQDWSize(p.C, p.KH, p.KW))
	if err := s.PackQDW(wp, w, bias, mult, p.XZP, p.C, p.KH, p.KW); err != nil {
		t.Fatalf("%s: %v", ps.name, err)
	}

	n := p.OH * p.OW * p.OutStride
	const guard = 67
	buf := make([]byte, n+guard)
	for i := range buf {
		buf[i] = 0xA5
	}
	out := buf[:n:n]
	scratch := make([]byte, s.QDWScratchSize(p))
	s.QDWConv(p, in, wp, out, scratch, 0, split)
	for i := split * p.OW * p.OutStride; i < len(buf); i++ {
		if buf[i] != 0xA5 {
			t.Fatalf("%s %+v: rows [0, %d) wrote byte %d (row %d)", ps.name, *p, split, i, i/(p.OW*p.OutStride))
		}
	}
	s.QDWConv(p, in, wp, out, scratch, split, p.OH)
	for i := n; i < len(buf); i++ {
		if buf[i] != 0xA5 {
			t.Fatalf("%s %+v: wrote %d bytes past the output", ps.name, *p, i-n+1)
		}
	}
	return out
}

// TestQDWConv: every path (pure Go, AVX2, AVX-512 with and without VNNI)
// equals the int64 reference (ir.Requantize) on awkward shapes: channels
// 1..130 (tails of every block size), widths 1..13, heights 1..6, 3×3 and
// 5×5, strides 1 and 2, padding 0 and k/2, zero points at the range ends,
// padded pixel strides.
func TestQDWConv(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	paths := qdwPaths(t)
	chans := []int{1, 3, 13, 16, 17, 32, 40, 72, 100, 130}
	if testing.Short() {
		chans = []int{1, 13, 16, 32, 72}
	}
	for _, k := range []int{3, 5} {
		for _, s := range []int{1, 2} {
			for _, c := range chans {
				for _, wd := range []int{1, 2, 7, 8, 13} {
					for hi, h := range []int{1, 2, 6} {
						for zi, zp := range [][2]int32{{0, 255}, {255, 0}, {128, 3}} {
							pad := k / 2
							if (wd+hi+zi)%4 == 3 && h >= k && wd >= k {
								pad = 0
							}
							p := &QDWParams{H: h, W: wd, C: c, KH: k, KW: k, SH: s, SW: s, PadT: pad, PadL: pad,
								OH: (h+2*pad-k)/s + 1, OW: (wd+2*pad-k)/s + 1,
								InStride: (c+3)&^3 + 4*(zi%2), OutStride: (c + 3) &^ 3, XZP: zp[0], YZP: zp[1]}
							in, w, bias, mult := qdwCase(rng, p)
							for _, ps := range paths {
								out := runQDW(t, ps, p, in, w, bias, mult, p.OH/2)
								for oy := 0; oy < p.OH; oy++ {
									for ox := 0; ox < p.OW; ox++ {
										for ch := 0; ch < c; ch++ {
											want := qdwRef(p, in, w, bias, mult, oy, ox, ch)
											if got := out[(oy*p.OW+ox)*p.OutStride+ch]; got != want {
												t.Fatalf("%s k%d s%d %+v: y[%d][%d][%d] = %d, want %d", ps.name, k, s, *p, oy, ox, ch, got, want)
											}
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestPackQDWErrors: operands the kernels cannot take exactly are refused.
func TestPackQDWErrors(t *testing.T) {
	s, _ := ForISA(Best())
	dst := make([]byte, s.PackedQDWSize(2, 3, 3))
	w := make([]int32, 18)
	mult := []float32{1, 1}
	if err := s.PackQDW(dst, w, nil, mult, 0, 2, 3, 3); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"weight 128": func() error {
			w2 := append([]int32(nil), w...)
			w2[4] = 128
			return s.PackQDW(dst, w2, nil, mult, 0, 2, 3, 3)
		},
		"NaN multiplier": func() error {
			return s.PackQDW(dst, w, nil, []float32{1, float32(math.NaN())}, 0, 2, 3, 3)
		},
		"Inf multiplier": func() error {
			return s.PackQDW(dst, w, nil, []float32{float32(math.Inf(-1)), 1}, 0, 2, 3, 3)
		},
		"bias overflow": func() error { return s.PackQDW(dst, w, []int32{math.MaxInt32, 0}, mult, 0, 2, 3, 3) },
		"short dst":     func() error { return s.PackQDW(dst[:10], w, nil, mult, 0, 2, 3, 3) },
		"zero point":    func() error { return s.PackQDW(dst, w, nil, mult, 256, 2, 3, 3) },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		} else if testing.Verbose() {
			fmt.Println(name, err)
		}
	}
}

// TestQDWGenericLayouts: the Go path reads every packed layout (a blob
// packed for VNNI or AVX2 runs on machines without them).
func TestQDWGenericLayouts(t *testing.T) {
	rng := rand.New(rand.NewSource(16))
	for _, l := range []int{qdwGroups, qdwVNNI, qdwPairs, qdwTaps, qdwNEON} {
		for _, k := range []int{3, 5} {
			if l == qdwPairs && k != 3 {
				continue
			}
			p := &QDWParams{H: 6, W: 5, C: 70, KH: k, KW: k, SH: 1, SW: 1, PadT: k / 2, PadL: k / 2, OH: 6, OW: 5,
				InStride: 72, OutStride: 72, XZP: 201, YZP: 9}
			in, w, bias, mult := qdwCase(rng, p)
			wp := make([]byte, qdwLayoutSize(l, p.C, k, k))
			if err := packQDWLayout(l, wp, w, bias, mult, p.XZP, p.C, k, k); err != nil {
				t.Fatal(err)
			}
			out := make([]byte, p.OH*p.OW*p.OutStride)
			qdwGeneric(l, p, in, wp, out, 0, p.OH)
			for oy := 0; oy < p.OH; oy++ {
				for ox := 0; ox < p.OW; ox++ {
					for c := 0; c < p.C; c++ {
						if got, want := out[(oy*p.OW+ox)*p.OutStride+c], qdwRef(p, in, w, bias, mult, oy, ox, c); got != want {
							t.Fatalf("layout %d k%d: y[%d][%d][%d] = %d, want %d", l, k, oy, ox, c, got, want)
						}
					}
				}
			}
		}
	}
}

// TestQDWConvAsymmetricPads: TensorFlow's "same" padding at stride 2 pads
// only the bottom/right (and 5×5 pads 1 top, 2 bottom); every path equals
// the reference.
func TestQDWConvAsymmetricPads(t *testing.T) {
	rng := rand.New(rand.NewSource(18))
	for _, ps := range qdwPaths(t) {
		for _, sh := range []struct{ k, s, pt, pb, hw, c int }{
			{3, 2, 0, 1, 8, 24}, {3, 2, 0, 1, 9, 70}, {2, 1, 0, 1, 5, 24}, {4, 2, 1, 2, 9, 40}, {5, 2, 1, 2, 8, 33}, {5, 1, 1, 3, 6, 64}, {3, 1, 0, 2, 5, 16}, {3, 2, 1, 0, 7, 8},
		} {
			o := (sh.hw+sh.pt+sh.pb-sh.k)/sh.s + 1
			p := &QDWParams{H: sh.hw, W: sh.hw + 1, C: sh.c, KH: sh.k, KW: sh.k, SH: sh.s, SW: sh.s, PadT: sh.pt, PadL: sh.pt,
				OH: o, OW: (sh.hw+1+sh.pt+sh.pb-sh.k)/sh.s + 1, InStride: (sh.c + 3) &^ 3, OutStride: (sh.c + 3) &^ 3, XZP: 77, YZP: 130}
			in, w, bias, mult := qdwCase(rng, p)
			out := runQDW(t, ps, p, in, w, bias, mult, 1)
			for oy := 0; oy < p.OH; oy++ {
				for ox := 0; ox < p.OW; ox++ {
					for c := 0; c < p.C; c++ {
						if got, want := out[(oy*p.OW+ox)*p.OutStride+c], qdwRef(p, in, w, bias, mult, oy, ox, c); got != want {
							t.Fatalf("%s %+v: y[%d][%d][%d] = %d, want %d", ps.name, *p, oy, ox, c, got, want)
						}
					}
				}
			}
		}
	}
}

// TestQDWAwkward: every path equals the int64 reference on every width
// 1..13 with channel counts around the vector blocks (1, 3, 4, 8, 12, 17,
// 40: the NEON kernels' 16/8/4 blocks and their tails), 3×3 and 5×5,
// strides 1, 2 and 3 (NEON: the shared-column kernels and the general
// one), symmetric, valid and TF-SAME (more padding bottom/right) padding,
// zero points at the range ends.
func TestQDWAwkward(t *testing.T) {
	rng := rand.New(rand.NewSource(15))
	paths := qdwPaths(t)
	chans := []int{1, 3, 4, 8, 12, 17, 40}
	n := 0
	for _, k := range []int{3, 5} {
		for _, s := range []int{1, 2, 3} {
			for wd := 1; wd <= 13; wd++ {
				n++
				c := chans[n%len(chans)]
				h := 1 + (n*5)%(k+2)
				var p *QDWParams
				switch mode := n % 3; {
				case mode == 1 && h >= k && wd >= k: // no padding
					p = &QDWParams{OH: (h-k)/s + 1, OW: (wd-k)/s + 1}
				case mode == 2: // TF SAME: the odd padding pixel at the bottom/right
					oh, ow := (h+s-1)/s, (wd+s-1)/s
					p = &QDWParams{OH: oh, OW: ow, PadT: max((oh-1)*s+k-h, 0) / 2, PadL: max((ow-1)*s+k-wd, 0) / 2}
				default:
					p = &QDWParams{PadT: k / 2, PadL: k / 2, OH: (h+2*(k/2)-k)/s + 1, OW: (wd+2*(k/2)-k)/s + 1}
				}
				p.H, p.W, p.C, p.KH, p.KW, p.SH, p.SW = h, wd, c, k, k, s, s
				p.InStride, p.OutStride = (c+3)&^3+4*(n%2), (c+3)&^3+4*(n/2%2)
				p.XZP, p.YZP = [4]int32{0, 255, 1, 254}[n%4], [4]int32{255, 0, 128, 3}[n/3%4]
				in, w, bias, mult := qdwCase(rng, p)
				for _, ps := range paths {
					out := runQDW(t, ps, p, in, w, bias, mult, p.OH/2)
					for oy := 0; oy < p.OH; oy++ {
						for ox := 0; ox < p.OW; ox++ {
							for ch := 0; ch < c; ch++ {
								want := qdwRef(p, in, w, bias, mult, oy, ox, ch)
								if got := out[(oy*p.OW+ox)*p.OutStride+ch]; got != want {
									t.Fatalf("%s %+v: y[%d][%d][%d] = %d, want %d", ps.name, *p, oy, ox, ch, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
}
