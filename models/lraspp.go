package models

import (
	"fmt"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
)

func init() {
	const name = "lraspp_mobilenet_v3_large"
	families[name] = family{eps: 1e-3, calRes: 1 << 20} // calibrated at its own H×W: the resizes have fixed sizes
	multiFamilies[name] = multiFamily{build: buildLRASPP, outs: []string{"out"}, res: 520, classes: 21, anyShape: true}
	aliases["lraspp"] = name
}

// lrasppDilated is the first row (0-based, in v3Large) of the dilated last
// stage: torchvision's mobilenet_v3_large(dilated=True) runs features[13..15]
// with stride 1 and dilation 2, so the backbone's output stride is 16.
const lrasppDilated = 12

// buildLRASPP is torchvision's lraspp_mobilenet_v3_large (Howard et al.
// 2019, §6.3): the dilated MobileNetV3-Large backbone (features[0..16],
// torchvision's IntermediateLayerGetter names backbone.i) giving "low" =
// features[4] (40 channels, stride 8) and "high" = features[16] (960
// channels, stride 16); the LR-ASPP head
//
//	x = relu(bn(conv1×1(high) → 128))                     classifier.cbr
//	s = sigmoid(conv1×1(avgpool(high)) → 128)             classifier.scale
//	x = bilinear(x·s, size of low)
//	y = conv1×1(low) → classes + conv1×1(x) → classes     low/high_classifier (with bias)
//
// and a bilinear resize of y to the input's size: output "out" [N,
// classes, H, W]. Any H×W works (torchvision's rounding of odd sizes
// included: the resizes take the feature maps' sizes).
func buildLRASPP(b *frontend.Builder, x *ir.Value, s Spec) []*ir.Value {
	adj := func(c int) int { return frontend.MakeDivisible(float64(c)*s.Alpha, 8) }
	h, w := x.Shape[2], x.Shape[3]
	x = b.ConvBNAct("backbone.0", x, adj(16), 3, 2, 1, frontend.HSwish)
	var low *ir.Value
	for i, r := range v3Large {
		p := fmt.Sprintf("backbone.%d", i+1)
		c := frontend.InvertedResidual{Expand: adj(r.exp), Out: adj(r.out), Stride: r.s, Kernel: r.k, SE: r.se, Act: r.act, Style: frontend.StyleV3}
		dilated := i >= lrasppDilated
		if dilated {
			c.Stride = 1
		}
		in := frontend.Channels(x)
		x = b.InvertedResidual(p, x, c)
		if dilated {
			dw := p + ".block.1.0"
			if c.Expand == in {
				dw = p + ".block.0.0"
			}
			b.Dilate(valueNamed(b.G, dw), 2)
		}
		if i+1 == 4 {
			low = x
		}
	}
	high := b.ConvBNAct("backbone.16", x, 6*frontend.Channels(x), 1, 1, 1, frontend.HSwish)
	const inter = 128
	y := b.ConvBNAct("classifier.cbr", high, inter, 1, 1, 1, frontend.ReLU)
	sc := b.GlobalAvgPool("classifier.scale.0", high)
	sc = b.Conv("classifier.scale.1", sc, inter, 1, 1, 1, false, 1)
	sc = b.Sigmoid("classifier.scale.2", sc)
	y = b.Mul("classifier.mul", y, sc)
	if b.Err() != nil || low == nil {
		return []*ir.Value{y}
	}
	y = b.ResizeBilinear("classifier.interpolate", y, low.Shape[2], low.Shape[3])
	lo := b.Conv("classifier.low_classifier", low, s.Classes, 1, 1, 1, true, 1)
	hi := b.Conv("classifier.high_classifier", y, s.Classes, 1, 1, 1, true, 1)
	out := b.Add("classifier.add", lo, hi)
	return []*ir.Value{b.ResizeBilinear("interpolate", out, h, w)}
}

// valueNamed is the output of the node called name (nil when none is).
func valueNamed(g *ir.Graph, name string) *ir.Value {
	for _, n := range g.Nodes {
		if n.Name == name {
			return n.Output()
		}
	}
	return nil
}
