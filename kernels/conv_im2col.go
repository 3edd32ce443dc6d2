package kernels

// Dense convolution as im2col + the Set's GEMM: a chunk of output pixels
// is gathered into scratch as rows of K = KH·KW·Cin inputs (the pixel's
// window, tap by tap, each tap's Cin channels contiguous as in NHWC; zeros
// for padding), then one Gemm call multiplies the chunk by the weights,
// packed by PackGemm from [Cout][KH][KW][Cin], applying bias, residual and
// activation and writing the pixels' outputs in place (they are
// contiguous rows of Cout in out). The chunk is bounded so scratch stays
// around convChunkBytes whatever the layer.

// convChunkBytes bounds the im2col scratch of one call.
const convChunkBytes = 512 << 10

// convChunkPixels is how many output pixels one im2col chunk holds.
func convChunkPixels(p *ConvParams) int {
	k := p.KH * p.KW * p.Cin
	return min(256, max(16, convChunkBytes/(4*max(k, 1))))
}

func convIm2colScratch(p *ConvParams, rows int) int {
	if convIsPointwise(p) {
		return 0
	}
	return min(rows*p.OW, convChunkPixels(p)) * p.KH * p.KW * p.Cin
}

// convIsPointwise reports a 1×1, stride-1, unpadded conv: the NHWC input
// already is the GEMM's A, no im2col needed.
func convIsPointwise(p *ConvParams) bool {
	return p.KH == 1 && p.KW == 1 && p.SH == 1 && p.SW == 1 && p.PadT == 0 && p.PadL == 0 &&
		p.OH == p.H && p.OW == p.W
}

// fillConvIm2col makes s.Conv an im2col + s.Gemm conv. It reads s.Gemm
// and s.PackGemm when called, so an ISA's GEMM filled later is the one used.
func fillConvIm2col(s *Set) {
	s.PackedConvSize = func(p *ConvParams) int { return s.PackedGemmSize(p.Cout, p.KH*p.KW*p.Cin) }
	s.PackConv = func(dst, w []float32, p *ConvParams) {
		k := p.KH * p.KW * p.Cin
		// PackGemm wants [Cout][K] with K in im2col order: [KH][KW][Cin].
		ohwi := make([]float32, p.Cout*k)
		for co := 0; co < p.Cout; co++ {
			for ci := 0; ci < p.Cin; ci++ {
				for t := 0; t < p.KH*p.KW; t++ {
					ohwi[co*k+t*p.Cin+ci] = w[(co*p.Cin+ci)*p.KH*p.KW+t]
				}
			}
		}
		s.PackGemm(dst, ohwi, p.Cout, k)
	}
	s.ConvScratchSize = convIm2colScratch
	s.Conv = func(p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
		convIm2col(s, p, in, wp, bias, r, out, scratch, oy0, oy1)
	}
}

func convIm2col(s *Set, p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
	k := p.KH * p.KW * p.Cin
	checkConvArgs(p, len(in), len(wp), s.PackedGemmSize(p.Cout, k), bias, r, len(out), oy0, oy1)
	if oy0 == oy1 {
		return
	}
	if convIsPointwise(p) {
		var rr []float32
		if r != nil {
			rr = r[oy0*p.OW*p.Cout:]
		}
		s.Gemm((oy1-oy0)*p.OW, p.Cout, k, in[oy0*p.OW*p.Cin:], p.Cin, wp, bias, rr, p.Cout, out[oy0*p.OW*p.Cout:], p.Cout, 0, p.Cout, &p.Ep)
		return
	}
	if need := convIm2colScratch(p, oy1-oy0); len(scratch) < need {
		panic(convScratchMsg(p, len(scratch), need))
	}
	im2colGemm(s, p, in, wp, bias, r, out, scratch, oy0*p.OW, oy1*p.OW)
}

// im2colGemm computes output pixels [px0, px1) (row-major over the output
// image) by im2col + s.Gemm, in chunks of convChunkPixels.
func im2colGemm(s *Set, p *ConvParams, in, wp, bias, r, out, scratch []float32, px0, px1 int) {
	k := p.KH * p.KW * p.Cin
	chunk := convChunkPixels(p)
	for px := px0; px < px1; px += chunk {
		m := min(chunk, px1-px)
		a := scratch[:m*k]
		for i := 0; i < m; i++ {
			im2colPixel(p, in, (px+i)/p.OW, (px+i)%p.OW, a[i*k:(i+1)*k])
		}
		var rc []float32
		if r != nil {
			rc = r[px*p.Cout:]
		}
		s.Gemm(m, p.Cout, k, a, k, wp, bias, rc, p.Cout, out[px*p.Cout:], p.Cout, 0, p.Cout, &p.Ep)
	}
}

// im2colPixel writes output pixel (oy, ox)'s window into row: KH·KW taps
// of Cin inputs, zeros where the tap falls in the padding. With dilation 1
// a kernel row inside the image is KW·Cin contiguous input floats, copied
// at once (the stem: 3 copies of 9 floats per pixel instead of 9 of 3).
func im2colPixel(p *ConvParams, in []float32, oy, ox int, row []float32) {
	cin, run := p.Cin, p.KW*p.Cin
	iy0, ix0 := oy*p.SH-p.PadT, ox*p.SW-p.PadL
	rowInside := p.DW == 1 && ix0 >= 0 && ix0+p.KW <= p.W
	t := 0
	for kh := 0; kh < p.KH; kh++ {
		iy := iy0 + kh*p.DH
		if rowInside && iy >= 0 && iy < p.H {
			copy(row[t*cin:t*cin+run], in[(iy*p.W+ix0)*cin:])
			t += p.KW
			continue
		}
		for kw := 0; kw < p.KW; kw++ {
			ix := ix0 + kw*p.DW
			dst := row[t*cin : (t+1)*cin]
			if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
				clear(dst)
			} else {
				copy(dst, in[(iy*p.W+ix)*cin:])
			}
			t++
		}
	}
}
