package imageio

import "image"

// libjpegRGB converts a decoded JPEG's YCbCr image to RGB as libjpeg(-turbo)
// does by default, so that images match PIL's: chroma subsampled 2× across
// (4:2:2) or 2× both ways (4:2:0) is upsampled with libjpeg's "fancy"
// triangle filter (Go's own conversion repeats each chroma sample, which
// differs by tens of levels on coloured edges), and the colour conversion
// uses libjpeg's 16-bit fixed-point tables. Other subsamplings return nil.
func libjpegRGB(m *image.YCbCr) *image.NRGBA {
	r := m.Rect
	w, h := r.Dx(), r.Dy()
	if r.Min != (image.Point{}) || w == 0 || h == 0 {
		return nil
	}
	var vs int
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		vs = 0
	case image.YCbCrSubsampleRatio422:
		vs = 1
	case image.YCbCrSubsampleRatio420:
		vs = 2
	default:
		return nil
	}
	cw, ch := w, h
	if vs > 0 {
		cw = (w + 1) / 2
	}
	if vs == 2 {
		ch = (h + 1) / 2
	}
	out := image.NewNRGBA(r)
	cb := make([]int32, 2*cw)
	cr := make([]int32, 2*cw)
	colsum := make([]int32, cw)
	up := func(plane []uint8, y int, dst []int32) {
		switch vs {
		case 0:
			for i := 0; i < cw; i++ {
				dst[i] = int32(plane[y*m.CStride+i])
			}
		case 1: // h2v1_fancy_upsample
			s := plane[y*m.CStride : y*m.CStride+cw]
			for i := 0; i < cw; i++ {
				v := 3 * int32(s[i])
				if i == 0 {
					dst[0] = int32(s[0])
				} else {
					dst[2*i] = (v + int32(s[i-1]) + 1) >> 2
				}
				if i == cw-1 {
					dst[2*i+1] = int32(s[i])
				} else {
					dst[2*i+1] = (v + int32(s[i+1]) + 2) >> 2
				}
			}
		case 2: // h2v2_fancy_upsample: the nearer chroma row weighs 3, the farther 1
			near := y / 2
			far := near - 1
			if y%2 == 1 {
				far = near + 1
			}
			far = max(0, min(far, ch-1))
			for i := 0; i < cw; i++ {
				colsum[i] = 3*int32(plane[near*m.CStride+i]) + int32(plane[far*m.CStride+i])
			}
			for i := 0; i < cw; i++ {
				c := colsum[i]
				if i == 0 {
					dst[0] = (4*c + 8) >> 4
				} else {
					dst[2*i] = (3*c + colsum[i-1] + 8) >> 4
				}
				if i == cw-1 {
					dst[2*i+1] = (4*c + 7) >> 4
				} else {
					dst[2*i+1] = (3*c + colsum[i+1] + 7) >> 4
				}
			}
		}
	}
	const half = 1 << 15
	fix := func(x float64) int32 { return int32(x*(1<<16) + 0.5) }
	crR, cbB, crG, cbG := fix(1.40200), fix(1.77200), -fix(0.71414), -fix(0.34414)
	clamp := func(v int32) uint8 { return uint8(max(0, min(v, 255))) }
	for y := 0; y < h; y++ {
		up(m.Cb, y, cb)
		up(m.Cr, y, cr)
		row := out.Pix[y*out.Stride:]
		yrow := m.Y[y*m.YStride:]
		for x := 0; x < w; x++ {
			Y := int32(yrow[x])
			b, rr := cb[x]-128, cr[x]-128
			row[4*x] = clamp(Y + (crR*rr+half)>>16)
			row[4*x+1] = clamp(Y + (cbG*b+half+crG*rr)>>16)
			row[4*x+2] = clamp(Y + (cbB*b+half)>>16)
			row[4*x+3] = 255
		}
	}
	return out
}
