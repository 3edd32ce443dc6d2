package kernels

import (
	"math"
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// TestQConv: the int8 dense conv (the stem: 3×3 stride 2 on 3 channels
// stored 4 bytes a pixel) equals the int64 reference through
// ir.Requantize on every ISA, for output channels 1..40 (partial GEMM
// panels), widths 1..13 (tiles and single rows), heights 1..7, padding 0/1,
// zero points at the range ends, multipliers 1e-8..1e3; it writes nothing
// outside its rows or past the output.
func TestQConv(t *testing.T) {
	rng := rand.New(rand.NewSource(15))
	type shape struct{ cin, cout, k, s int }
	shapes := []shape{{3, 32, 3, 2}, {3, 16, 3, 2}, {3, 20, 3, 2}, {3, 1, 3, 2}, {3, 17, 3, 1}, {3, 45, 3, 2}, {3, 64, 3, 1}, {5, 40, 3, 2}, {1, 33, 1, 1}}
	for _, isa := range Available() {
		set, _ := ForISA(isa)
		for si, sh := range shapes {
			for _, wd := range []int{1, 2, 7, 13} {
				for hi, h := range []int{1, 3, 7} {
					zi := (si + wd + hi) % 3
					zp := [][2]int32{{0, 255}, {255, 0}, {128, 7}}[zi]
					pad := min(sh.k/2, (wd+hi)%2+sh.k/2)
					if h+2*pad < sh.k || wd+2*pad < sh.k {
						continue
					}
					p := &QConvParams{H: h, W: wd, Cin: sh.cin, Cout: sh.cout, KH: sh.k, KW: sh.k, SH: sh.s, SW: sh.s, PadT: pad, PadL: pad,
						OH: (h+2*pad-sh.k)/sh.s + 1, OW: (wd+2*pad-sh.k)/sh.s + 1,
						InStride: (sh.cin + 3) &^ 3, OutStride: (sh.cout+3)&^3 + 4*(zi%2), XZP: zp[0], YZP: zp[1]}
					in := make([]byte, p.H*p.W*p.InStride)
					for i := range in {
						in[i] = byte(rng.Intn(256))
						if rng.Intn(4) == 0 {
							in[i] = 255 * byte(rng.Intn(2))
						}
					}
					taps := p.KH * p.KW
					w := make([]int32, p.Cout*p.Cin*taps)
					for i := range w {
						w[i] = int32(rng.Intn(256) - 128)
					}
					bias := make([]int32, p.Cout)
					mult := make([]float32, p.Cout)
					for o := range bias {
						bias[o] = int32(rng.Intn(1<<22) - 1<<21)
						mult[o] = float32(math.Pow(10, -8+11*rng.Float64()))
						if o%3 == 1 {
							mult[o] = float32(1 / (256 + 512*rng.Float64()))
						}
					}
					wp := make([]byte, set.PackedQConvSize(p))
					if err := set.PackQConv(wp, w, bias, mult, p); err != nil {
						t.Fatal(err)
					}
					n := p.OH * p.OW * p.OutStride
					buf := make([]byte, n+64)
					for i := range buf {
						buf[i] = 0xA5
					}
					out := buf[:n:n]
					scratch := make([]byte, set.QConvScratchSize(p))
					split := p.OH / 2
					set.QConv(p, in, wp, out, scratch, 0, split)
					for i := split * p.OW * p.OutStride; i < len(buf); i++ {
						if buf[i] != 0xA5 {
							t.Fatalf("%s %+v: rows [0, %d) wrote byte %d", isa, *p, split, i)
						}
					}
					set.QConv(p, in, wp, out, scratch, split, p.OH)
					for i := n; i < len(buf); i++ {
						if buf[i] != 0xA5 {
							t.Fatalf("%s %+v: wrote past the output", isa, *p)
						}
					}
					for oy := 0; oy < p.OH; oy++ {
						for ox := 0; ox < p.OW; ox++ {
							for o := 0; o < p.Cout; o++ {
								acc := int64(bias[o])
								for ci := 0; ci < p.Cin; ci++ {
									for kh := 0; kh < p.KH; kh++ {
										for kw := 0; kw < p.KW; kw++ {
											iy, ix := oy*p.SH-p.PadT+kh, ox*p.SW-p.PadL+kw
											if iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
												acc += (int64(in[(iy*p.W+ix)*p.InStride+ci]) - int64(p.XZP)) * int64(w[((o*p.Cin+ci)*p.KH+kh)*p.KW+kw])
											}
										}
									}
								}
								want := byte(ir.Requantize(float64(acc), mult[o], p.YZP, ir.QUint8))
								if got := out[(oy*p.OW+ox)*p.OutStride+o]; got != want {
									t.Fatalf("%s %+v: y[%d][%d][%d] = %d, want %d", isa, *p, oy, ox, o, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestQInt8NoAlloc: QDWConv and QConv do not allocate (plans run with
// zero allocations per run).
func TestQInt8NoAlloc(t *testing.T) {
	rng := rand.New(rand.NewSource(17))
	for _, ps := range qdwPaths(t) {
		if ps.noVNNI {
			continue
		}
		s := ps.set
		p := &QDWParams{H: 9, W: 9, C: 40, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 9, OW: 9, InStride: 40, OutStride: 40, XZP: 3, YZP: 4}
		in, w, bias, mult := qdwCase(rng, p)
		wp := make([]byte, s.PackedQDWSize(p.C, 3, 3))
		if err := s.PackQDW(wp, w, bias, mult, p.XZP, p.C, 3, 3); err != nil {
			t.Fatal(err)
		}
		out, scratch := make([]byte, 9*9*40), make([]byte, s.QDWScratchSize(p))
		if n := testing.AllocsPerRun(5, func() { s.QDWConv(p, in, wp, out, scratch, 0, p.OH) }); n != 0 {
			t.Errorf("%s: QDWConv allocates %v times", ps.name, n)
		}
		cp := &QConvParams{H: 9, W: 9, Cin: 3, Cout: 16, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OH: 5, OW: 5, InStride: 4, OutStride: 16, XZP: 3, YZP: 4}
		cw := make([]int32, 16*27)
		cwp := make([]byte, s.PackedQConvSize(cp))
		if err := s.PackQConv(cwp, cw, nil, mult[:16], cp); err != nil {
			t.Fatal(err)
		}
		cout, cscratch := make([]byte, 5*5*16), make([]byte, s.QConvScratchSize(cp))
		if n := testing.AllocsPerRun(5, func() { s.QConv(cp, in, cwp, cout, cscratch, 0, cp.OH) }); n != 0 {
			t.Errorf("%s: QConv allocates %v times", ps.name, n)
		}
	}
}
