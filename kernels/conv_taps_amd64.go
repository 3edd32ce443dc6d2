//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"github.com/mnc-go/mnc/asm"
	"github.com/mnc-go/mnc/internal/epi"
)

// Implicit-GEMM dense convolution: the GEMM kernels read the pixels'
// windows straight from the NHWC input, no im2col copy. With dilation 1
// along W, kernel row kh of output pixel ox is KW·Cin contiguous input
// floats, and the next pixel's is SW·Cin floats on: for one output row,
// kernel row kh is a GEMM whose A is the input itself (lda = SW·Cin,
// k = KW·Cin) and whose B is rows kh·KW·Cin… of the im2col conv's packed
// weights (same packing: PackConv is im2col's). The KH kernel rows are KH
// GEMM calls per panel, chained through C: the first adds the bias (and
// the conv's residual), the later ones add C itself as their residual, the
// last applies the activation. Only the pixels whose window is inside the
// image run so; the others (padding) go through im2col as before, in runs
// that continue across output rows (a row's right edge and the next row's
// left edge are adjacent in the output).
//
// im2col wrote and re-read 4·KH·KW·Cin bytes per output pixel: V4-Small's
// FusedIB 3×3 stride-2 convs (K = 288, N = 32 and 96) spent a quarter of
// their time on it. C round trips instead cost 2·(KH−1) loads and stores
// of a tile row per KH·KW·Cin FMAs.

// convTapsUse reports whether p runs as an implicit GEMM on panels of nr
// columns: a dense conv with a window (not 1×1), W dilation 1, at least 8
// input channels (the stem's 3 have their own kernels: a 9-float k per
// call would make the C round trips dominate), kernel rows that split
// the packed weights on whole k pairs when the last panel is packed in
// pairs (8 columns or fewer), and one row's edge pixels within an im2col
// chunk.
func convTapsUse(p *ConvParams, nr int) bool {
	if p.KH*p.KW == 1 || p.DW != 1 || p.Cin < 8 || convIsPointwise(p) {
		return false
	}
	lo, hi := interiorCols(p.W, p.KW, p.SW, p.PadL, p.OW)
	if p.OW-(hi-lo) > convChunkPixels(p) {
		return false
	}
	j0 := (p.Cout - 1) / nr * nr
	return p.KW*p.Cin%2 == 0 || !gemmPairPanel(j0, p.Cout)
}

// convTapsScratch: an im2col chunk and its outputs (the edge pixels'
// results wait there while the interior is computed).
func convTapsScratch(p *ConvParams, rows int) int {
	return min(rows*p.OW, convChunkPixels(p)) * (p.KH*p.KW*p.Cin + p.Cout)
}

func fillConvTapsAMD64(s *Set) {
	var nr int
	switch s.ISA {
	case AVX2:
		nr = avx2NR
	case AVX512:
		nr = avx512NR
	default:
		return
	}
	isa, twoFMA := s.ISA, gemmTwoFMA()
	layerConv(s, func(p *ConvParams) bool { return convTapsUse(p, nr) }, convTapsScratch,
		func(p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
			convTaps(s, isa, twoFMA, nr, p, in, wp, bias, r, out, scratch, oy0, oy1)
		})
}

// convTapsBlockBytes bounds the outputs of one run of chained calls, so
// that they stay in L1/L2 from one kernel row to the next.
const convTapsBlockBytes = 32 << 10

func convTaps(s *Set, isa ISA, twoFMA bool, nr int, p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
	k := p.KH * p.KW * p.Cin
	checkConvArgs(p, len(in), len(wp), s.PackedGemmSize(p.Cout, k), bias, r, len(out), oy0, oy1)
	if oy0 == oy1 {
		return
	}
	if need := convTapsScratch(p, oy1-oy0); len(scratch) < need {
		panic(convScratchMsg(p, len(scratch), need))
	}
	var prm EpParams
	mode, post := p.Ep.params(&prm, true)
	oxLo, oxHi := interiorCols(p.W, p.KW, p.SW, p.PadL, p.OW)
	inside := func(oy int) bool {
		iy := oy*p.SH - p.PadT
		return iy >= 0 && iy+(p.KH-1)*p.DH < p.H && oxLo < oxHi
	}
	// When an output row's pixels continue the previous row's in the
	// input (SH·W = SW·OW: "same" stride 1, stride 2 on even widths), the
	// pixel addresses are linear across rows: one run of calls covers
	// several rows, computing their edge pixels wrongly (windows wrapped
	// to the neighbouring row), which the im2col results then overwrite.
	linear := p.SH*p.W == p.SW*p.OW
	chunk := min((oy1-oy0)*p.OW, convChunkPixels(p)) // as convTapsScratch
	edges := p.OW - (oxHi - oxLo)
	mb := max(24, convTapsBlockBytes/(4*p.Cout)/12*12)
	a, cb := scratch[:chunk*k], scratch[chunk*k:][:chunk*p.Cout]
	for oy := oy0; oy < oy1; {
		if !inside(oy) {
			y1 := oy + 1
			for y1 < oy1 && !inside(y1) {
				y1++
			}
			im2colGemm(s, p, in, wp, bias, r, out, scratch, oy*p.OW, y1*p.OW)
			oy = y1
			continue
		}
		// Rows [oy, y1): inside, their edge pixels within a chunk.
		y1 := oy + 1
		for y1 < oy1 && inside(y1) && (y1-oy+1)*edges <= chunk {
			y1++
		}
		// The edge pixels first (the interior's calls may overwrite them,
		// and the residual with them when it is the output itself).
		n := 0
		for y := oy; y < y1; y++ {
			for ox := 0; ox < p.OW; ox++ {
				if ox == oxLo {
					ox = oxHi - 1
					continue
				}
				im2colPixel(p, in, y, ox, a[n*k:(n+1)*k])
				if r != nil {
					copy(cb[n*p.Cout:(n+1)*p.Cout], r[(y*p.OW+ox)*p.Cout:])
				}
				n++
			}
		}
		if n > 0 {
			var rc []float32
			if r != nil {
				rc = cb
			}
			s.Gemm(n, p.Cout, k, a, k, wp, bias, rc, p.Cout, cb, p.Cout, 0, p.Cout, &p.Ep)
		}
		run := func(px0, px1 int) {
			for q := px0; q < px1; q += mb {
				convTapsRun(isa, twoFMA, nr, p, in, wp, bias, r, out, q/p.OW, q%p.OW, min(mb, px1-q), &prm, mode, post)
			}
		}
		if linear {
			run(oy*p.OW+oxLo, (y1-1)*p.OW+oxHi)
		} else {
			for y := oy; y < y1; y++ {
				run(y*p.OW+oxLo, y*p.OW+oxHi)
			}
		}
		n = 0
		for y := oy; y < y1; y++ {
			for ox := 0; ox < p.OW; ox++ {
				if ox == oxLo {
					ox = oxHi - 1
					continue
				}
				copy(out[(y*p.OW+ox)*p.Cout:][:p.Cout], cb[n*p.Cout:])
				n++
			}
		}
		oy = y1
	}
}

