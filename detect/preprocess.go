package detect

import (
	"fmt"
	"image"

	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
)

// Preprocess is torchvision's detection transform for SSDLite
// (GeneralizedRCNNTransform with fixed_size, image_mean = image_std = 0.5):
// RGB values /255, then (x − 0.5)/0.5, resized to h×w with bilinear
// interpolation (align_corners=False, no antialiasing, as
// F.interpolate does it). The result is NCHW [1, 3, h, w].
func Preprocess(img image.Image, h, w int) (*ir.Tensor, error) {
	if h <= 0 || w <= 0 {
		return nil, fmt.Errorf("detect: input size %d×%d must be positive", h, w)
	}
	m := imageio.NRGBA(img)
	b := m.Bounds()
	ih, iw := b.Dy(), b.Dx()
	if ih == 0 || iw == 0 {
		return nil, fmt.Errorf("detect: empty image")
	}
	// The normalized source channels, planar.
	if err := limits.Check(0, fmt.Sprintf("detect: the %d×%d image as float32 planes", iw, ih), limits.Mul(3*4, int64(iw), int64(ih))); err != nil {
		return nil, err
	}
	if err := limits.Check(0, fmt.Sprintf("detect: the input tensor of %d×%d", w, h), limits.Mul(3*4, int64(w), int64(h))); err != nil {
		return nil, err
	}
	src := make([]float32, 3*ih*iw)
	for y := range ih {
		row := m.Pix[y*m.Stride:]
		for x := range iw {
			for c := range 3 {
				src[(c*ih+y)*iw+x] = (float32(row[4*x+c])/255 - 0.5) / 0.5
			}
		}
	}
	ys, xs := linear(ih, h), linear(iw, w)
	t := ir.NewTensor(1, 3, h, w)
	for c := range 3 {
		plane := src[c*ih*iw : (c+1)*ih*iw]
		out := t.Data[c*h*w : (c+1)*h*w]
		for y, sy := range ys {
			r0, r1 := plane[sy.i0*iw:(sy.i0+1)*iw], plane[sy.i1*iw:(sy.i1+1)*iw]
			for x, sx := range xs {
				top := sx.w0*r0[sx.i0] + sx.w1*r0[sx.i1]
				bot := sx.w0*r1[sx.i0] + sx.w1*r1[sx.i1]
				out[y*w+x] = sy.w0*top + sy.w1*bot
			}
		}
	}
	return t, nil
}

type tap struct {
	i0, i1 int
	w0, w1 float32
}

// linear is PyTorch's upsample_bilinear2d index computation for one axis
// (align_corners=False, scale in/out): the source position
// (dst + 0.5)·in/out − 0.5, clamped at 0, its two neighbours and weights.
func linear(in, out int) []tap {
	scale := float32(in) / float32(out)
	taps := make([]tap, out)
	for d := range taps {
		s := max((float32(d)+0.5)*scale-0.5, 0)
		i0 := int(s)
		i1 := min(i0+1, in-1)
		l := s - float32(i0)
		taps[d] = tap{i0, i1, 1 - l, l}
	}
	return taps
}
