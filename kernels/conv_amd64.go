//go:build amd64 && !purego

package kernels

import (
	"fmt"

	"github.com/mnc-go/mnc/asm"
	"github.com/mnc-go/mnc/internal/epi"
)

// The stem fast path: a 3×3 stride-2 dense conv on 3 input channels with
// at most 4 vectors of outputs. For each output row the three input rows
// it reads are staged, zero-padded, into scratch (3·(2·OW+1)·3 floats, ~2%
// of the row's arithmetic in copying), and one generated kernel call
// computes the whole row: padding never reaches the kernel. Other shapes
// use im2col + GEMM (conv_im2col.go), a stem with a residual the direct
// pure-Go conv on the stem's layout; the stem's weights are
// [KH][KW][Cin][Cout padded to whole vectors] followed by zeros that stand
// in for a nil bias.

func fillStemAMD64(s *Set, vl int) {
	stemVectors := func(p *ConvParams) int {
		if p.KH != 3 || p.KW != 3 || p.SH != 2 || p.SW != 2 || p.Cin != 3 || p.DH != 1 || p.DW != 1 {
			return 0
		}
		if nb := (p.Cout + vl - 1) / vl; nb <= 4 {
			return nb
		}
		return 0
	}
	// Other convs keep the im2col + GEMM functions already in s.
	packedSize, pack, scratchSize, conv := s.PackedConvSize, s.PackConv, s.ConvScratchSize, s.Conv
	s.PackedConvSize = func(p *ConvParams) int {
		if nb := stemVectors(p); nb > 0 {
			return 27*nb*vl + nb*vl // weights, then zeros standing in for a nil bias
		}
		return packedSize(p)
	}
	s.ConvScratchSize = func(p *ConvParams, rows int) int {
		if stemVectors(p) > 0 {
			return stemStripLen(p)
		}
		return scratchSize(p, rows)
	}
	s.PackConv = func(dst, w []float32, p *ConvParams) {
		if nb := stemVectors(p); nb > 0 {
			clear(dst[:27*nb*vl+nb*vl])
			packConvHWIOStride(dst, w, p, nb*vl)
			return
		}
		pack(dst, w, p)
	}
	s.Conv = func(p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
		nb := stemVectors(p)
		if nb == 0 {
			conv(p, in, wp, bias, r, out, scratch, oy0, oy1)
			return
		}
		stemConv(vl, nb, p, in, wp, bias, r, out, scratch, oy0, oy1)
	}
}

// stemStripLen is the scratch one output row needs: 3 input rows of
// 2·OW+1 pixels × 3 channels.
func stemStripLen(p *ConvParams) int { return 3 * (2*p.OW + 1) * 3 }

func stemConv(vl, nb int, p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
	wstride := nb * vl
	checkConvArgs(p, len(in), len(wp), 28*wstride, bias, r, len(out), oy0, oy1)
	if r != nil {
		for oy := oy0; oy < oy1; oy++ {
			convPixelsGeneric(p, in, wp, wstride, bias, r, out, oy, 0, p.OW)
		}
		return
	}
	if len(scratch) < stemStripLen(p) {
		panic(convScratchMsg(p, len(scratch), stemStripLen(p)))
	}
	if bias == nil {
		bias = wp[27*wstride:]
	}
	var prm EpParams
	mode, goAct := p.Ep.params(&prm, p.Ep.Act == ActPRelu) // the stem kernels implement SlopeC, not Requant
	if mode == epi.SlopeC {
		prm.Slopes = &p.Ep.Slope[0] // every pixel's channels start at 0
	}
	tail := p.Cout - (nb-1)*vl
	mask := &simdTailMask[0] // AVX2: the last vector's tail lanes, 1..8 of them
	if vl == 8 {
		mask = &simdTailMask[8-tail]
	}
	stripW := 2*p.OW + 1 // pixels per strip row
	strip := scratch[:3*stripW*3]
	call := func(src *float32, rs int, o []float32, npix int) {
		var ok bool
		if vl == 16 {
			ok = asm.StemConvAVX512(nb, src, rs, &wp[0], &bias[0], &o[0], p.Cout*4, npix, tail, &prm.A, mode, mask)
		} else {
			ok = asm.StemConvAVX2FMA(nb, src, rs, &wp[0], &bias[0], &o[0], p.Cout*4, npix, tail, &prm.A, mode, mask)
		}
		if !ok {
			panic(fmt.Sprintf("kernels: no generated stem kernel for %d vectors", nb))
		}
	}
	// Pixels [oxLo, oxHi) of a row whose three input rows are inside read
	// the input in place (a pixel's window is 9 contiguous floats of each
	// row, the next pixel's 2 input pixels on); only the others are staged.
	oxLo, oxHi := interiorCols(p.W, 3, 2, p.PadL, p.OW)
	for oy := oy0; oy < oy1; oy++ {
		o := out[oy*p.OW*p.Cout : (oy+1)*p.OW*p.Cout]
		if iy := oy*2 - p.PadT; iy >= 0 && iy+3 <= p.H && oxLo < oxHi {
			call(&in[(iy*p.W+oxLo*2-p.PadL)*3], p.W*3*4, o[oxLo*p.Cout:], oxHi-oxLo)
			for _, ox := range [2][2]int{{0, oxLo}, {oxHi, p.OW}} {
				for x := ox[0]; x < ox[1]; x++ {
					// One pixel from a 3-pixel strip.
					for kh := 0; kh < 3; kh++ {
						stagePixels(strip[kh*9:(kh+1)*9], in, p, iy+kh, x*2-p.PadL)
					}
					call(&strip[0], 9*4, o[x*p.Cout:], 1)
				}
			}
		} else {
			for kh := 0; kh < 3; kh++ {
				stageRow(strip[kh*stripW*3:(kh+1)*stripW*3], in, p, oy*2-p.PadT+kh)
			}
			call(&strip[0], stripW*3*4, o, p.OW)
		}
		if goAct && !requantRows(vl, &p.Ep, o, o, p.Cout) {
			actSlice(&p.Ep, o, o)
		}
	}
}

// stagePixels fills dst (3 pixels × 3 channels) from input row iy, columns
// ix..ix+2, with zeros outside the image.
func stagePixels(dst, in []float32, p *ConvParams, iy, ix int) {
	clear(dst)
	if iy < 0 || iy >= p.H {
		return
	}
	for i := 0; i < 3; i++ {
		if x := ix + i; x >= 0 && x < p.W {
			copy(dst[i*3:i*3+3], in[(iy*p.W+x)*3:])
		}
	}
}

// stageRow fills dst (one strip row: pixels from input column -PadL on,
// 3 channels) from input row iy, with zeros outside the image.
func stageRow(dst, in []float32, p *ConvParams, iy int) {
	if iy < 0 || iy >= p.H {
		clear(dst)
		return
	}
	row := in[iy*p.W*3 : (iy+1)*p.W*3]
	lo := min(p.PadL, len(dst)/3) // strip pixels left of the image
	clear(dst[:lo*3])
	n := copy(dst[lo*3:], row)
	clear(dst[lo*3+n:])
}
