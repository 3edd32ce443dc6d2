//go:build arm64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// neonDWCase: a depthwise conv shape; OH/OW follow from the padding given
// for top/left and bottom/right.
type neonDWCase struct {
	h, w, c, k, s, padTL, padBR int
	kw, sw                      int // kernel width and horizontal stride when they differ from k, s
}

func (d neonDWCase) params(ep Epilogue) DWParams {
	kw, sw := d.k, d.s
	if d.kw > 0 {
		kw = d.kw
	}
	if d.sw > 0 {
		sw = d.sw
	}
	return DWParams{H: d.h, W: d.w, C: d.c, KH: d.k, KW: kw, SH: d.s, SW: sw, PadT: d.padTL, PadL: d.padTL,
		OH: (d.h+d.padTL+d.padBR-d.k)/d.s + 1, OW: (d.w+d.padTL+d.padBR-kw)/sw + 1, Ep: ep}
}

func (d neonDWCase) String() string {
	return fmt.Sprintf("%dx%dx%d_k%d,%d_s%d,%d_pad%d,%d", d.h, d.w, d.c, d.k, d.kw, d.s, d.sw, d.padTL, d.padBR)
}

// runNeonDW runs rows [oy0, oy1) and checks them against a float64
// reference from the unpacked weights, and every other row untouched.
func runNeonDW(t *testing.T, s *Set, d neonDWCase, ep Epilogue, in []float32, withBias bool, oy0, oy1 int, rng *rand.Rand) {
	t.Helper()
	p := d.params(ep)
	if in == nil {
		in = neonRandSlice(rng, p.H*p.W*p.C)
	}
	w := neonRandSlice(rng, p.C*p.KH*p.KW)
	var bias []float32
	if withBias {
		bias = neonRandSlice(rng, p.C)
	}
	wp := make([]float32, s.PackedDWSize(p.C, p.KH, p.KW))
	s.PackDW(wp, w, p.C, p.KH, p.KW)
	out := neonFilled(p.OH * p.OW * p.C)
	s.DWConv(&p, in, wp, bias, out, oy0, oy1)
	bad := 0
	for oy := 0; oy < p.OH; oy++ {
		for ox := 0; ox < p.OW; ox++ {
			for ch := 0; ch < p.C; ch++ {
				got := out[(oy*p.OW+ox)*p.C+ch]
				if oy < oy0 || oy >= oy1 {
					if got != neonSentinel {
						t.Fatalf("%v: row %d outside [%d,%d) written", d, oy, oy0, oy1)
					}
					continue
				}
				sum, abs := 0.0, 0.0
				for ky := 0; ky < p.KH; ky++ {
					for kx := 0; kx < p.KW; kx++ {
						iy, ix := oy*p.SH-p.PadT+ky, ox*p.SW-p.PadL+kx
						if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
							continue
						}
						v := float64(in[(iy*p.W+ix)*p.C+ch]) * float64(w[(ch*p.KH+ky)*p.KW+kx])
						sum += v
						abs += math.Abs(v)
					}
				}
				if bias != nil {
					sum += float64(bias[ch])
					abs += math.Abs(float64(bias[ch]))
				}
				want := neonRefAct(&ep, sum)
				if !neonClose(got, want, neonTol(abs, p.KH*p.KW+1)) {
					t.Errorf("%v %v: out[%d][%d][%d] = %v, want %v", d, ep.Act, oy, ox, ch, got, want)
					if bad++; bad > 10 {
						t.Fatal("too many errors")
					}
				}
			}
		}
	}
}

// TestNeonDWConv covers the four generated interior kernels (3×3/5×5,
// stride 1/2) and the edge-only path (7×7, 1×1 kernels, asymmetric
// padding), on 1×1 and 7×7 images, widths that exercise every pixel block
// size, channel counts that are not multiples of 4 (Go tail) or below 4,
// every activation and bias on/off.
func TestNeonDWConv(t *testing.T) {
	s := neonSet(t)
	rng := rand.New(rand.NewSource(3))
	cases := []neonDWCase{
		{h: 7, w: 7, c: 8, k: 3, s: 1, padTL: 1, padBR: 1},
		{h: 5, w: 21, c: 6, k: 3, s: 1, padTL: 1, padBR: 1},
		{h: 1, w: 1, c: 5, k: 3, s: 1, padTL: 1, padBR: 1},
		{h: 7, w: 7, c: 12, k: 3, s: 2, padTL: 1, padBR: 1},
		{h: 6, w: 26, c: 4, k: 3, s: 2, padTL: 0, padBR: 1},
		{h: 7, w: 7, c: 9, k: 5, s: 1, padTL: 2, padBR: 2},
		{h: 6, w: 19, c: 4, k: 5, s: 1, padTL: 2, padBR: 2},
		{h: 9, w: 29, c: 7, k: 5, s: 2, padTL: 2, padBR: 2},
		{h: 2, w: 2, c: 3, k: 5, s: 2, padTL: 2, padBR: 2},
		{h: 8, w: 8, c: 10, k: 7, s: 1, padTL: 3, padBR: 3},
		{h: 5, w: 5, c: 8, k: 1, s: 1},
		{h: 8, w: 9, c: 8, k: 3, s: 1, padTL: 0, padBR: 2},
		// Long interior runs (every block size) with several channel groups.
		{h: 4, w: 20, c: 12, k: 3, s: 1, padTL: 1, padBR: 1},
		{h: 5, w: 25, c: 8, k: 3, s: 2, padTL: 1, padBR: 1},
		{h: 6, w: 21, c: 9, k: 5, s: 1, padTL: 2, padBR: 2},
		{h: 7, w: 31, c: 8, k: 5, s: 2, padTL: 2, padBR: 2},
	}
	for _, d := range cases {
		for i, ep := range neonTestEpilogues() {
			p := d.params(ep)
			runNeonDW(t, s, d, ep, nil, i%2 == 0, 0, p.OH, rng)
		}
	}
	// A middle row range (as a worker would get).
	d := neonDWCase{h: 9, w: 11, c: 8, k: 3, s: 1, padTL: 1, padBR: 1}
	runNeonDW(t, s, d, Epilogue{Act: ActClip, Min: 0, Max: 6}, nil, true, 3, 6, rng)
}

// TestNeonDWConvNaNInf: NaN and ±Inf inputs reach exactly the outputs whose
// windows contain them, and stay NaN through ReLU6 / hard-swish.
func TestNeonDWConvNaNInf(t *testing.T) {
	s := neonSet(t)
	rng := rand.New(rand.NewSource(4))
	for _, d := range []neonDWCase{
		{h: 7, w: 13, c: 8, k: 3, s: 1, padTL: 1, padBR: 1},
		{h: 7, w: 13, c: 8, k: 5, s: 2, padTL: 2, padBR: 2},
	} {
		in := neonRandSlice(rng, d.h*d.w*d.c)
		in[(3*d.w+6)*d.c+1] = float32(math.NaN())
		in[(0*d.w+0)*d.c+5] = float32(math.Inf(1))
		in[(6*d.w+12)*d.c+2] = float32(math.Inf(-1))
		for _, ep := range neonTestEpilogues() {
			p := d.params(ep)
			runNeonDW(t, s, d, ep, in, true, 0, p.OH, rng)
		}
	}
}
