package imageio

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Canvas returns a copy of img that can be drawn on, with bounds starting
// at (0, 0).
func Canvas(img image.Image) *image.RGBA {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

// Palette returns a distinct, saturated colour for class or box i (it
// cycles after 20).
func Palette(i int) color.RGBA {
	p := [...]uint32{0xe6194b, 0x3cb44b, 0x4363d8, 0xf58231, 0x911eb4, 0x42d4f4, 0xf032e6, 0xbfef45, 0xfabed4, 0x469990,
		0xdcbeff, 0x9a6324, 0xfffac8, 0x800000, 0xaaffc3, 0x808000, 0xffd8b1, 0x000075, 0xa9a9a9, 0xffe119}
	v := p[((i%len(p))+len(p))%len(p)]
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

// DrawRect draws the outline of r, width pixels thick (inwards), in c.
func DrawRect(dst draw.Image, r image.Rectangle, c color.Color, width int) {
	width = max(width, 1)
	u := image.NewUniform(c)
	r = r.Canon()
	for _, s := range []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+width),
		image.Rect(r.Min.X, r.Max.Y-width, r.Max.X, r.Max.Y),
		image.Rect(r.Min.X, r.Min.Y, r.Min.X+width, r.Max.Y),
		image.Rect(r.Max.X-width, r.Min.Y, r.Max.X, r.Max.Y),
	} {
		draw.Draw(dst, s.Intersect(r), u, image.Point{}, draw.Over)
	}
}

// DrawLine draws the segment from a to b, width pixels thick, in c.
func DrawLine(dst draw.Image, a, b image.Point, c color.Color, width int) {
	width = max(width, 1)
	u := image.NewUniform(c)
	dx, dy := abs(b.X-a.X), -abs(b.Y-a.Y)
	sx, sy := sign(b.X-a.X), sign(b.Y-a.Y)
	e := dx + dy
	x, y := a.X, a.Y
	lo := width / 2
	for {
		draw.Draw(dst, image.Rect(x-lo, y-lo, x-lo+width, y-lo+width), u, image.Point{}, draw.Over)
		if x == b.X && y == b.Y {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x += sx
		}
		if e2 <= dx {
			e += dx
			y += sy
		}
	}
}

// DrawPolygon draws the closed outline through pts (a text box's four
// corners, a contour), width pixels thick, in c.
func DrawPolygon(dst draw.Image, pts []image.Point, c color.Color, width int) {
	for i := range pts {
		DrawLine(dst, pts[i], pts[(i+1)%len(pts)], c, width)
	}
}

// DrawLabel writes text in a 7×13 pixel font on a filled box of colour bg,
// its top-left corner at p, moved inside dst when it would stick out. The
// text is white or black, whichever reads better on bg.
func DrawLabel(dst draw.Image, p image.Point, text string, bg color.Color) {
	face := basicfont.Face7x13
	w := font.MeasureString(face, text).Ceil() + 4
	h := 15
	b := dst.Bounds()
	p.X = max(min(p.X, b.Max.X-w), b.Min.X)
	p.Y = max(min(p.Y, b.Max.Y-h), b.Min.Y)
	draw.Draw(dst, image.Rect(p.X, p.Y, p.X+w, p.Y+h), image.NewUniform(bg), image.Point{}, draw.Over)
	r, g, bl, _ := bg.RGBA()
	fg := color.Color(color.White)
	if 299*r+587*g+114*bl > 1000*0x8000 {
		fg = color.Black
	}
	d := font.Drawer{Dst: dst, Src: image.NewUniform(fg), Face: face, Dot: fixed.P(p.X+2, p.Y+11)}
	d.DrawString(text)
}

// SavePNG writes img to path as PNG.
func SavePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := png.Encode(w, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %v", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sign(x int) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
