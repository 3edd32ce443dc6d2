package imageio

import (
	"fmt"
	"image"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
)

// Preset is one named preprocessing recipe (see the package comment).
type Preset struct {
	Name string
	Doc  string // the exact steps, one line
	bgr  bool
	size sizing
	// crop is the centre crop's share of the resized shorter side for
	// sizeShortCrop (torchvision's 0.875, timm's crop_pct).
	crop   float64
	filter Filter
	// A pixel value p in 0..255 becomes ((p/div)·mul − mean[c]) / std[c],
	// in float32 and in this order, c the tensor's channel.
	div, mul  float32
	mean, std [3]float32
}

type sizing int

const (
	sizeExact      sizing = iota // resize to the input's H×W
	sizeShortCrop                // resize the shorter side to floor(S/crop), centre crop S
	sizeMultiple32               // symbolic H/W: the image's size rounded to multiples of 32
)

var imagenetMean = [3]float32{0.485, 0.456, 0.406}
var imagenetStd = [3]float32{0.229, 0.224, 0.225}

var presets = map[string]*Preset{
	"torchvision": {Name: "torchvision", Doc: "RGB; shorter side to 256 (bilinear, antialias); centre crop 224; /255; minus mean (0.485,0.456,0.406), over std (0.229,0.224,0.225)",
		size: sizeShortCrop, crop: 0.875, div: 255, mul: 1, mean: imagenetMean, std: imagenetStd},
	"timm": {Name: "timm", Doc: "RGB; shorter side to ⌊S/crop⌋ (bicubic, antialias; crop 0.875, or F with timm:crop=F as timm's crop_pct); centre crop S (224 when symbolic); /255; minus mean (0.485,0.456,0.406), over std (0.229,0.224,0.225)",
		size: sizeShortCrop, crop: 0.875, filter: Bicubic, div: 255, mul: 1, mean: imagenetMean, std: imagenetStd},
	"keras": {Name: "keras", Doc: "RGB; resize to the input (bilinear, antialias); x/127.5 − 1",
		div: 127.5, mul: 1, mean: [3]float32{1, 1, 1}, std: [3]float32{1, 1, 1}},
	"caffe": {Name: "caffe", Doc: "BGR; resize to the input (bilinear, antialias); 0–255 minus the mean pixel (103.939,116.779,123.68) in BGR order",
		bgr: true, div: 1, mul: 1, mean: [3]float32{103.939, 116.779, 123.68}, std: [3]float32{1, 1, 1}},
	"paddle": {Name: "paddle", Doc: "BGR; resize to the input (bilinear, antialias; symbolic H/W: the image's size in multiples of 32, longest side ≤ 960); ·(1/255); minus mean (0.485,0.456,0.406), over std (0.229,0.224,0.225) on B,G,R as PaddleOCR",
		bgr: true, size: sizeMultiple32, div: 1, mul: float32(1.0 / 255.0), mean: imagenetMean, std: imagenetStd},
	"imagenet": {Name: "imagenet", Doc: "RGB; resize to the input (bilinear, antialias; symbolic H/W: the image's size); /255; minus mean (0.485,0.456,0.406), over std (0.229,0.224,0.225): torchvision's segmentation models",
		div: 255, mul: 1, mean: imagenetMean, std: imagenetStd},
	"raw": {Name: "raw", Doc: "RGB; resize to the input (bilinear, antialias); 0–255 unscaled",
		div: 1, mul: 1, std: [3]float32{1, 1, 1}},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	var n []string
	for k := range presets {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// LookupPreset returns the named preset (case-insensitive). A preset that
// centre-crops (torchvision, timm) takes the crop share after a colon,
// "timm:crop=0.95": timm's crop_pct, the model's pretrained config (0.875
// unless it says otherwise; MobileNetV4 conv models use 0.95 at their 256
// test size).
func LookupPreset(name string) (*Preset, error) {
	base, opts, hasOpts := strings.Cut(name, ":")
	p, ok := presets[strings.ToLower(base)]
	if !ok {
		return nil, fmt.Errorf("unknown preset %q (presets: %s)", name, strings.Join(PresetNames(), ", "))
	}
	if !hasOpts {
		return p, nil
	}
	if p.size != sizeShortCrop {
		return nil, fmt.Errorf("preset %q: %s takes no options (crop=F is for torchvision and timm)", name, p.Name)
	}
	q := *p
	for _, o := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(o, "=")
		if strings.ToLower(k) != "crop" {
			return nil, fmt.Errorf("preset %q: unknown option %q (%s takes crop=F, 0 < F ≤ 1)", name, o, p.Name)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 1) {
			return nil, fmt.Errorf("preset %q: crop=%s is not a number in (0, 1] (the crop's share of the resized shorter side, timm's crop_pct)", name, v)
		}
		q.crop = f
	}
	return &q, nil
}

// Input describes an image input of a model, as read from its shape.
type Input struct {
	NHWC     bool // false: NCHW
	Channels int  // 1 or 3
	H, W     int  // ≤ 0: symbolic
	Batch    int  // ≤ 0: symbolic or absent
	Rank     int  // 3 (no batch dimension) or 4
}

// ParseInput reads a model input's shape: [N,C,H,W] or [N,H,W,C] (or the
// same without N) with C = 1 or 3; negative dimensions are symbolic. When
// both readings fit (C = 3 and W = 3), NCHW wins.
func ParseInput(shape []int) (Input, error) {
	var in Input
	s := shape
	switch len(shape) {
	case 4:
		in.Batch, in.Rank, s = shape[0], 4, shape[1:]
	case 3:
		in.Rank = 3
	default:
		return in, fmt.Errorf("input shape %v is not an image (want [N,3,H,W] or [N,H,W,3])", ir.Shape(shape))
	}
	switch {
	case s[0] == 3 || s[0] == 1:
		in.Channels, in.H, in.W = s[0], s[1], s[2]
	case s[2] == 3 || s[2] == 1:
		in.NHWC, in.Channels, in.H, in.W = true, s[2], s[0], s[1]
	default:
		return in, fmt.Errorf("input shape %v is not an image: no dimension of 1 or 3 channels (want [N,3,H,W] or [N,H,W,3])", ir.Shape(shape))
	}
	return in, nil
}

// Preprocess converts img into a tensor for a model input of the given
// shape with the named preset; the result has batch 1 (or no batch
// dimension when shape has rank 3) and every dimension known.
func Preprocess(img image.Image, preset string, shape []int) (*ir.Tensor, error) {
	return PreprocessBatch([]image.Image{img}, preset, shape)
}

// PreprocessBatch is Preprocess for several images, stacked along the batch
// dimension. A symbolic height or width takes the first image's size (after
// the preset's sizing); the others are resized to it.
func PreprocessBatch(imgs []image.Image, preset string, shape []int) (*ir.Tensor, error) {
	p, err := LookupPreset(preset)
	if err != nil {
		return nil, err
	}
	in, err := ParseInput(shape)
	if err != nil {
		return nil, err
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("no images")
	}
	if in.Rank == 3 && len(imgs) > 1 {
		return nil, fmt.Errorf("input shape %v has no batch dimension, got %d images", ir.Shape(shape), len(imgs))
	}
	if in.Batch > 0 && in.Batch != len(imgs) {
		return nil, fmt.Errorf("input shape %v takes a batch of %d, got %d images", ir.Shape(shape), in.Batch, len(imgs))
	}
	var t *ir.Tensor
	for i, img := range imgs {
		m, err := p.fit(img, in.H, in.W)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			in.H, in.W = m.Rect.Dy(), m.Rect.Dx()
			n, c := len(imgs), in.Channels
			if err := limits.Check(0, fmt.Sprintf("the input tensor of %d %d×%d images", n, in.W, in.H), limits.Mul(int64(n), int64(c), int64(in.H), int64(in.W), 4)); err != nil {
				return nil, err
			}
			switch {
			case in.Rank == 3 && in.NHWC:
				t = ir.NewTensor(in.H, in.W, c)
			case in.Rank == 3:
				t = ir.NewTensor(c, in.H, in.W)
			case in.NHWC:
				t = ir.NewTensor(n, in.H, in.W, c)
			default:
				t = ir.NewTensor(n, c, in.H, in.W)
			}
		}
		p.fill(t.Data[i*in.Channels*in.H*in.W:(i+1)*in.Channels*in.H*in.W], m, in)
	}
	return t, nil
}

