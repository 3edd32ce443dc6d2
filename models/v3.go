package models

import (
	"fmt"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
)

// v3Row is one bneck row of the V3 paper's Tables 1 and 2: kernel,
// expanded ("exp size") and output channels, SE, nonlinearity, stride.
type v3Row struct {
	k, exp, out int
	se          bool
	act         frontend.Activation
	s           int
}

const re, hs = frontend.ReLU, frontend.HSwish

// v3Large is MobileNet V3-Large's body (paper Table 1, torchvision).
var v3Large = []v3Row{
	{3, 16, 16, false, re, 1}, {3, 64, 24, false, re, 2}, {3, 72, 24, false, re, 1},
	{5, 72, 40, true, re, 2}, {5, 120, 40, true, re, 1}, {5, 120, 40, true, re, 1},
	{3, 240, 80, false, hs, 2}, {3, 200, 80, false, hs, 1}, {3, 184, 80, false, hs, 1},
	{3, 184, 80, false, hs, 1}, {3, 480, 112, true, hs, 1}, {3, 672, 112, true, hs, 1},
	{5, 672, 160, true, hs, 2}, {5, 960, 160, true, hs, 1}, {5, 960, 160, true, hs, 1},
}

// v3Small is MobileNet V3-Small's body (paper Table 2, torchvision). The
// paper also ticks SE on the last 1×1 conv; no implementation has it.
var v3Small = []v3Row{
	{3, 16, 16, true, re, 2}, {3, 72, 24, false, re, 2}, {3, 88, 24, false, re, 1},
	{5, 96, 40, true, hs, 2}, {5, 240, 40, true, hs, 1}, {5, 240, 40, true, hs, 1},
	{5, 120, 48, true, hs, 1}, {5, 144, 48, true, hs, 1}, {5, 288, 96, true, hs, 2},
	{5, 576, 96, true, hs, 1}, {5, 576, 96, true, hs, 1},
}

// buildV3 is MobileNet V3 (Howard et al. 2019) in torchvision's layout:
// h-swish stem of 16, the bneck rows (widths make_divisible(c·α, 8), SE
// squeeze make_divisible(exp/4, 8)), a 1×1 conv to 6× the last width, then
// pool → FC(lastWidth·α) → h-swish → FC(classes).
func buildV3(b *frontend.Builder, x *ir.Value, s Spec, rows []v3Row, lastWidth int) *ir.Value {
	adj := func(c int) int { return frontend.MakeDivisible(float64(c)*s.Alpha, 8) }
	x = b.ConvBNAct("features.0", x, adj(16), 3, 2, 1, frontend.HSwish)
	for i, r := range rows {
		x = b.InvertedResidual(fmt.Sprintf("features.%d", i+1), x, frontend.InvertedResidual{
			Expand: adj(r.exp), Out: adj(r.out), Stride: r.s, Kernel: r.k, SE: r.se, Act: r.act, Style: frontend.StyleV3,
		})
	}
	x = b.ConvBNAct(fmt.Sprintf("features.%d", len(rows)+1), x, 6*frontend.Channels(x), 1, 1, 1, frontend.HSwish)
	x = b.Pool(x)
	return b.Classifier(x, []frontend.HeadLayer{{Out: adj(lastWidth), Act: frontend.HSwish}, {Dropout: true}, {Out: s.Classes}})
}
