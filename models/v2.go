package models

import (
	"fmt"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
)

// v2Settings is MobileNet V2's bottleneck table (paper Table 2): expansion
// t, output channels c, repeats n, first stride s. That is 17 bottlenecks
// (the paper's text says 19 layers; it counts differently).
var v2Settings = []struct {
	t       float64
	c, n, s int
}{
	{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
	{6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
}

// buildV2 is MobileNet V2 (Sandler et al. 2018) in torchvision's layout:
// every width is make_divisible(c·α, 8), the last conv
// make_divisible(1280·max(1, α), 8).
func buildV2(b *frontend.Builder, x *ir.Value, s Spec) *ir.Value {
	x = b.ConvBNAct("features.0", x, frontend.MakeDivisible(32*s.Alpha, 8), 3, 2, 1, frontend.ReLU6)
	idx := 1
	for _, st := range v2Settings {
		out := frontend.MakeDivisible(float64(st.c)*s.Alpha, 8)
		for i := 0; i < st.n; i++ {
			stride := 1
			if i == 0 {
				stride = st.s
			}
			x = b.InvertedResidual(fmt.Sprintf("features.%d", idx), x, frontend.InvertedResidual{
				Expansion: st.t, Out: out, Stride: stride, Kernel: 3, Act: frontend.ReLU6, Style: frontend.StyleV2,
			})
			idx++
		}
	}
	last := frontend.MakeDivisible(1280*max(1, s.Alpha), 8)
	x = b.ConvBNAct(fmt.Sprintf("features.%d", idx), x, last, 1, 1, 1, frontend.ReLU6)
	x = b.Pool(x)
	return b.Classifier(x, []frontend.HeadLayer{{Dropout: true}, {Out: s.Classes}})
}
