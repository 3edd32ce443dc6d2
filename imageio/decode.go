package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // GIF decoder
	_ "image/jpeg" // JPEG decoder
	_ "image/png"  // PNG decoder
	"io"

	"github.com/mnc-go/mnc/limits"
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

// DecodeBytesPerPixel bounds what decoding allocates a pixel: the decoder's
// image (up to 8 bytes for 16-bit RGBA) and the NRGBA copy preprocessing
// makes (4).
const DecodeBytesPerPixel = 12

// DecodeCost is what decoding a w×h image may allocate: its pixels
// (DecodeBytesPerPixel each) and a decoder's row buffers (PNG keeps two
// rows of up to 8 bytes a pixel, so a 2^27×1 picture's rows alone are
// 2 GiB). It saturates instead of overflowing.
func DecodeCost(w, h int) int64 {
	return limits.Mul(int64(w), int64(h), DecodeBytesPerPixel) + limits.Mul(int64(w), 16)
}

// ImageBytesPerPixel is the most bytes a pixel of a decoded image of
// colour model m takes (8 when m is not one the standard decoders make):
// what holding a decoded picture costs. (Decoding may take more: a
// progressive JPEG keeps its coefficients too, hence DecodeCost's bound.)
func ImageBytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel, color.NYCbCrAModel:
		return 4 // 4:4:4 planes, with alpha
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// Decode reads one image (the first frame of a GIF) in any of Formats and
// returns it with its format name ("png", "jpeg", ...). It reads at most
// the memory budget (limits.MaxMemory) from r, and refuses, before its
// pixels are allocated, a picture of more than MaxPixels or whose
// DecodeCost is over the budget: a 57-byte PNG may claim 65535×65535.
func Decode(r io.Reader) (image.Image, string, error) {
	max := limits.MaxMemory()
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, "", err
	}
	if int64(len(b)) > max {
		return nil, "", fmt.Errorf("image file has more than the %s allowed", limits.Size(max))
	}
	return decodeBytes(b)
}

func decodeBytes(b []byte) (image.Image, string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err == nil {
		if cfg.Width <= 0 || cfg.Height <= 0 {
			return nil, format, fmt.Errorf("empty %s image (%dx%d)", format, cfg.Width, cfg.Height)
		}
		if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
			return nil, format, fmt.Errorf("%s image of %d×%d pixels: more than the %d megapixels mnc decodes", format, cfg.Width, cfg.Height, MaxPixels/1000000)
		}
		if err := limits.Check(0, fmt.Sprintf("decoding the %s image of %d×%d pixels", format, cfg.Width, cfg.Height), DecodeCost(cfg.Width, cfg.Height)); err != nil {
			return nil, format, err
		}
	}
	// An image whose header does not decode is not decoded either: the
	// checks above would not have seen its size.
	if err != nil {
		return nil, format, decodeError(format, err)
	}
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, format, decodeError(format, err)
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

func decodeError(format string, err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		return fmt.Errorf("not a %s image", Formats)
	case format != "":
		return fmt.Errorf("bad %s image: %v", format, err)
	}
	return fmt.Errorf("bad image: %v", err)
}

// Load reads and decodes the image file at path; errors name the file. It
// reads regular files and pipes of at most the memory budget, and refuses
// directories and devices (/dev/zero) before reading.
func Load(path string) (image.Image, error) {
	b, err := limits.ReadFile(path, "image", 0)
	if err != nil {
		return nil, err
	}
	img, _, err := decodeBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return img, nil
}
