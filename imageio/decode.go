package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // GIF decoder
	_ "image/jpeg" // JPEG decoder
	_ "image/png"  // PNG decoder
	"io"
	"os"

	_ "golang.org/x/image/bmp"  // BMP decoder
	_ "golang.org/x/image/tiff" // TIFF decoder
	_ "golang.org/x/image/webp" // WebP decoder
)

// Formats are the image formats Decode reads.
const Formats = "PNG, JPEG, GIF, WebP, BMP or TIFF"

// MaxPixels bounds the images Decode accepts (width × height), so that a
// small file claiming a huge picture is refused before its pixels are
// allocated.
const MaxPixels = 1 << 27 // 134 megapixels, 512 MiB as RGBA

// Decode reads one image (the first frame of a GIF) in any of Formats and
// returns it with its format name ("png", "jpeg", ...).
func Decode(r io.Reader) (image.Image, string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, "", err
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err == nil && int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, format, fmt.Errorf("%s image of %d×%d pixels: more than the %d megapixels mnc decodes", format, cfg.Width, cfg.Height, MaxPixels/1000000)
	}
	img, format, err := image.Decode(bytes.NewReader(b))
	if errors.Is(err, image.ErrFormat) {
		return nil, "", fmt.Errorf("not a %s image", Formats)
	}
	if err != nil {
		if format != "" {
			return nil, format, fmt.Errorf("bad %s image: %v", format, err)
		}
		return nil, "", fmt.Errorf("bad image: %v", err)
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, format, fmt.Errorf("empty %s image (%dx%d)", format, b.Dx(), b.Dy())
	}
	if y, ok := img.(*image.YCbCr); ok {
		if m := libjpegRGB(y); m != nil {
			return m, format, nil
		}
	}
	return img, format, nil
}

// Load reads and decodes the image file at path; errors name the file.
func Load(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return img, nil
}
