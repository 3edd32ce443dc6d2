package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

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
						pitches := []int{sh.c + 1, (sh.c + 31) &^ 15}
						if s.DWBandPitch != nil {
							pitches = append(pitches, s.DWBandPitch(&p))
						}
						dense := randSlice(rng, p.H*p.W*p.C)
						w, bias := randSlice(rng, p.C*k*k), randSlice(rng, p.C)
						for _, pitch := range pitches {
							q := p
							q.InPitch = pitch
							in := make([]float32, (p.H*p.W-1)*pitch+p.C)
							for i := range in {
								in[i] = float32(math.NaN())
							}
							for px := 0; px < p.H*p.W; px++ {
								copy(in[px*pitch:px*pitch+p.C], dense[px*p.C:(px+1)*p.C])
							}
							t.Run(fmt.Sprintf("%dx%dx%d_k%d_s%d_pad%d,%d_pitch%d", p.H, p.W, p.C, k, st, pad[0], pad[1], pitch), func(t *testing.T) {
								checkDWOut(t, &p, runDW(s, &q, in, w, bias), dense, w, bias)
								checkDWOut(t, &p, runDWWith(s.DWConvBand, "DWConvBand", s, &q, in, w, bias), dense, w, bias)
								if s.DWConvChannels != nil {
									checkDWOut(t, &p, runDWChannels(s, &q, in, w, bias), dense, w, bias)
								}
							})
						}
					}
				}
			}
		}
	})
}
