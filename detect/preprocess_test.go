package detect

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/limits"
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

// TestPreprocessBudget: the float planes of a picture and the input tensor
// are checked against the memory budget before they are allocated (a
// 10000×10000 picture's planes are 1.1 GiB; a 2^20×2^20 input 12 TiB).
func TestPreprocessBudget(t *testing.T) {
	limits.SetMaxMemory(8 << 20)
	defer limits.SetMaxMemory(0)
	img := image.NewNRGBA(image.Rect(0, 0, 1200, 1000))
	if _, err := Preprocess(img, 320, 320); err == nil || !strings.Contains(err.Error(), "detect: the 1200×1000 image as float32 planes needs 13.7 MiB, more than the memory budget of 8.0 MiB") {
		t.Errorf("1200×1000: %v", err)
	}
	small := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	if _, err := Preprocess(small, 1<<20, 1<<20); err == nil || !strings.Contains(err.Error(), "detect: the input tensor of 1048576×1048576 needs 12.0 TiB") {
		t.Errorf("input 2^20×2^20: %v", err)
	}
}