// fit resizes (and for torchvision and timm crops) img to h×w, where h or w ≤ 0
// means the preset's default for a symbolic size. It refuses a resize
// whose images would be over the memory budget: resizing the shorter side
// of a 1×60000 picture to 256 pixels makes a 256×15360000 image.
func (p *Preset) fit(img image.Image, h, w int) (*image.NRGBA, error) {
	b := img.Bounds()
	switch p.size {
	case sizeShortCrop:
		if h <= 0 {
			h = 224
		}
		if w <= 0 {
			w = 224
		}
		n := p.shorterSide(min(h, w))
		rw, rh := shorterSide(b.Dx(), b.Dy(), n)
		if err := checkResize(b, rw, rh); err != nil {
			return nil, err
		}
		return CenterCrop(resizeShorter(img, n, p.filter), w, h), nil
	case sizeMultiple32:
		if h <= 0 || w <= 0 {
			ih, iw := b.Dy(), b.Dx()
			ratio := 1.0
			if max(ih, iw) > 960 {
				ratio = 960 / float64(max(ih, iw))
			}
			r32 := func(n int) int { return max(int(math.RoundToEven(float64(n)/32))*32, 32) }
			if h <= 0 {
				h = r32(int(float64(ih) * ratio))
			}
			if w <= 0 {
				w = r32(int(float64(iw) * ratio))
			}
		}
	default:
		if h <= 0 {
			h = b.Dy()
		}
		if w <= 0 {
			w = b.Dx()
		}
	}
	if err := checkResize(b, w, h); err != nil {
		return nil, err
	}
	return ResizeWith(img, w, h, p.filter), nil
}