// convTapsRun computes m output pixels from (oy, ox) on, consecutive in
// the output, whose input windows are KH runs of KW·Cin floats SW·Cin
// apart from one pixel to the next (within a row; across rows too when
// the caller checked the addressing is linear), as KH chained GEMM calls
// per panel.
func convTapsRun(isa ISA, twoFMA bool, nr int, p *ConvParams, in, wp, bias, r, out []float32, oy, ox, m int, prm *EpParams, mode int, post bool) {
	k, kseg, lda := p.KH*p.KW*p.Cin, p.KW*p.Cin, p.SW*p.Cin
	px := oy*p.OW + ox
	a0 := ((oy*p.SH-p.PadT)*p.W + ox*p.SW - p.PadL) * p.Cin
	// The kernels read rows a0 + i·lda … + kseg − 1 of every kernel row:
	// inside in, as the caller checked; this bounds check makes it sure.
	_ = in[a0+(p.KH-1)*p.DH*p.W*p.Cin+(m-1)*lda+kseg-1]
	// One call per panel accumulates all KH kernel rows in registers
	// (ConvTaps*); pair-packed panels (8 columns or fewer), and kernels
	// taller than the offsets array, chain a plain call per kernel row.
	var offs [16]int64
	chained := p.KH > len(offs)
	if !chained {
		for t := 0; t < p.KH; t++ {
			offs[t] = int64(4 * t * p.DH * p.W * p.Cin)
		}
		for j0 := 0; j0 < p.Cout; j0 += nr {
			if gemmPairPanel(j0, p.Cout) {
				continue
			}
			cols := min(nr, p.Cout-j0)
			var rp *float32
			if r != nil {
				rp = &r[px*p.Cout+j0]
			}
			biasp := &gemmZeroBias[0]
			if bias != nil {
				biasp = &bias[j0]
			}
			if mode == epi.SlopeC || mode == epi.Requant {
				prm.Slopes = &p.Ep.Slope[j0]
			}
			b := unsafe.SliceData(wp[j0*k:])
			if isa == AVX512 {
				asm.ConvTaps12x32AVX512Masked(m, kseg, p.KH, &offs[0], &in[a0], lda, b, biasp, rp, p.Cout, &out[px*p.Cout+j0], p.Cout, cols, &prm.A, mode)
			} else {
				asm.ConvTaps6x16AVX2FMAMasked(m, kseg, p.KH, &offs[0], &in[a0], lda, b, biasp, rp, p.Cout, &out[px*p.Cout+j0], p.Cout, cols, &prm.A, mode)
			}
		}
	}
	// Chained: kernel rows outer, so one input row's span stays in L1
	// while the panels sweep it.
	for t := 0; t < p.KH; t++ {
		a := &in[a0+t*p.DH*p.W*p.Cin]
		for j0 := 0; j0 < p.Cout; j0 += nr {
			pairs := gemmPairPanel(j0, p.Cout)
			if !chained && !pairs {
				continue
			}
			cols := min(nr, p.Cout-j0)
			width := nr // floats of the packed panel per k
			if pairs {
				width = 8
			}
			c := &out[px*p.Cout+j0]
			b := unsafe.SliceData(wp[j0*k+t*kseg*width:])
			biasp, rp, md := &gemmZeroBias[0], c, epi.None
			if t == 0 {
				rp = nil
				if bias != nil {
					biasp = &bias[j0]
				}
				if r != nil {
					rp = &r[px*p.Cout+j0]
				}
			}
			if t == p.KH-1 {
				md = mode
				if mode == epi.SlopeC || mode == epi.Requant {
					prm.Slopes = &p.Ep.Slope[j0]
				}
			}
			gemmPanel(isa, twoFMA, pairs, cols, m, kseg, a, lda, b, biasp, rp, p.Cout, c, p.Cout, &prm.A, md)
		}
	}
	if post {
		o := out[px*p.Cout : (px+m)*p.Cout]
		actSlice(&p.Ep, o, o)
	}
}
