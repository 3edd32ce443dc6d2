// Package detect turns the outputs of SSD-style detection heads into boxes:
// default boxes (anchors) as torchvision's DefaultBoxGenerator makes them,
// box decoding (torchvision's BoxCoder), per-class softmax scores, a score
// threshold, the top candidates per class, class-wise non-maximum
// suppression and the scaling of boxes back to the original image. The
// defaults are those of torchvision's ssdlite320_mobilenet_v3_large
// (SSDLite); other SSD heads give their own anchor layout and Params.
package detect

import (
	"fmt"
	"math"
)

// Box is an axis-aligned box in pixels: corners (X1, Y1) top-left and
// (X2, Y2) bottom-right.
type Box struct{ X1, Y1, X2, Y2 float32 }

// Area is (X2-X1)·(Y2-Y1), 0 when the box is empty or inverted.
func (b Box) Area() float32 {
	w, h := b.X2-b.X1, b.Y2-b.Y1
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

// IoU is the intersection over union of a and b, torchvision's box_iou; it
// is 0 when the union is empty (two zero-area boxes), where torchvision
// gives NaN, which never suppresses either.
func IoU(a, b Box) float32 {
	iw := min(a.X2, b.X2) - max(a.X1, b.X1)
	ih := min(a.Y2, b.Y2) - max(a.Y1, b.Y1)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	union := a.Area() + b.Area() - inter
	if !(union > 0) {
		return 0
	}
	return inter / union
}

// DefaultBoxes describes torchvision's DefaultBoxGenerator (SSD paper §2.2):
// on feature map k (of K) boxes of scale s_k and s'_k = √(s_k·s_{k+1}) with
// aspect ratio 1, then for each aspect ratio r the pair (s_k·√r, s_k/√r) and
// its transpose, centred on each cell. Scales run linearly from MinRatio to
// MaxRatio over the maps, then 1 (unless Scales is given, K+1 of them).
// Steps, when given, place centres at (i+0.5)·step/size instead of
// (i+0.5)/f_k. Clip clamps widths and heights (as fractions of the image)
// to [0, 1] before the boxes are made, as torchvision does.
type DefaultBoxes struct {
	AspectRatios [][]float64 // per feature map
	MinRatio     float64
	MaxRatio     float64
	Scales       []float64 // optional: K+1 scales
	Steps        []int     // optional: per-map strides in pixels
	Clip         bool
}

// SSDLiteBoxes is the default-box layout of torchvision's
// ssdlite320_mobilenet_v3_large: six maps with aspect ratios [2, 3], scales
// from 0.2 to 0.95, clipped: 6 boxes per location.
func SSDLiteBoxes() DefaultBoxes {
	ar := make([][]float64, 6)
	for i := range ar {
		ar[i] = []float64{2, 3}
	}
	return DefaultBoxes{AspectRatios: ar, MinRatio: 0.2, MaxRatio: 0.95, Clip: true}
}

// SSDLiteMaps returns the feature-map sizes ([height, width]) of
// torchvision's SSDLite on an h×w input: C4 at stride 16, then five
// stride-2 steps (each a 3×3 conv with padding 1: ⌈n/2⌉). At 320²: 20, 10,
// 5, 3, 2, 1.
func SSDLiteMaps(h, w int) [][2]int {
	for range 4 {
		h, w = (h+1)/2, (w+1)/2
	}
	var maps [][2]int
	for range 6 {
		maps = append(maps, [2]int{h, w})
		h, w = (h+1)/2, (w+1)/2
	}
	return maps
}

// PerLocation returns the number of boxes per cell of each map: 2 + 2·len(ratios).
func (d DefaultBoxes) PerLocation() []int {
	n := make([]int, len(d.AspectRatios))
	for i, r := range d.AspectRatios {
		n[i] = 2 + 2*len(r)
	}
	return n
}

func (d DefaultBoxes) scales() ([]float64, error) {
	k := len(d.AspectRatios)
	if d.Scales != nil {
		if len(d.Scales) != k+1 {
			return nil, fmt.Errorf("default boxes: %d scales for %d feature maps, want %d", len(d.Scales), k, k+1)
		}
		return d.Scales, nil
	}
	if k == 1 {
		return []float64{d.MinRatio, d.MaxRatio}, nil
	}
	s := make([]float64, 0, k+1)
	for i := range k {
		s = append(s, d.MinRatio+(d.MaxRatio-d.MinRatio)*float64(i)/float64(k-1))
	}
	return append(s, 1), nil
}

// Generate returns the default boxes for an imageH×imageW input whose
// heads run on feature maps of the given [height, width] sizes, in the
// order the heads emit them: map by map, cell by cell in row-major order,
// and within a cell the boxes as described on DefaultBoxes. Boxes are in
// input pixels (x1, y1, x2, y2).
func (d DefaultBoxes) Generate(imageH, imageW int, maps [][2]int) ([]Box, error) {
	if len(maps) != len(d.AspectRatios) {
		return nil, fmt.Errorf("default boxes: %d feature maps, but aspect ratios for %d", len(maps), len(d.AspectRatios))
	}
	if d.Steps != nil && len(d.Steps) != len(maps) {
		return nil, fmt.Errorf("default boxes: %d steps for %d feature maps", len(d.Steps), len(maps))
	}
	if imageH <= 0 || imageW <= 0 {
		return nil, fmt.Errorf("default boxes: image size %d×%d must be positive", imageH, imageW)
	}
	sc, err := d.scales()
	if err != nil {
		return nil, err
	}
	var boxes []Box
	for k, f := range maps {
		if f[0] <= 0 || f[1] <= 0 {
			return nil, fmt.Errorf("default boxes: feature map %d has size %v", k, f)
		}
		wh := [][2]float64{{sc[k], sc[k]}, {math.Sqrt(sc[k] * sc[k+1]), math.Sqrt(sc[k] * sc[k+1])}}
		for _, ar := range d.AspectRatios[k] {
			if !(ar > 0) {
				return nil, fmt.Errorf("default boxes: feature map %d: aspect ratio %g must be positive", k, ar)
			}
			q := math.Sqrt(ar)
			wh = append(wh, [2]float64{sc[k] * q, sc[k] / q}, [2]float64{sc[k] / q, sc[k] * q})
		}
		if d.Clip {
			for i := range wh {
				wh[i][0] = min(max(wh[i][0], 0), 1)
				wh[i][1] = min(max(wh[i][1], 0), 1)
			}
		}
		fy, fx := float64(f[0]), float64(f[1])
		if d.Steps != nil {
			fy, fx = float64(imageH)/float64(d.Steps[k]), float64(imageW)/float64(d.Steps[k])
		}
		for i := range f[0] {
			cy := (float64(i) + 0.5) / fy
			for j := range f[1] {
				cx := (float64(j) + 0.5) / fx
				for _, p := range wh {
					boxes = append(boxes, Box{
						X1: float32((cx - 0.5*p[0]) * float64(imageW)), Y1: float32((cy - 0.5*p[1]) * float64(imageH)),
						X2: float32((cx + 0.5*p[0]) * float64(imageW)), Y2: float32((cy + 0.5*p[1]) * float64(imageH)),
					})
				}
			}
		}
	}
	return boxes, nil
}
