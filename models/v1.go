package models

import (
	"fmt"
	"math"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
)

// v1Layers are the 13 depthwise-separable layers of MobileNet V1 (paper
// Table 1): pointwise output channels and depthwise stride. The paper's
// table prints the second-to-last stride as 2; it is 1 (the spatial size
// stays 7×7), as every implementation has it.
var v1Layers = []struct{ out, stride int }{
	{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
	{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1},
}

// v1Channels applies V1's width multiplier: int(c·α), as the paper and
// DESIGN.md define it (no rounding to a multiple of 8).
func v1Channels(c int, alpha float64) int {
	return int(math.Floor(float64(c)*alpha + 1e-9))
}

// buildV1 is MobileNet V1 (Howard et al. 2017) with ReLU6, or with
// fullConv the paper's "Conv MobileNet" baseline (Table 4) where every
// depthwise-separable layer is one full 3×3 conv.
func buildV1(b *frontend.Builder, x *ir.Value, s Spec, fullConv bool) *ir.Value {
	ch := func(c int) int { return v1Channels(c, s.Alpha) }
	x = b.ConvBNAct("features.0", x, ch(32), 3, 2, 1, frontend.ReLU6)
	for i, l := range v1Layers {
		p := fmt.Sprintf("features.%d", i+1)
		if fullConv {
			x = b.ConvBNAct(p, x, ch(l.out), 3, l.stride, 1, frontend.ReLU6)
		} else {
			x = b.DepthwiseSeparable(p, x, ch(l.out), 3, l.stride, frontend.ReLU6)
		}
	}
	x = b.Pool(x)
	return b.Classifier(x, []frontend.HeadLayer{{Out: s.Classes}})
}