// shorterSide is what a centre-cropping preset resizes the image's shorter
// side to before cropping s pixels: ⌊s/crop⌋ in float64, as Python's
// math.floor(s / crop_pct) in timm and int(s / 0.875) for torchvision.
// A tiny crop (1e-300 parses) makes it maxShorterSide, which the memory
// check then refuses: converting an out-of-range float to int is
// implementation-defined (amd64 gives a negative size).
func (p *Preset) shorterSide(s int) int {
	return int(min(math.Floor(float64(s)/p.crop), maxShorterSide))
}

// maxShorterSide bounds shorterSide, far above any image a budget allows
// and small enough that the longer side stays an int.
const maxShorterSide = 1 << 30

// checkResize checks what Resize(img of bounds b, w, h) allocates against
// the memory budget: an NRGBA copy of the source, the horizontal pass
// (w × the source's height, when the width changes) and the result.
func checkResize(b image.Rectangle, w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("resizing a %d×%d image to %d×%d pixels: the size must be positive", b.Dx(), b.Dy(), w, h)
	}
	src, pass, dst := limits.Mul(int64(b.Dx()), int64(b.Dy())), int64(0), limits.Mul(int64(w), int64(h))
	if w != b.Dx() {
		pass = limits.Mul(int64(w), int64(b.Dy()))
	}
	return limits.Check(0, fmt.Sprintf("resizing a %d×%d image to %d×%d pixels", b.Dx(), b.Dy(), w, h), limits.Mul(4, satAdd(src, pass, dst)))
}

func satAdd(xs ...int64) int64 {
	var s int64
	for _, x := range xs {
		if x < 0 || s > math.MaxInt64-x {
			return math.MaxInt64
		}
		s += x
	}
	return s
}

// fill writes one image's normalised values into dst (one batch entry).
func (p *Preset) fill(dst []float32, m *image.NRGBA, in Input) {
	h, w, c := in.H, in.W, in.Channels
	var lut [3][256]float32
	for ch := 0; ch < 3; ch++ {
		for v := 0; v < 256; v++ {
			lut[ch][v] = (float32(v)/p.div*p.mul - p.mean[ch]) / p.std[ch]
		}
	}
	src := [3]int{0, 1, 2} // tensor channel -> NRGBA byte
	if p.bgr {
		src = [3]int{2, 1, 0}
	}
	for y := 0; y < h; y++ {
		row := m.Pix[y*m.Stride:]
		for x := 0; x < w; x++ {
			px := row[4*x : 4*x+4]
			for ch := 0; ch < c; ch++ {
				var v float32
				if c == 1 {
					// PIL's convert("L"): (R·299 + G·587 + B·114) / 1000, rounded.
					l := (int(px[0])*19595 + int(px[1])*38470 + int(px[2])*7471 + 0x8000) >> 16
					v = lut[0][l]
				} else {
					v = lut[ch][px[src[ch]]]
				}
				if in.NHWC {
					dst[(y*w+x)*c+ch] = v
				} else {
					dst[(ch*h+y)*w+x] = v
				}
			}
		}
	}
}
