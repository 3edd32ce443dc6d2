package models

import (
	"fmt"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
)

// SSDLite is the anchor layout of torchvision's ssdlite320_mobilenet_v3_large:
// six feature maps, each with 2+2·len(AspectRatios) = 6 default boxes per
// location. Package detect builds the default boxes from these numbers.
var SSDLite = struct {
	AspectRatios [][]float64 // per feature map
	MinRatio     float64
	MaxRatio     float64
	Maps         []int // feature-map sizes at the 320×320 input
}{
	AspectRatios: [][]float64{{2, 3}, {2, 3}, {2, 3}, {2, 3}, {2, 3}, {2, 3}},
	MinRatio:     0.2, MaxRatio: 0.95,
	Maps: []int{20, 10, 5, 3, 2, 1},
}

func init() {
	const name = "ssdlite320_mobilenet_v3_large"
	families[name] = family{eps: 1e-3}
	multiFamilies[name] = multiFamily{build: buildSSDLite, outs: []string{"cls_logits", "bbox_regression"}, res: 320, classes: 91, calMinSamples: detectorMinSamples}
	aliases["ssdlite"] = name
	aliases["ssdlite320"] = name
}

// detectorMinSamples is the detectors' calMinSamples: BatchNorms that see
// fewer values per channel (3×3 maps and smaller) get pooled statistics.
const detectorMinSamples = 16

// ssdliteBackbone is MobileNet V3-Large with the reduced tail (torchvision's
// reduced_tail=True: the last stage's widths halved, 672→80, 480, 480→80).
var ssdliteBackbone = func() []v3Row {
	rows := append([]v3Row(nil), v3Large...)
	rows[12].out = 160 / 2
	rows[13].exp, rows[13].out = 960/2, 160/2
	rows[14].exp, rows[14].out = 960/2, 160/2
	return rows
}()

// ssdliteC4 is the index (in v3Large rows) of the block whose expansion conv
// gives the first feature map: torchvision's c4_pos = 13 (features[13], the
// first block of the stride-32 stage), 0-based row 12.
const ssdliteC4 = 12

// buildSSDLite is torchvision's ssdlite320_mobilenet_v3_large (Liu et al.
// SSD with the MobileNetV2 paper's SSDLite heads on MobileNetV3-Large,
// reduced tail, width 1): the backbone split after the expansion conv of
// features[13] (C4, 672 channels at stride 16) and at its end (480 channels
// at stride 32), four extra blocks (1×1 → depthwise 3×3 stride 2 → 1×1,
// ReLU6, BatchNorm) to 512, 256, 256, 128 channels, and on each of the six
// maps a classification and a regression head (depthwise 3×3 + BatchNorm +
// ReLU6, then a 1×1 conv with bias to anchors·classes or anchors·4). Each
// head's [N, A·K, H, W] becomes [N, H·W·A, K] (see frontend.AnchorsLast) and the
// six are concatenated on axis 1:
// outputs cls_logits [N, 3234, classes] and bbox_regression [N, 3234, 4] at
// 320×320. Layer names follow torchvision's state dict.
func buildSSDLite(b *frontend.Builder, x *ir.Value, s Spec) []*ir.Value {
	adj := func(c int) int { return frontend.MakeDivisible(float64(c)*s.Alpha, 8) }
	f0 := "backbone.features.0"
	x = b.ConvBNAct(f0+".0", x, adj(16), 3, 2, 1, frontend.HSwish)
	var maps []*ir.Value
	for i, r := range ssdliteBackbone {
		c := frontend.InvertedResidual{Expand: adj(r.exp), Out: adj(r.out), Stride: r.s, Kernel: r.k, SE: r.se, Act: r.act, Style: frontend.StyleV3}
		if i < ssdliteC4 {
			x = b.InvertedResidual(fmt.Sprintf("%s.%d", f0, i+1), x, c)
			continue
		}
		if i > ssdliteC4 {
			x = b.InvertedResidual(fmt.Sprintf("backbone.features.1.%d", i-ssdliteC4), x, c)
			continue
		}
		// features[13] split: its expansion ends features.0, the rest
		// (depthwise, SE, projection) starts features.1 as features.1.0.
		x = b.ConvBNAct(fmt.Sprintf("%s.%d", f0, i+1), x, c.Expand, 1, 1, 1, c.Act)
		maps = append(maps, x)
		c.Flat = true
		x = b.InvertedResidual("backbone.features.1.0", x, c)
	}
	x = b.ConvBNAct(fmt.Sprintf("backbone.features.1.%d", len(ssdliteBackbone)-ssdliteC4), x, 6*frontend.Channels(x), 1, 1, 1, frontend.HSwish)
	maps = append(maps, x)
	depth := func(d int) int { return max(16, int(float64(d)*s.Alpha)) }
	for i, out := range []int{depth(512), depth(256), depth(256), depth(128)} {
		x = b.ExtraBlock(fmt.Sprintf("backbone.extra.%d", i), x, out, 3, 2, frontend.ReLU6)
		maps = append(maps, x)
	}
	anchors := make([]int, len(maps))
	for i := range anchors {
		anchors[i] = 2 + 2*len(SSDLite.AspectRatios[i])
	}
	return []*ir.Value{
		b.SSDLiteHead("head.classification_head", maps, anchors, s.Classes, 3, frontend.ReLU6),
		b.SSDLiteHead("head.regression_head", maps, anchors, 4, 3, frontend.ReLU6),
	}
}
