package dense

import (
	"fmt"
	"image"
	"image/color"

	"github.com/mnc-go/mnc/imageio"
)

// ClassMap is a per-pixel class index map.
type ClassMap struct {
	W, H    int
	Classes int
	Index   []int32 // H·W, row-major
}

// ArgMax returns the per-pixel class of a segmentation network's scores
// for one image, NCHW [C, H, W] (ties go to the lower class, as
// torch.argmax does; NaN never wins).
func ArgMax(scores []float32, c, h, w int) (*ClassMap, error) {
	if c <= 0 || h <= 0 || w <= 0 || len(scores) < c*h*w {
		return nil, fmt.Errorf("scores of %d values are not [%d, %d, %d]", len(scores), c, h, w)
	}
	m := &ClassMap{W: w, H: h, Classes: c, Index: make([]int32, h*w)}
	best := append([]float32(nil), scores[:h*w]...)
	for k := 1; k < c; k++ {
		plane := scores[k*h*w : (k+1)*h*w]
		for i, v := range plane {
			if v > best[i] || best[i] != best[i] && v == v {
				best[i], m.Index[i] = v, int32(k)
			}
		}
	}
	return m, nil
}

// Counts returns how many pixels each class has.
func (m *ClassMap) Counts() []int {
	n := make([]int, m.Classes)
	for _, k := range m.Index {
		n[k]++
	}
	return n
}

// Overlay draws the class map over img: each pixel of a class other than
// background (0) is blended with the class's palette colour at opacity
// alpha; the map is scaled to the image by nearest neighbour.
func Overlay(img image.Image, m *ClassMap, alpha float64) *image.RGBA {
	c := imageio.Canvas(img)
	b := c.Bounds()
	a := uint32(alpha*256 + 0.5)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		my := min((y-b.Min.Y)*m.H/b.Dy(), m.H-1)
		for x := b.Min.X; x < b.Max.X; x++ {
			mx := min((x-b.Min.X)*m.W/b.Dx(), m.W-1)
			k := m.Index[my*m.W+mx]
			if k == 0 {
				continue
			}
			p := imageio.Palette(int(k))
			o := c.RGBAAt(x, y)
			mix := func(u, v uint8) uint8 { return uint8((uint32(u)*(256-a) + uint32(v)*a) >> 8) }
			c.SetRGBA(x, y, color.RGBA{mix(o.R, p.R), mix(o.G, p.G), mix(o.B, p.B), 255})
		}
	}
	return c
}

// DrawTextBoxes draws each box's outline on a copy of img.
func DrawTextBoxes(img image.Image, boxes []TextBox) *image.RGBA {
	c := imageio.Canvas(img)
	for i, b := range boxes {
		pts := make([]image.Point, 4)
		for k, p := range b.Points {
			pts[k] = image.Pt(int(p.X), int(p.Y))
		}
		imageio.DrawPolygon(c, pts, imageio.Palette(i+1), 2)
	}
	return c
}

// MaxClasses bounds the class count ClassMapOf infers from the indices.
const MaxClasses = 1 << 16

// ClassMapOf wraps the per-pixel class indices of a network whose graph
// ends in ArgMax over the classes ([H, W] indices as float32 integers, as
// mnc computes them): every value must be a class in [0, classes).
// classes 0 takes the largest index + 1.
func ClassMapOf(idx []float32, classes, h, w int) (*ClassMap, error) {
	if h <= 0 || w <= 0 || len(idx) < h*w {
		return nil, fmt.Errorf("class map of %d values is not %d×%d", len(idx), h, w)
	}
	m := &ClassMap{W: w, H: h, Classes: classes, Index: make([]int32, h*w)}
	top := int32(0)
	for i, v := range idx[:h*w] {
		k := int32(v)
		if float32(k) != v || k < 0 || classes > 0 && int(k) >= classes {
			return nil, fmt.Errorf("class map value %g at pixel (%d, %d) is not a class index in [0, %d)", v, i%w, i/w, classes)
		}
		m.Index[i] = k
		top = max(top, k)
	}
	if classes <= 0 {
		// The largest index names the class count: an index of 2^31−1
		// would make Counts (and a legend) allocate 16 GiB.
		if top >= MaxClasses {
			return nil, fmt.Errorf("class map has class index %d; with no class count given, mnc takes at most %d classes", top, MaxClasses)
		}
		m.Classes = int(top) + 1
	}
	return m, nil
}
