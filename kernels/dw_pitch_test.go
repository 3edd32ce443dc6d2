package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDWConvInputPitch: DWConv, DWConvBand and DWConvChannels on an input
// whose pixels lie InPitch floats apart (a fused block's band: see
// DWParams.InPitch) give the reference's outputs on the dense input, on
// every ISA: pitches of one float more (pixels no longer whole vectors
// apart), a line more, and the one DWBandPitch chooses; channel counts
// with and without tails, 3×3 and 5×5 (generated kernels, rows kernel
// included: the 256-channel rows need a pitch to take it) and 7×7 (Go),
// strides 1 and 2, and NaN in the floats between pixels, which a kernel
// reading them would carry into its outputs.
func TestDWConvInputPitch(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(31, 32))
		n := 0
		for _, sh := range []struct{ h, w, c int }{{5, 7, 1}, {6, 9, 7}, {7, 18, 16}, {9, 33, 17}, {5, 40, 64}, {6, 20, 256}, {1, 21, 48}} {
			for _, k := range []int{3, 5, 7} {
				for _, st := range []int{1, 2} {
					p, ok := dwShape(sh.h, sh.w, sh.c, k, st, k/2, k/2, dwTestActs[n%len(dwTestActs)])
					n++
					if !ok {
						continue
					}
					checkDWPitches(t, s, rng, &p, fmt.Sprintf("%dx%dx%d_k%d_s%d", p.H, p.W, p.C, k, st))
				}
			}
		}
	})
}

// TestDWConvInputPitchPads is TestDWConvInputPitch on the pads it leaves
// out: none ("valid": every row full), top/left only and bottom/right only
// (TF's "same" at stride 2, rows cut on one side), and pads up to the
// kernel less one, on odd widths and a one-row image, so that every
// border path (cut rows, border columns, columns with no tap inside)
// steps the input at the pitch.
func TestDWConvInputPitchPads(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewPCG(33, 34))
		n := 0
		for _, sh := range []struct{ h, w, c int }{{7, 9, 16}, {6, 11, 33}, {1, 13, 32}, {5, 24, 256}} {
			for _, k := range []int{3, 5} {
				for _, st := range []int{1, 2} {
					for _, pad := range [][2]int{{0, 0}, {0, k - 1}, {k - 1, 0}, {1, 0}, {k - 1, k - 1}} {
						p, ok := dwShape(sh.h, sh.w, sh.c, k, st, pad[0], pad[1], dwTestActs[n%len(dwTestActs)])
						n++
						if !ok {
							continue
						}
						checkDWPitches(t, s, rng, &p, fmt.Sprintf("%dx%dx%d_k%d_s%d_pad%d,%d", p.H, p.W, p.C, k, st, pad[0], pad[1]))
					}
				}
			}
		}
	})
}

// checkDWPitches runs DWConv, DWConvBand and DWConvChannels on depthwise p
// with its input at pitches of one float more, a line more and the one
// DWBandPitch chooses (NaN between the pixels) and checks each against
// the reference on the dense input.
func checkDWPitches(t *testing.T, s *Set, rng *rand.Rand, p *DWParams, name string) {
	t.Helper()
	k := p.KH
	pitches := []int{p.C + 1, (p.C + 31) &^ 15}
	if s.DWBandPitch != nil {
		pitches = append(pitches, s.DWBandPitch(p))
	}
	dense := randSlice(rng, p.H*p.W*p.C)
	w, bias := randSlice(rng, p.C*k*k), randSlice(rng, p.C)
	for _, pitch := range pitches {
		q := *p
		q.InPitch = pitch
		in := make([]float32, (p.H*p.W-1)*pitch+p.C)
		for i := range in {
			in[i] = float32(math.NaN())
		}
		for px := 0; px < p.H*p.W; px++ {
			copy(in[px*pitch:px*pitch+p.C], dense[px*p.C:(px+1)*p.C])
		}
		t.Run(fmt.Sprintf("%s_pitch%d", name, pitch), func(t *testing.T) {
			checkDWOut(t, p, runDW(s, &q, in, w, bias), dense, w, bias)
			checkDWOut(t, p, runDWWith(s.DWConvBand, "DWConvBand", s, &q, in, w, bias), dense, w, bias)
			if s.DWConvChannels != nil {
				checkDWOut(t, p, runDWChannels(s, &q, in, w, bias), dense, w, bias)
			}
		})
	}
}

// TestDWBandPitch: where there is a DWBandPitch, its pitch is at least the
// channel count, and for the power-of-two channel counts whose rows alias
// in L1 (MobileNetV1's 56×56×128, 28×28×256) it is padded.
func TestDWBandPitch(t *testing.T) {
	eachISADW(t, func(t *testing.T, s *Set) {
		if s.DWBandPitch == nil {
			t.Skip("no band pitch on", s.ISA)
		}
		for _, sh := range []struct{ hw, c, st int }{{56, 128, 1}, {56, 128, 2}, {28, 256, 1}, {28, 256, 2}, {14, 512, 1}, {112, 32, 1}, {56, 144, 1}, {7, 17, 1}} {
			p, _ := dwShape(sh.hw, sh.hw, sh.c, 3, sh.st, 1, 1, Epilogue{})
			pitch := s.DWBandPitch(&p)
			if pitch < p.C {
				t.Errorf("%dx%dx%d s%d: pitch %d < channels", sh.hw, sh.hw, sh.c, sh.st, pitch)
			}
			if sh.c >= 128 && sh.c&(sh.c-1) == 0 && pitch == p.C {
				t.Errorf("%dx%dx%d s%d: pitch %d not padded", sh.hw, sh.hw, sh.c, sh.st, pitch)
			}
		}
	})
}
