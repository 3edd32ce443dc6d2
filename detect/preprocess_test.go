package detect

import (
	"image"
	"image/color"
	"testing"
)

// Preprocess is F.interpolate's bilinear (align_corners=False) on the
// normalized picture: a 2×1 picture black|white becomes, at width 4,
// -1, -0.5, 0.5, 1 (sources -0.25→0, 0.25, 0.75, 1.25→1), and at width 1
// their mean.
func TestPreprocess(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.NRGBA{0, 0, 0, 255})
	img.Set(1, 0, color.NRGBA{255, 51, 255, 255})
	x, err := Preprocess(img, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Shape.Equal([]int{1, 3, 2, 4}) {
		t.Fatalf("shape %v", x.Shape)
	}
	for i, want := range []float32{-1, -0.5, 0.5, 1, -1, -0.5, 0.5, 1} {
		if !near(x.Data[i], want) {
			t.Errorf("red [%d] = %v, want %v", i, x.Data[i], want)
		}
	}
	// Green: 51/255 = 0.2 → -0.6 on the right.
	if g := x.Data[8+3]; !near(g, -0.6) {
		t.Errorf("green right = %v, want -0.6", g)
	}
	y, _ := Preprocess(img, 1, 1)
	if !near(y.Data[0], 0) {
		t.Errorf("1×1: %v, want 0", y.Data[0])
	}
	if _, err := Preprocess(img, 0, 4); err == nil {
		t.Error("size 0: no error")
	}
}
