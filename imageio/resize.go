package imageio

import (
	"image"
	"image/draw"
	"math"
)

// NRGBA returns img as an *image.NRGBA whose bounds start at (0, 0),
// converting (and copying) when it is another type. Alpha is kept as it is,
// not multiplied into the colours: PIL's convert("RGB") drops it the same way.
func NRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	if n, ok := img.(*image.NRGBA); ok && b.Min == (image.Point{}) {
		return n
	}
	// An opaque RGBA image (what the PNG decoder returns for RGB files)
	// is laid out as NRGBA already: share its pixels instead of copying
	// them (a 12-megapixel photo's copy was 48 MB of a `mnc run -image`).
	if m, ok := img.(*image.RGBA); ok && b.Min == (image.Point{}) && m.Opaque() {
		return &image.NRGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

// Filter is one of PIL's resampling filters; both shrink with antialias
// (the filter's support widens by the scale factor).
type Filter int

const (
	// Bilinear is PIL's Image.BILINEAR: the triangle filter, support 1.
	Bilinear Filter = iota
	// Bicubic is PIL's Image.BICUBIC: Keys' cubic convolution with
	// a = −0.5, support 2 (it overshoots: results are clipped to 0..255).
	Bicubic
)

// support is the filter's half-width at scale 1, in input pixels.
func (f Filter) support() float64 {
	if f == Bicubic {
		return 2
	}
	return 1
}

// weight is the filter's value at distance x, PIL's bilinear_filter and
// bicubic_filter with their operations in the same order: the float64()
// conversions keep Go from fusing them into FMAs (PIL's x86-64 builds do
// not), so the fixed-point weights round as PIL's do.
func (f Filter) weight(x float64) float64 {
	x = math.Abs(x)
	if f == Bicubic {
		const a = -0.5
		switch {
		case x < 1: // ((a+2)·x − (a+3))·x·x + 1
			p := float64((a+2)*x) - (a + 3)
			return float64(float64(p*x)*x) + 1
		case x < 2: // (((x−5)·x + 8)·x − 4)·a
			p := float64((x-5)*x) + 8
			return (float64(p*x) - 4) * a
		}
		return 0
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

// Resize scales img to w×h pixels exactly as PIL's
// Image.resize((w, h), Image.BILINEAR) does on an 8-bit image: see
// ResizeWith.
func Resize(img image.Image, w, h int) *image.NRGBA {
	return ResizeWith(img, w, h, Bilinear)
}

// ResizeWith scales img to w×h pixels exactly as PIL's
// Image.resize((w, h), f) does on an 8-bit image: the filter's support
// widens with the scale factor when shrinking (antialias), 22-bit
// fixed-point coefficients, a horizontal pass then a vertical pass, each
// rounded and clipped to 8 bits.
func ResizeWith(img image.Image, w, h int, f Filter) *image.NRGBA {
	src := NRGBA(img)
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if w <= 0 || h <= 0 {
		return image.NewNRGBA(image.Rect(0, 0, max(w, 0), max(h, 0)))
	}
	if w == sw && h == sh {
		dst := image.NewNRGBA(src.Rect)
		for y := 0; y < sh; y++ {
			copy(dst.Pix[y*dst.Stride:y*dst.Stride+4*sw], src.Pix[y*src.Stride:])
		}
		return dst
	}
	tmp := src
	if w != sw {
		tmp = image.NewNRGBA(image.Rect(0, 0, w, sh))
		b, k, ks := coeffs(sw, w, f)
		for y := 0; y < sh; y++ {
			in := src.Pix[y*src.Stride:]
			out := tmp.Pix[y*tmp.Stride:]
			for x := 0; x < w; x++ {
				lo, n := b[2*x], b[2*x+1]
				kk := k[x*ks : x*ks+n]
				for c := 0; c < 4; c++ {
					s := int32(1 << (precisionBits - 1))
					for i, kv := range kk {
						s += int32(in[4*(lo+i)+c]) * kv
					}
					out[4*x+c] = clip8(s)
				}
			}
		}
	}
	if h == sh {
		return tmp
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	b, k, ks := coeffs(sh, h, f)
	for y := 0; y < h; y++ {
		lo, n := b[2*y], b[2*y+1]
		kk := k[y*ks : y*ks+n]
		out := dst.Pix[y*dst.Stride:]
		for x := 0; x < 4*w; x++ {
			s := int32(1 << (precisionBits - 1))
			for i, kv := range kk {
				s += int32(tmp.Pix[(lo+i)*tmp.Stride+x]) * kv
			}
			out[x] = clip8(s)
		}
	}
	return dst
}

// precisionBits is PIL's fixed-point precision for 8-bit resampling.
const precisionBits = 32 - 8 - 2

func clip8(v int32) uint8 {
	if v >= 1<<precisionBits<<8 {
		return 255
	}
	if v <= 0 {
		return 0
	}
	return uint8(v >> precisionBits)
}

// coeffs is PIL's precompute_coeffs for filter f followed by
// normalize_coeffs_8bpc: for each output pixel, the first input pixel and
// the count (bounds), and ksize fixed-point weights.
func coeffs(inSize, outSize int, f Filter) (bounds []int, kk []int32, ksize int) {
	scale := float64(inSize) / float64(outSize)
	filterscale := max(scale, 1)
	support := f.support() * filterscale
	ksize = int(math.Ceil(support))*2 + 1
	bounds = make([]int, 2*outSize)
	kk = make([]int32, outSize*ksize)
	w := make([]float64, ksize)
	for xx := 0; xx < outSize; xx++ {
		center := (float64(xx) + 0.5) * scale
		ss := 1 / filterscale
		xmin := int(center - support + 0.5) // C's truncation, as PIL
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		ww := 0.0
		for x := 0; x < xmax; x++ {
			v := f.weight((float64(x+xmin) - center + 0.5) * ss)
			w[x] = v
			ww += v
		}
		for x := 0; x < xmax; x++ {
			v := w[x]
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				kk[xx*ksize+x] = int32(-0.5 + v*(1<<precisionBits))
			} else {
				kk[xx*ksize+x] = int32(0.5 + v*(1<<precisionBits))
			}
		}
		bounds[2*xx], bounds[2*xx+1] = xmin, xmax
	}
	return bounds, kk, ksize
}

// Crop returns the w×h window of img whose top-left corner is (x, y), as a
// new image; pixels outside img are transparent black (torchvision pads a
// too-small image the same way).
func Crop(img image.Image, x, y, w, h int) *image.NRGBA {
	src := NRGBA(img)
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), src, image.Pt(x, y), draw.Src)
	return dst
}

// CenterCrop crops the centred w×h window as torchvision's CenterCrop does
// (the offset is round((size−crop)/2), rounding halves to even like Python).
func CenterCrop(img image.Image, w, h int) *image.NRGBA {
	b := img.Bounds()
	x := int(math.RoundToEven(float64(b.Dx()-w) / 2))
	y := int(math.RoundToEven(float64(b.Dy()-h) / 2))
	return Crop(img, x, y, w, h)
}

// ResizeShorter scales img so that its shorter side is n pixels, keeping the
// aspect ratio as torchvision's Resize(n) does (the longer side is
// int(n·long/short)).
func ResizeShorter(img image.Image, n int) *image.NRGBA {
	return resizeShorter(img, n, Bilinear)
}

func resizeShorter(img image.Image, n int, f Filter) *image.NRGBA {
	b := img.Bounds()
	w, h := shorterSide(b.Dx(), b.Dy(), n)
	return ResizeWith(img, w, h, f)
}

// shorterSide is the size ResizeShorter(img of w×h, n) makes.
func shorterSide(w, h, n int) (int, int) {
	if w <= h {
		return n, int(float64(n) * float64(h) / float64(w))
	}
	return int(float64(n) * float64(w) / float64(h)), n
}
