//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"github.com/mnc-go/mnc/asm"
	"github.com/mnc-go/mnc/internal/epi"
)

// Pixel-vector convolution (codegen/gemm/conv.go): a dense stride-1 conv
// with few output channels, computed with output pixels in the vector
// lanes. im2col + the NHWC GEMM puts output channels in the lanes: 24
// channels fill 24 of 32 (AVX-512), and the im2col copy writes every input
// KH·KW times. Here, per band of output rows, the input rows the band reads
// are copied once, transposed to [channel][row][padded column] (zeros for
// the padding), so every tap is a constant pixel offset; the kernel
// computes tiles of up to 12 output channels × 32 consecutive pixels of
// the padded rows (the pad columns' results are computed and dropped:
// (KW−1)·DW per row) into a [channel][pixel] band, which is transposed
// back into the NHWC output with the residual, and a Go-side activation
// where the kernels' epilogue has none (convPixUse says which convs).

// convPixBandBytes bounds the transposed input band of one call.
const convPixBandBytes = 384 << 10

// convPixUse reports whether p runs as a pixel-vector conv on vl-lane
// vectors: stride 1, not 1×1, output rows at least 16 times the kernel's
// reach (the pad columns' results are wasted), and output channels that
// leave lanes of the NHWC GEMM empty (AVX-512: not a multiple of 16, or at
// most 32, where im2col's copy is the larger cost; AVX2, 8 lanes: at most
// 16). Measured on the shapes of conv_pix_test.go's comments: PP-OCRv3's
// 3×3 96→24 at 80×120 3.6 → 2.7-2.9 ms, 40×60 0.80-0.90 → 0.73 ms; 48
// and 64 channels and small maps (10×15, 20×20) were as fast or faster
// with im2col.
func convPixUse(p *ConvParams, vl int) bool {
	reach := (p.KW - 1) * p.DW
	wp := p.OW + reach
	switch {
	case vl == 0 || p.SH != 1 || p.SW != 1 || p.KH*p.KW == 1 || p.PadL < 0 || p.PadT < 0 || p.PadL >= wp || 16*reach > wp:
		return false
	case vl == 16:
		return p.Cout <= 32 || p.Cout < 64 && p.Cout%16 != 0
	}
	return p.Cout <= 16
}

// convPixGeom is one band's layout: rows output rows, the padded row width
// wp, the transposed input's channel stride ld (rows + halo rows of wp
// pixels and a vector of slack) and the output band's channel stride ldc.
type convPixGeom struct {
	rows, wp, inRows, ld, npix int
}

func convPixBand(p *ConvParams, rows int) convPixGeom {
	wp := p.OW + (p.KW-1)*p.DW
	halo := (p.KH - 1) * p.DH
	r := max(1, convPixBandBytes/(4*p.Cin*wp)-halo)
	r = min(r, max(rows, 1))
	// The channel stride: a vector of slack, then whole cache lines, an odd
	// number of them, so consecutive channels' rows fall in different L1
	// sets (a stride of 4 KiB put the 40×60 rows of 96 channels in one set:
	// half the speed).
	ld := ((r+halo)*wp + 32 + 15) &^ 15
	if ld/16%2 == 0 {
		ld += 16
	}
	return convPixGeom{rows: r, wp: wp, inRows: r + halo, ld: ld, npix: (r-1)*wp + p.OW}
}

func convPixScratch(p *ConvParams, rows int) int {
	g := convPixBand(p, rows)
	return 16 + p.Cin*g.ld + p.Cout*g.npix
}

func fillConvPixAMD64(s *Set, vl int) {
	packedSize, pack := s.PackedConvSize, s.PackConv
	s.PackedConvSize = func(p *ConvParams) int {
		if convPixUse(p, vl) {
			return p.Cout*p.KH*p.KW*p.Cin + p.Cout // [Cout][KH][KW][Cin], then zeros for a nil bias
		}
		return packedSize(p)
	}
	s.PackConv = func(dst, w []float32, p *ConvParams) {
		if !convPixUse(p, vl) {
			pack(dst, w, p)
			return
		}
		k := p.KH * p.KW * p.Cin
		for co := 0; co < p.Cout; co++ {
			for ci := 0; ci < p.Cin; ci++ {
				for t := 0; t < p.KH*p.KW; t++ {
					dst[co*k+t*p.Cin+ci] = w[(co*p.Cin+ci)*p.KH*p.KW+t]
				}
			}
		}
		clear(dst[p.Cout*k : p.Cout*k+p.Cout])
	}
	layerConv(s, func(p *ConvParams) bool { return convPixUse(p, vl) }, convPixScratch,
		func(p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
			convPix(s, vl, p, in, wp, bias, r, out, scratch, oy0, oy1)
		})
}

