package imageio

import (
	"image"
	"image/color"
	"testing"
)

// The imagenet preset (torchvision's segmentation models) keeps a
// symbolic H×W at the picture's size, without cropping, and normalises
// RGB with ImageNet's mean and std.
func TestImagenetPreset(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	for i := 0; i < 15; i++ {
		img.SetNRGBA(i%5, i/5, color.NRGBA{255, 0, 51, 255})
	}
	x, err := Preprocess(img, "imagenet", []int{1, 3, -1, -1})
	if err != nil {
		t.Fatal(err)
	}
	if x.Shape[2] != 3 || x.Shape[3] != 5 {
		t.Fatalf("shape %v, want [1 3 3 5]", x.Shape)
	}
	mean, std := []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}
	for c, v := range []float32{255, 0, 51} {
		w := (v/255 - mean[c]) / std[c] // float32 arithmetic, as the preset computes
		if g := x.Data[c*15+7]; g != w {
			t.Errorf("channel %d: %g, want %g", c, g, w)
		}
	}
}
