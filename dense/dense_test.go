package dense

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/internal/shareddata"
)

// TestDetectTextDoc: ONNX Runtime's probability map of the rendered
// document (PP-OCRv3's detector) gives exactly its five text lines, each
// box starting near where render_doc.py drew the line, in reading order.
func TestDetectTextDoc(t *testing.T) {
	prob := shareddata.ReadFloats(t, "real/doc_320x480.out.bin")
	boxes, err := DetectText(prob, 320, 480, 480, 320, DefaultDB())
	if err != nil {
		t.Fatal(err)
	}
	// render_doc.py's text origins (PIL's anchor is the top-left of the
	// text's bounding box including ascender space).
	origins := []Point{{20, 20}, {24, 80}, {30, 130}, {200, 190}, {40, 260}}
	if len(boxes) != len(origins) {
		t.Fatalf("%d boxes, want %d: %+v", len(boxes), len(origins), boxes)
	}
	for i, b := range boxes {
		tl := b.Points[0]
		if math.Abs(tl.X-origins[i].X) > 12 || math.Abs(tl.Y-origins[i].Y) > 15 {
			t.Errorf("box %d top-left %v, want near %v", i, tl, origins[i])
		}
		if w := b.Points[1].X - b.Points[0].X; w < 100 {
			t.Errorf("box %d is %g px wide: not a whole line", i, w)
		}
		if b.Score < 0.6 || b.Score > 1 {
			t.Errorf("box %d score %g", i, b.Score)
		}
	}
}

// TestDetectTextSynthetic: a tilted bar of probability 0.9 gives one box
// around it, grown by the unclip distance, scaled to a twice-larger image;
// a faint bar (0.5: above the pixel threshold, below the box score) and a
// bar thinner than the minimum side give none.
func TestDetectTextSynthetic(t *testing.T) {
	const h, w = 60, 100
	prob := make([]float32, h*w)
	bar := func(x0, x1, y0 int, thick int, v float32) {
		for x := x0; x < x1; x++ {
			y := y0 + (x-x0)/10 // slope 0.1
			for k := 0; k < thick; k++ {
				prob[(y+k)*w+x] = v
			}
		}
	}
	bar(10, 90, 5, 8, 0.9)
	bar(10, 90, 30, 8, 0.5)
	bar(10, 90, 48, 2, 0.9)
	boxes, err := DetectText(prob, h, w, 2*w, 2*h, DefaultDB())
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 1 {
		t.Fatalf("%d boxes, want 1: %+v", len(boxes), boxes)
	}
	b := boxes[0]
	// The bar spans x 10..89 and y 5..20; the box, grown by ~4 px and
	// doubled, must contain it and not much more.
	for _, p := range [][2]float64{{20, 10}, {178, 40}, {30, 24}} {
		if !inQuad(b.Points, Point{p[0], p[1]}) {
			t.Errorf("box %v does not contain %v", b.Points, p)
		}
	}
	if inQuad(b.Points, Point{100, 70}) {
		t.Errorf("box %v reaches the faint bar", b.Points)
	}
	if _, err := DetectText(prob, h, w+1, 10, 10, DefaultDB()); err == nil {
		t.Error("a map shorter than h·w was accepted")
	}
	if _, err := DetectText(prob, h, w, 0, 10, DefaultDB()); err == nil {
		t.Error("an empty image was accepted")
	}
}

// TestMinAreaRect: the minimum-area rectangle of a rotated rectangle's
// corners (and interior points) is that rectangle.
func TestMinAreaRect(t *testing.T) {
	ang := 0.3
	u := Point{math.Cos(ang), math.Sin(ang)}
	v := Point{-u.Y, u.X}
	var pts []Point
	for i := 0; i <= 10; i++ {
		for j := 0; j <= 4; j++ {
			a, b := float64(i)*4, float64(j)*2.5 // 40 × 10
			pts = append(pts, Point{50 + a*u.X + b*v.X, 20 + a*u.Y + b*v.Y})
		}
	}
	r := minAreaRect(pts)
	if math.Abs(r.W*r.H-400) > 1e-6 || math.Abs(math.Max(r.W, r.H)-40) > 1e-6 {
		t.Fatalf("rect %+v, want 40×10", r)
	}
	c := r.Corners()
	if !(c[0].X <= c[1].X && c[3].X <= c[2].X && c[0].Y < c[3].Y) {
		t.Errorf("corners %v not ordered top-left, top-right, bottom-right, bottom-left", c)
	}
	if g := r.grown(2); math.Abs(g.ShortSide()-14) > 1e-9 {
		t.Errorf("grown short side %g, want 14", g.ShortSide())
	}
}

// TestArgMaxOverlay: ties go to the lower class, NaN never wins; the
// overlay colours non-background pixels only.
func TestArgMaxOverlay(t *testing.T) {
	nan := float32(math.NaN())
	// 3 classes, 1×4 pixels.
	s := []float32{
		1, 0, nan, 5,
		2, 0, 1, 5,
		0, 3, 0, 5,
	}
	m, err := ArgMax(s, 3, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{1, 2, 1, 0}
	for i := range want {
		if m.Index[i] != want[i] {
			t.Fatalf("argmax %v, want %v", m.Index, want)
		}
	}
	if c := m.Counts(); c[0] != 1 || c[1] != 2 || c[2] != 1 {
		t.Errorf("counts %v", c)
	}
	img := image.NewRGBA(image.Rect(0, 0, 8, 2))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	o := Overlay(img, m, 1)
	if got := o.RGBAAt(7, 1); got != (color.RGBA{200, 200, 200, 255}) && got != (color.RGBA{200, 200, 200, 200}) {
		t.Errorf("background pixel changed to %v", got)
	}
	if got := o.RGBAAt(0, 0); got.R == 200 && got.G == 200 && got.B == 200 {
		t.Errorf("class-1 pixel not coloured: %v", got)
	}
	if _, err := ArgMax(s, 3, 2, 4); err == nil {
		t.Error("short scores accepted")
	}
}

// TestClassMapOfHugeIndex: with no class count given, an index of
// 2^31−128 (a float32 integer) is refused rather than taken as the class
// count, which made Counts allocate 16 GiB.
func TestClassMapOfHugeIndex(t *testing.T) {
	idx := []float32{0, 1, 2147483520, 3}
	if _, err := ClassMapOf(idx, 0, 2, 2); err == nil || !strings.Contains(err.Error(), "class index 2147483520") {
		t.Errorf("index 2147483520: %v", err)
	}
	if m, err := ClassMapOf([]float32{0, 1, 5, 3}, 0, 2, 2); err != nil || m.Classes != 6 {
		t.Errorf("index 5: %v", err)
	}
}