func convPix(s *Set, vl int, p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
	k := p.KH * p.KW * p.Cin
	checkConvArgs(p, len(in), len(wp), p.Cout*k+p.Cout, bias, r, len(out), oy0, oy1)
	if oy0 == oy1 {
		return
	}
	if need := convPixScratch(p, oy1-oy0); len(scratch) < need {
		panic(convScratchMsg(p, len(scratch), need))
	}
	if bias == nil {
		bias = wp[p.Cout*k:]
	}
	g := convPixBand(p, oy1-oy0)
	var prm EpParams
	mode, post := p.Ep.params(&prm, false)
	if r != nil || post {
		mode = epi.None // residual, then the activation, after the transpose
	}
	// The transposed input starts 16 floats into scratch: a tap left of
	// the padded row (never: offsets are ≥ 0) would still stay inside.
	tin := scratch[16 : 16+p.Cin*g.ld]
	ob := scratch[16+p.Cin*g.ld:][:p.Cout*g.npix]
	var offs [64]int64
	taps := p.KH * p.KW
	offsAll := offs[:0]
	if taps > len(offs) {
		offsAll = make([]int64, 0, taps)
	}
	for kh := 0; kh < p.KH; kh++ {
		for kw := 0; kw < p.KW; kw++ {
			offsAll = append(offsAll, int64(4*(kh*p.DH*g.wp+kw*p.DW)))
		}
	}
	mr, width := 12, 32
	if vl == 8 {
		mr, width = 6, 16
	}
	for b0 := oy0; b0 < oy1; b0 += g.rows {
		rows := min(g.rows, oy1-b0)
		npix := (rows-1)*g.wp + p.OW
		convPixStage(p, in, tin, g, b0-p.PadT, rows+(p.KH-1)*p.DH)
		for j0 := 0; j0 < npix; j0 += width {
			cols := min(width, npix-j0)
			for c0 := 0; c0 < p.Cout; c0 += mr {
				m := min(mr, p.Cout-c0)
				a := unsafe.SliceData(wp[c0*k:])
				b := unsafe.SliceData(tin[j0:])
				c := unsafe.SliceData(ob[c0*g.npix+j0:])
				if vl == 16 {
					asm.ConvPix12x32AVX512(m, p.Cin, taps, &offsAll[0], a, k, b, 4*g.ld, &bias[c0], c, g.npix, cols, &prm.A, mode)
				} else {
					asm.ConvPix6x16AVX2FMA(m, p.Cin, taps, &offsAll[0], a, k, b, 4*g.ld, &bias[c0], c, g.npix, cols, &prm.A, mode)
				}
			}
		}
		// Back to NHWC: output row b0+y, column x is band pixel y·wp + x.
		o := out[b0*p.OW*p.Cout : (b0+rows)*p.OW*p.Cout]
		convPixUnstage(ob, g.npix, o, p.Cout, rows, p.OW, g.wp)
		switch {
		case r != nil:
			s.Add(o, r[b0*p.OW*p.Cout:(b0+rows)*p.OW*p.Cout], o, &p.Ep)
		case post:
			s.Activate(o, o, &p.Ep)
		}
	}
}

// convPixStage writes input rows iy0 … iy0+n−1 (zeros outside the image)
// transposed into t: channel ci, band row y, padded column x at
// t[ci·g.ld + y·g.wp + x], the image's column ix at x = PadL + ix.
func convPixStage(p *ConvParams, in, t []float32, g convPixGeom, iy0, n int) {
	cin, w, wp, ld := p.Cin, p.W, g.wp, g.ld
	wIn := min(w, wp-p.PadL) // image columns inside the padded row
	for ci := 0; ci < cin; ci++ {
		row := t[ci*ld : ci*ld+n*wp]
		for y := 0; y < n; y++ {
			iy := iy0 + y
			if iy < 0 || iy >= p.H {
				clear(row[y*wp : (y+1)*wp])
				continue
			}
			clear(row[y*wp : y*wp+p.PadL])
			clear(row[y*wp+p.PadL+wIn : (y+1)*wp])
		}
	}
	for y := 0; y < n; y++ {
		if iy := iy0 + y; iy >= 0 && iy < p.H {
			transposeF32(in[iy*w*cin:], cin, t[y*wp+p.PadL:], ld, wIn, cin)
		}
	}
}

// convPixUnstage writes the [channel][band pixel] results ob (channel
// stride ld) into the NHWC rows o (rows × ow pixels × cout).
func convPixUnstage(ob []float32, ld int, o []float32, cout, rows, ow, wp int) {
	for y := 0; y < rows; y++ {
		transposeF32(ob[y*wp:], ld, o[y*ow*cout:], cout, cout, ow)
	}
}

// transposeF32 sets dst[j·ldd + i] = src[i·lds + j] for i < rows, j < cols:
// 8×8 blocks in the generated kernel, the edges in Go.
func transposeF32(src []float32, lds int, dst []float32, ldd int, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	_ = src[(rows-1)*lds+cols-1]
	_ = dst[(cols-1)*ldd+rows-1]
	r8, c8 := rows&^7, cols&^7
	if r8 > 0 && c8 > 0 {
		asm.Transpose8x8AVX2FMA(&src[0], lds, &dst[0], ldd, r8, c8)
	}
	for i := 0; i < rows; i++ {
		j0 := c8
		if i >= r8 {
			j0 = 0
		}
		s := src[i*lds : i*lds+cols]
		for j := j0; j < cols; j++ {
			dst[j*ldd+i] = s[j]
		}
	}
}

// layerConv puts a conv path over s's current one: convs that use takes
// run with run and the scratch scratch says; the others keep the path
// below (the pixel-vector and implicit-GEMM paths over im2col).
func layerConv(s *Set, use func(*ConvParams) bool, scratch func(*ConvParams, int) int, run func(p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int)) {
	conv, scratchSize := s.Conv, s.ConvScratchSize
	s.ConvScratchSize = func(p *ConvParams, rows int) int {
		if use(p) {
			return scratch(p, rows)
		}
		return scratchSize(p, rows)
	}
	s.Conv = func(p *ConvParams, in, wp, bias, r, out, sc []float32, oy0, oy1 int) {
		if !use(p) {
			conv(p, in, wp, bias, r, out, sc, oy0, oy1)
			return
		}
		run(p, in, wp, bias, r, out, sc, oy0, oy1)
	}
}
