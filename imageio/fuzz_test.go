package imageio

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mnc-go/mnc/internal/fuzzcap"
	"github.com/mnc-go/mnc/internal/hostile"
)

// FuzzDecodePreprocess feeds arbitrary bytes to the image decoders (PNG,
// JPEG, GIF, WebP, BMP, TIFF) and a decoded picture to the presets' resizing
// and normalisation, under fuzzcap's budget: an error or a tensor, never a
// panic or an allocation beyond the budget (a small file may claim a huge
// picture). Seeds are the test pictures, truncations of them and a PNG
// header claiming 2^27×1 pixels. Run it locally, e.g.
//
//	go test -run=NONE -fuzz=FuzzDecodePreprocess -fuzztime=60s ./imageio/
func FuzzDecodePreprocess(f *testing.F) {
	for _, name := range []string{"src.png", "src.jpg", "src.gif", "src.bmp", "src.webp", "src.tiff", "small.png"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 64<<10 {
			continue // keep the seeds small: the fuzzer mutates every byte
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add(hostile.PNGClaiming(1<<27, 1))
	f.Add(hostile.PNGClaiming(3, 5))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzcap.Run(t, func() {
			img, _, err := Decode(bytes.NewReader(data))
			if err != nil {
				return
			}
			for _, c := range []struct {
				preset string
				shape  []int
			}{{"torchvision", []int{1, 3, 32, 32}}, {"imagenet", []int{1, 3, -1, -1}}, {"paddle", []int{1, 3, -1, -1}}, {"keras", []int{1, 24, 16, 1}}} {
				x, err := Preprocess(img, c.preset, c.shape)
				if err != nil {
					continue
				}
				for _, v := range x.Data {
					if v != v {
						t.Fatalf("%s: NaN in the input tensor", c.preset)
					}
				}
			}
		})
	})
}
