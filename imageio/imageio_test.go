package imageio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/internal/hostile"
	"github.com/mnc-go/mnc/limits"
)

// The fixtures in testdata were made by PIL 9.4 (Debian python3-pil) with
// testdata/pil.py.

func load(t *testing.T, name string) image.Image {
	t.Helper()
	img, err := Load(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func readF32(t *testing.T, name string) []float32 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// pixelDiff compares the RGB channels of two images: the largest and mean
// absolute difference in 8-bit levels.
func pixelDiff(t *testing.T, a, b image.Image) (maxd int, mean float64) {
	t.Helper()
	na, nb := NRGBA(a), NRGBA(b)
	if na.Rect.Size() != nb.Rect.Size() {
		t.Fatalf("sizes differ: %v vs %v", na.Rect.Size(), nb.Rect.Size())
	}
	var sum, n int
	for y := 0; y < na.Rect.Dy(); y++ {
		for x := 0; x < na.Rect.Dx(); x++ {
			for c := 0; c < 3; c++ {
				d := int(na.Pix[y*na.Stride+4*x+c]) - int(nb.Pix[y*nb.Stride+4*x+c])
				if d < 0 {
					d = -d
				}
				maxd = max(maxd, d)
				sum += d
				n++
			}
		}
	}
	return maxd, float64(sum) / float64(n)
}

func TestDecodeFormats(t *testing.T) {
	for _, c := range []struct {
		file, want string
		maxDiff    int // in 8-bit levels against PIL's decoding
	}{
		{"src.gif", "dec_gif.png", 0},
		{"src.webp", "src.png", 0},
		{"src.tiff", "src.png", 0},
		{"src.bmp", "small.png", 0},
		// libjpeg-turbo's IDCT rounds differently from Go's (upsampling
		// and colour conversion are libjpeg's: without them, 87 levels).
		{"src.jpg", "dec_jpg.png", 4},
	} {
		got := load(t, c.file)
		maxd, mean := pixelDiff(t, got, load(t, c.want))
		t.Logf("%s: max %d, mean %.3f levels from PIL", c.file, maxd, mean)
		if maxd > c.maxDiff || mean > 0.1 {
			t.Errorf("%s: differs from PIL's decoding by up to %d levels (mean %.3f), want ≤ %d", c.file, maxd, mean, c.maxDiff)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	if _, _, err := Decode(strings.NewReader("hello, not an image")); err == nil || !strings.Contains(err.Error(), "not a PNG") {
		t.Errorf("text: got %v", err)
	}
	b, _ := os.ReadFile("testdata/src.png")
	if _, _, err := Decode(bytes.NewReader(b[:200])); err == nil || !strings.Contains(err.Error(), "bad png image") {
		t.Errorf("truncated PNG: got %v", err)
	}
	// a PNG header claiming 60000×60000 pixels, and nothing else
	ihdr := []byte("IHDR\x00\x00\xea\x60\x00\x00\xea\x60\x08\x02\x00\x00\x00")
	hdr := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...)
	hdr = binary.BigEndian.AppendUint32(hdr, crc32.ChecksumIEEE(ihdr))
	if _, _, err := Decode(bytes.NewReader(hdr)); err == nil || !strings.Contains(err.Error(), "60000×60000 pixels") {
		t.Errorf("huge PNG: got %v", err)
	}
	if _, err := Load("testdata/missing.png"); err == nil {
		t.Error("missing file: no error")
	}
}

// TestDecodeBudget: a picture within MaxPixels is still refused before its
// pixels (and, for a PNG, two rows of them) are allocated when decoding it
// would take more than the memory budget. A 2^27×1 PNG header made the
// decoder allocate 1.4 GB (two 384 MB rows and a 512 MB image): Go's fatal
// out-of-memory error under ulimit -v 2000000.
func TestDecodeBudget(t *testing.T) {
	limits.SetMaxMemory(64 << 20)
	defer limits.SetMaxMemory(0)
	for _, c := range []struct {
		w, h uint32
		want string
	}{
		{1 << 27, 1, "decoding the png image of 134217728×1 pixels needs 3.50 GiB, more than the memory budget of 64.0 MiB"},
		{4000, 4000, "decoding the png image of 4000×4000 pixels needs 183.2 MiB"},
		{0, 10, "non-positive dimension"},
	} {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, _, err := Decode(bytes.NewReader(hostile.PNGClaiming(c.w, c.h)))
		runtime.ReadMemStats(&m1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d×%d: got %v, want %q", c.w, c.h, err, c.want)
		}
		if a := m1.TotalAlloc - m0.TotalAlloc; a > 1<<20 {
			t.Errorf("%d×%d: allocated %d bytes before failing", c.w, c.h, a)
		}
	}
}

// TestLoadRefusesDevices: Load reads with the budget's bound and refuses
// devices; `mnc run -image /dev/zero` read until Go's fatal out-of-memory
// error.
func TestLoadRefusesDevices(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	if _, err := Load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "image /dev/zero is a device") {
		t.Errorf("/dev/zero: %v", err)
	}
	limits.SetMaxMemory(1 << 10)
	defer limits.SetMaxMemory(0)
	if _, _, err := Decode(io.LimitReader(zeros{}, 1<<20)); err == nil || !strings.Contains(err.Error(), "more than the 1.0 KiB allowed") {
		t.Errorf("1 MiB of zeros with a 1 KiB budget: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestPreprocessBudget: a narrow picture whose shorter side torchvision's
// preset scales to 256 (a 1×60000 PNG of 180 KB would become 256×15360000,
// 15.7 GB) and a symbolic input the image's own size is too large for are
// refused with the sizes, not allocated.
func TestPreprocessBudget(t *testing.T) {
	limits.SetMaxMemory(64 << 20)
	defer limits.SetMaxMemory(0)
	narrow := image.NewNRGBA(image.Rect(0, 0, 1, 60000))
	if _, err := Preprocess(narrow, "torchvision", []int{1, 3, 224, 224}); err == nil || !strings.Contains(err.Error(), "resizing a 1×60000 image to 256×15360000 pixels needs") {
		t.Errorf("torchvision on 1×60000: %v", err)
	}
	big := image.NewNRGBA(image.Rect(0, 0, 2500, 2500))
	if _, err := Preprocess(big, "imagenet", []int{1, 3, -1, -1}); err == nil || !strings.Contains(err.Error(), "the input tensor of 1 2500×2500 images needs 71.5 MiB") {
		t.Errorf("imagenet on 2500×2500 with a symbolic input: %v", err)
	}
	if _, err := Preprocess(big, "keras", []int{1, 3, 224, 224}); err != nil {
		t.Errorf("keras on 2500×2500 to 224×224: %v", err)
	}
}

// TestResizeMatchesPIL: Resize is PIL's bilinear resize bit for bit.
func TestResizeMatchesPIL(t *testing.T) {
	src := load(t, "src.png")
	for _, sz := range [][2]int{{57, 41}, {211, 150}, {160, 77}, {23, 17}, {300, 120}} {
		want := load(t, fmt.Sprintf("rs_%dx%d.png", sz[0], sz[1]))
		got := Resize(src, sz[0], sz[1])
		if maxd, mean := pixelDiff(t, got, want); maxd != 0 {
			t.Errorf("%dx%d: differs from PIL by up to %d levels (mean %.4f)", sz[0], sz[1], maxd, mean)
		}
	}
}

// TestResizeBicubicMatchesPIL: ResizeWith(Bicubic) is PIL's
// Image.BICUBIC resize bit for bit, shrinking (antialias), enlarging and
// both at once.
func TestResizeBicubicMatchesPIL(t *testing.T) {
	src := load(t, "src.png")
	for _, sz := range [][2]int{{57, 41}, {211, 150}, {160, 77}, {23, 17}, {300, 120}} {
		want := load(t, fmt.Sprintf("rsc_%dx%d.png", sz[0], sz[1]))
		got := ResizeWith(src, sz[0], sz[1], Bicubic)
		maxd, mean := pixelDiff(t, got, want)
		t.Logf("%dx%d: max %d, mean %.4f levels from PIL", sz[0], sz[1], maxd, mean)
		if maxd != 0 {
			t.Errorf("%dx%d: differs from PIL by up to %d levels (mean %.4f)", sz[0], sz[1], maxd, mean)
		}
		if bl := Resize(src, sz[0], sz[1]); bytes.Equal(bl.Pix, got.Pix) {
			t.Errorf("%dx%d: bicubic and bilinear agree: the filter is not used", sz[0], sz[1])
		}
	}
}

// TestTimmCrop: the shorter side before the centre crop is
// math.floor(S / crop_pct) as timm computes it in float64 (values from
// Python), and crop= parses into it.
func TestTimmCrop(t *testing.T) {
	for _, c := range []struct {
		preset string
		s, n   int
	}{
		{"timm", 224, 256},
		{"timm", 256, 292},
		{"timm:crop=0.95", 256, 269},
		{"timm:crop=0.95", 224, 235},
		{"TIMM:Crop=1", 320, 320},
		{"timm:crop=1.0", 448, 448},
		{"timm:crop=0.9", 288, 320},
		{"torchvision", 224, 256},
		{"torchvision:crop=0.95", 64, 67},
	} {
		p, err := LookupPreset(c.preset)
		if err != nil {
			t.Fatalf("%s: %v", c.preset, err)
		}
		if n := p.shorterSide(c.s); n != c.n {
			t.Errorf("%s at %d: shorter side %d, want %d", c.preset, c.s, n, c.n)
		}
	}
	if p, _ := LookupPreset("timm:crop=0.95"); presets["timm"].crop != 0.875 || p.filter != Bicubic {
		t.Errorf("crop= changed the table (%v) or lost the filter", presets["timm"].crop)
	}
	for _, c := range []struct{ preset, want string }{
		{"timm:crop=1.5", "crop=1.5 is not a number in (0, 1]"},
		{"timm:crop=0", "crop=0 is not a number in (0, 1]"},
		{"timm:crop=-0.9", "is not a number in (0, 1]"},
		{"timm:crop=NaN", "is not a number in (0, 1]"},
		{"timm:crop=", "is not a number in (0, 1]"},
		{"timm:crop=abc", "is not a number in (0, 1]"},
		{"timm:", `unknown option ""`},
		{"timm:size=3", `unknown option "size=3"`},
		{"keras:crop=0.9", "keras takes no options"},
		{"nonesuch:crop=0.9", "unknown preset"},
	} {
		_, err := LookupPreset(c.preset)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want one line with %q", c.preset, err, c.want)
		}
	}
}

// compare checks a preprocessed tensor against PIL+numpy's: mean |diff| ≤
// 1/255 and max ≤ 3/255 (the bound); PIL-exact resizing makes them
// agree to float32 rounding.
func compare(t *testing.T, name string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	var maxd, sum float64
	for i := range got {
		d := math.Abs(float64(got[i] - want[i]))
		maxd = max(maxd, d)
		sum += d
	}
	mean := sum / float64(len(got))
	t.Logf("%s: max |diff| %.3g, mean %.3g", name, maxd, mean)
	if mean > 1.0/255 || maxd > 3.0/255 {
		t.Errorf("%s: max |diff| %.4f, mean %.4f from PIL (want ≤ 3/255, 1/255)", name, maxd, mean)
	}
}

func TestPresetsMatchPIL(t *testing.T) {
	src := load(t, "src.png")
	for _, c := range []struct {
		preset string
		shape  []int
		fixt   string
	}{
		{"torchvision", []int{1, 3, 64, 64}, "tv_64.bin"},
		{"keras", []int{1, 40, 56, 3}, "keras_40x56.bin"},
		{"paddle", []int{1, 3, 40, 56}, "paddle_40x56.bin"},
		{"caffe", []int{1, 3, 40, 56}, "caffe_40x56.bin"},
		{"raw", []int{1, 1, 40, 56}, "gray_40x56.bin"},
		{"timm:crop=0.95", []int{1, 3, 64, 64}, "timm_64_c95.bin"},
	} {
		x, err := Preprocess(src, c.preset, c.shape)
		if err != nil {
			t.Fatal(err)
		}
		if !x.Shape.Equal(c.shape) {
			t.Errorf("%s: shape %v, want %v", c.preset, x.Shape, c.shape)
		}
		compare(t, c.preset, x.Data, readF32(t, c.fixt))
	}
	// torchvision at 224 with a symbolic input: PIL's crop normalised as
	// torchvision's ToTensor and Normalize do.
	x, err := Preprocess(src, "torchvision", []int{-1, 3, -1, -1})
	if err != nil {
		t.Fatal(err)
	}
	if !x.Shape.Equal([]int{1, 3, 224, 224}) {
		t.Fatalf("shape %v", x.Shape)
	}
	crop := NRGBA(load(t, "tv_224.png"))
	want := make([]float32, 3*224*224)
	for c := 0; c < 3; c++ {
		for i := 0; i < 224*224; i++ {
			want[c*224*224+i] = (float32(crop.Pix[4*i+c])/255 - imagenetMean[c]) / imagenetStd[c]
		}
	}
	compare(t, "torchvision 224", x.Data, want)

	// timm at 224 (crop_pct 0.875, bicubic) with a symbolic input.
	x, err = Preprocess(src, "timm", []int{1, 3, -1, -1})
	if err != nil {
		t.Fatal(err)
	}
	crop = NRGBA(load(t, "timm_224.png"))
	for c := 0; c < 3; c++ {
		for i := 0; i < 224*224; i++ {
			want[c*224*224+i] = (float32(crop.Pix[4*i+c])/255 - imagenetMean[c]) / imagenetStd[c]
		}
	}
	compare(t, "timm 224", x.Data, want)
}

// TestPaddleOCRInput: the paddle preset on the shared document image gives
// the input PaddleOCR's preprocessing gave (../shared/models/real).
func TestPaddleOCRInput(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "models", "real")
	if _, err := os.Stat(filepath.Join(dir, "doc.png")); err != nil {
		t.Skip("no ../shared/models/real/doc.png")
	}
	img, err := Load(filepath.Join(dir, "doc.png"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := Preprocess(img, "paddle", []int{-1, 3, -1, -1})
	if err != nil {
		t.Fatal(err)
	}
	if !x.Shape.Equal([]int{1, 3, 320, 480}) {
		t.Fatalf("shape %v, want [1 3 320 480]", x.Shape)
	}
	b, err := os.ReadFile(filepath.Join(dir, "doc_320x480.in.bin"))
	if err != nil {
		t.Skip(err)
	}
	want := make([]float32, len(b)/4)
	for i := range want {
		want[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	compare(t, "paddle doc", x.Data, want)
}

func TestPreprocessBatchAndErrors(t *testing.T) {
	src := load(t, "src.png")
	x, err := PreprocessBatch([]image.Image{src, load(t, "small.png")}, "keras", []int{-1, 32, 48, 3})
	if err != nil {
		t.Fatal(err)
	}
	one, _ := Preprocess(src, "keras", []int{1, 32, 48, 3})
	if !x.Shape.Equal([]int{2, 32, 48, 3}) || x.Data[100] != one.Data[100] {
		t.Errorf("batch: shape %v", x.Shape)
	}
	for _, c := range []struct {
		preset string
		shape  []int
		want   string
	}{
		{"nonesuch", []int{1, 3, 8, 8}, "unknown preset"},
		{"keras", []int{1, 1000}, "not an image"},
		{"keras", []int{1, 5, 8, 8}, "not an image"},
		{"keras", []int{2, 3, 8, 8}, "batch of 2"},
	} {
		if _, err := Preprocess(src, c.preset, c.shape); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: got %v, want %q", c.preset, c.shape, err, c.want)
		}
	}
}

func TestDraw(t *testing.T) {
	img := Canvas(image.NewRGBA(image.Rect(0, 0, 40, 30)))
	red := color.RGBA{255, 0, 0, 255}
	DrawRect(img, image.Rect(5, 5, 20, 15), red, 2)
	if img.RGBAAt(5, 10) != red || img.RGBAAt(6, 10) != red || img.RGBAAt(7, 10) == red || img.RGBAAt(10, 10) == red {
		t.Error("DrawRect: wrong outline")
	}
	DrawPolygon(img, []image.Point{{25, 2}, {38, 2}, {38, 20}}, Palette(1), 1)
	if img.RGBAAt(30, 2) != Palette(1) || img.RGBAAt(38, 10) != Palette(1) || img.RGBAAt(31, 11) != Palette(1) {
		t.Error("DrawPolygon: edges missing")
	}
	DrawLabel(img, image.Pt(30, 25), "cat", Palette(0)) // moved inside
	if img.RGBAAt(39, 29) != Palette(0) && img.RGBAAt(39, 29).R != 255 {
		t.Errorf("DrawLabel: corner %v", img.RGBAAt(39, 29))
	}
	path := filepath.Join(t.TempDir(), "out.png")
	if err := SavePNG(path, img); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if maxd, _ := pixelDiff(t, back, img); maxd != 0 {
		t.Error("SavePNG: the image read back differs")
	}
}

// TestNRGBASharesOpaqueRGBA: an opaque *image.RGBA (the PNG decoder's RGB
// result) becomes an NRGBA over the same pixels, without a copy; one with
// transparency is converted (un-premultiplied) into a new image as before.
func TestNRGBASharesOpaqueRGBA(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range m.Pix {
		m.Pix[i] = uint8(40 * (i % 4))
	}
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 255
	}
	n := NRGBA(m)
	if &n.Pix[0] != &m.Pix[0] || n.Stride != m.Stride || n.Rect != m.Rect {
		t.Fatal("an opaque RGBA image was copied")
	}
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			if a, b := color.NRGBAModel.Convert(m.At(x, y)), n.At(x, y); a != b {
				t.Fatalf("pixel (%d,%d): %v, want %v", x, y, b, a)
			}
		}
	}
	m.Pix[3] = 128 // not opaque: converted
	m.Pix[0] = 64
	n = NRGBA(m)
	if &n.Pix[0] == &m.Pix[0] {
		t.Fatal("a translucent RGBA image was shared, not converted")
	}
	if a, b := color.NRGBAModel.Convert(m.At(0, 0)), n.At(0, 0); a != b {
		t.Fatalf("translucent pixel: %v, want %v", b, a)
	}
}

// TestImageBytesPerPixel: what a decoded picture held for a batch costs,
// by the decoders' own image types (a 16-bit PNG holds 8 bytes a pixel,
// not the 4 of RGBA).
func TestImageBytesPerPixel(t *testing.T) {
	r := image.Rect(0, 0, 3, 2)
	for _, c := range []struct {
		img  image.Image
		want int64
	}{
		{image.NewGray(r), 1},
		{image.NewGray16(r), 2},
		{image.NewRGBA(r), 4},
		{image.NewNRGBA(r), 4},
		{image.NewRGBA64(r), 8},
		{image.NewNRGBA64(r), 8},
		{image.NewYCbCr(r, image.YCbCrSubsampleRatio444), 4},
		{image.NewPaletted(r, color.Palette{color.Black, color.White}), 1},
	} {
		if got := ImageBytesPerPixel(c.img.ColorModel()); got != c.want {
			t.Errorf("%T: %d bytes a pixel, want %d", c.img, got, c.want)
		}
		// The bound holds for the image's own storage.
		if got := ImageBytesPerPixel(c.img.ColorModel()) * int64(r.Dx()*r.Dy()); got < storage(c.img) {
			t.Errorf("%T: bound %d bytes < storage %d", c.img, got, storage(c.img))
		}
	}
}

// storage is the bytes an image's pixel slices hold (Pix, or YCbCr's
// three planes).
func storage(img image.Image) int64 {
	v := reflect.ValueOf(img).Elem()
	if y := v.FieldByName("Y"); y.IsValid() {
		return int64(y.Len() + v.FieldByName("Cb").Len() + v.FieldByName("Cr").Len())
	}
	return int64(v.FieldByName("Pix").Len())
}
