//go:build arm64 && !purego

package kernels

// NEON dense conv (the stem, and any group-1 conv): im2col of a few output
// rows into scratch, then the NEON GEMM with its fused bias/residual/
// activation epilogue. Weights are reordered to [Cout][KH][KW][Cin] (so an
// im2col row copies runs of Cin contiguous input channels) and packed as
// GEMM panels. A 1×1, stride-1, unpadded conv skips im2col: the NHWC input
// already is the GEMM's A.

// neonConvChunkPixels is the number of output pixels im2col'ed at a time
// (whole rows, at least one): enough GEMM rows for the 8-row tiles, little
// enough scratch to stay in L1/L2 (the stem: 112 × 27 floats ≈ 12 KB/row).
const neonConvChunkPixels = 128

func fillConvARM64(s *Set) {
	s.PackedConvSize = func(p *ConvParams) int { return neonPackedGemmSize(p.Cout, p.KH*p.KW*p.Cin) }
	s.PackConv = neonPackConv
	s.ConvScratchSize = neonConvScratchSize
	s.Conv = neonConv
}

func neonConvIsPointwise(p *ConvParams) bool {
	return p.KH == 1 && p.KW == 1 && p.SH == 1 && p.SW == 1 && p.PadT == 0 && p.PadL == 0 &&
		p.OH == p.H && p.OW == p.W
}

func neonConvChunkRows(p *ConvParams) int { return max(1, neonConvChunkPixels/max(1, p.OW)) }

func neonConvScratchSize(p *ConvParams, rows int) int {
	if neonConvIsPointwise(p) {
		return 0
	}
	return min(rows, neonConvChunkRows(p)) * p.OW * p.KH * p.KW * p.Cin
}

func neonPackConv(dst, w []float32, p *ConvParams) {
	k := p.KH * p.KW * p.Cin
	neonNeed("PackConv(neon)", "w", len(w), p.Cout*k)
	neonNeed("PackConv(neon)", "dst", len(dst), neonPackedGemmSize(p.Cout, k))
	// [Cout][Cin][KH][KW] → [Cout][KH][KW][Cin], then GEMM panels.
	reordered := make([]float32, p.Cout*k) // packing time only
	for co := 0; co < p.Cout; co++ {
		for ci := 0; ci < p.Cin; ci++ {
			for t := 0; t < p.KH*p.KW; t++ {
				reordered[co*k+t*p.Cin+ci] = w[(co*p.Cin+ci)*p.KH*p.KW+t]
			}
		}
	}
	neonPackGemm(dst, reordered, p.Cout, k)
}

func neonConv(p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
	k := p.KH * p.KW * p.Cin
	checkConvArgs(p, len(in), len(wp), neonPackedGemmSize(p.Cout, k), bias, r, len(out), oy0, oy1)
	if oy0 == oy1 {
		return
	}
	row := p.OW * p.Cout
	if neonConvIsPointwise(p) {
		var rr []float32
		if r != nil {
			rr = r[oy0*row:]
		}
		neonGemm((oy1-oy0)*p.OW, p.Cout, k, in[oy0*p.OW*p.Cin:], p.Cin, wp, bias, rr, p.Cout, out[oy0*row:], p.Cout, 0, p.Cout, &p.Ep)
		return
	}
	chunk := neonConvChunkRows(p)
	neonNeed("Conv(neon)", "scratch", len(scratch), min(oy1-oy0, chunk)*p.OW*k)
	for y0 := oy0; y0 < oy1; y0 += chunk {
		y1 := min(oy1, y0+chunk)
		neonIm2col(p, in, scratch, y0, y1)
		var rr []float32
		if r != nil {
			rr = r[y0*row:]
		}
		neonGemm((y1-y0)*p.OW, p.Cout, k, scratch, k, wp, bias, rr, p.Cout, out[y0*row:], p.Cout, 0, p.Cout, &p.Ep)
	}
}

// neonIm2col writes, for output rows [y0, y1), one row per output pixel:
// the KH·KW·Cin window in [ky][kx][ci] order, zeros where it leaves the
// image. With dilation 1 a kernel row's taps are KW·Cin contiguous input
// floats, copied at once when they are all inside the image (the stem:
// 3 copies of 9 floats per pixel instead of 9 of 3).
func neonIm2col(p *ConvParams, in, dst []float32, y0, y1 int) {
	cin, run := p.Cin, p.KW*p.Cin
	i := 0
	for oy := y0; oy < y1; oy++ {
		for ox := 0; ox < p.OW; ox++ {
			ix0 := ox*p.SW - p.PadL
			rowInside := p.DW == 1 && ix0 >= 0 && ix0+p.KW <= p.W
			for ky := 0; ky < p.KH; ky++ {
				iy := oy*p.SH - p.PadT + ky*p.DH
				if iy < 0 || iy >= p.H {
					clear(dst[i : i+run])
					i += run
					continue
				}
				if rowInside {
					copy(dst[i:i+run], in[(iy*p.W+ix0)*cin:])
					i += run
					continue
				}
				for kx := 0; kx < p.KW; kx++ {
					ix := ix0 + kx*p.DW
					d := dst[i : i+cin]
					if ix < 0 || ix >= p.W {
						clear(d)
					} else {
						copy(d, in[(iy*p.W+ix)*cin:])
					}
					i += cin
				}
			}
		}
	}
}
