package models

import (
	"fmt"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
)

// v4Kind is the block type of a MobileNetV4 row.
type v4Kind uint8

const (
	v4Conv  v4Kind = iota // conv → BN → ReLU ("cn" in timm's arch_def)
	v4Fused               // FusedIB ("er")
	v4UIB                 // Universal Inverted Bottleneck ("uir")
)

// v4Row is one row of MobileNetV4's architecture tables (Qin et al. 2024,
// Appendix Table 11 for MNv4-Conv-S; timm's arch_def strings such as
// uir_r1_a5_k5_s2_e3_c96): block, kernels (conv and FusedIB: k; UIB: the
// start and middle depthwise kernels, 0 for none), stride, expansion,
// output channels and repeats (the first with the stride).
type v4Row struct {
	kind       v4Kind
	k          int // conv / FusedIB kernel
	start, mid int // UIB depthwise kernels
	s          int
	e          float64
	out, n     int
}

// v4ConvSmall is MNv4-Conv-S's body after the stem (conv 3×3 s2 → 32),
// input 224²: the comments give each row's input size.
var v4ConvSmall = []v4Row{
	{kind: v4Conv, k: 3, s: 2, out: 32, n: 1},                   // 112²  cn_r1_k3_s2_e1_c32
	{kind: v4Conv, k: 1, s: 1, out: 32, n: 1},                   // 56²   cn_r1_k1_s1_e1_c32
	{kind: v4Conv, k: 3, s: 2, out: 96, n: 1},                   // 56²   cn_r1_k3_s2_e1_c96
	{kind: v4Conv, k: 1, s: 1, out: 64, n: 1},                   // 28²   cn_r1_k1_s1_e1_c64
	{kind: v4UIB, start: 5, mid: 5, s: 2, e: 3, out: 96, n: 1},  // 28²   ExtraDW
	{kind: v4UIB, start: 0, mid: 3, s: 1, e: 2, out: 96, n: 4},  // 14²   IB
	{kind: v4UIB, start: 3, mid: 0, s: 1, e: 4, out: 96, n: 1},  // 14²   ConvNeXt-like
	{kind: v4UIB, start: 3, mid: 3, s: 2, e: 6, out: 128, n: 1}, // 14²   ExtraDW
	{kind: v4UIB, start: 5, mid: 5, s: 1, e: 4, out: 128, n: 1}, // 7²    ExtraDW
	{kind: v4UIB, start: 0, mid: 5, s: 1, e: 4, out: 128, n: 1}, // 7²    IB
	{kind: v4UIB, start: 0, mid: 5, s: 1, e: 3, out: 128, n: 1}, // 7²    IB
	{kind: v4UIB, start: 0, mid: 3, s: 1, e: 4, out: 128, n: 2}, // 7²    IB
	{kind: v4Conv, k: 1, s: 1, out: 960, n: 1},                  // 7²    cn_r1_k1_s1_c960
}

// v4ConvMedium is MNv4-Conv-M's body after the stem (conv 3×3 s2 → 32),
// paper Table 12 (timm: mobilenetv4_conv_medium; checkpoints at 224² and
// 256²); the comments give each row's input size at 224².
var v4ConvMedium = []v4Row{
	{kind: v4Fused, k: 3, s: 2, e: 4, out: 48, n: 1},            // 112²  er_r1_k3_s2_e4_c48
	{kind: v4UIB, start: 3, mid: 5, s: 2, e: 4, out: 80, n: 1},  // 56²   ExtraDW
	{kind: v4UIB, start: 3, mid: 3, s: 1, e: 2, out: 80, n: 1},  // 28²   ExtraDW
	{kind: v4UIB, start: 3, mid: 5, s: 2, e: 6, out: 160, n: 1}, // 28²   ExtraDW
	{kind: v4UIB, start: 3, mid: 3, s: 1, e: 4, out: 160, n: 2}, // 14²   ExtraDW
	{kind: v4UIB, start: 3, mid: 5, s: 1, e: 4, out: 160, n: 1}, // 14²   ExtraDW
	{kind: v4UIB, start: 3, mid: 3, s: 1, e: 4, out: 160, n: 1}, // 14²   ExtraDW
	{kind: v4UIB, start: 3, mid: 0, s: 1, e: 4, out: 160, n: 1}, // 14²   ConvNeXt-like
	{kind: v4UIB, start: 0, mid: 0, s: 1, e: 2, out: 160, n: 1}, // 14²   FFN
	{kind: v4UIB, start: 3, mid: 0, s: 1, e: 4, out: 160, n: 1}, // 14²   ConvNeXt-like
	{kind: v4UIB, start: 5, mid: 5, s: 2, e: 6, out: 256, n: 1}, // 14²   ExtraDW
	{kind: v4UIB, start: 5, mid: 5, s: 1, e: 4, out: 256, n: 1}, // 7²    ExtraDW
	{kind: v4UIB, start: 3, mid: 5, s: 1, e: 4, out: 256, n: 2}, // 7²    ExtraDW
	{kind: v4UIB, start: 0, mid: 0, s: 1, e: 4, out: 256, n: 1}, // 7²    FFN
	{kind: v4UIB, start: 3, mid: 0, s: 1, e: 4, out: 256, n: 1}, // 7²    ConvNeXt-like
	{kind: v4UIB, start: 3, mid: 5, s: 1, e: 2, out: 256, n: 1}, // 7²    ExtraDW
	{kind: v4UIB, start: 5, mid: 5, s: 1, e: 4, out: 256, n: 1}, // 7²    ExtraDW
	{kind: v4UIB, start: 0, mid: 0, s: 1, e: 4, out: 256, n: 2}, // 7²    FFN
	{kind: v4UIB, start: 5, mid: 0, s: 1, e: 2, out: 256, n: 1}, // 7²    ConvNeXt-like
	{kind: v4Conv, k: 1, s: 1, out: 960, n: 1},                  // 7²    cn_r1_k1_s1_c960
}

// v4ConvLarge is MNv4-Conv-L's body after the stem (conv 3×3 s2 → 24),
// paper Table 13 (timm: mobilenetv4_conv_large; checkpoints at 256² and
// 384²); the comments give each row's input size at 224².
var v4ConvLarge = []v4Row{
	{kind: v4Fused, k: 3, s: 2, e: 4, out: 48, n: 1},            // 112²  er_r1_k3_s2_e4_c48
	{kind: v4UIB, start: 3, mid: 5, s: 2, e: 4, out: 96, n: 1},  // 56²   ExtraDW
	{kind: v4UIB, start: 3, mid: 3, s: 1, e: 4, out: 96, n: 1},  // 28²   ExtraDW
	{kind: v4UIB, start: 3, mid: 5, s: 2, e: 4, out: 192, n: 1}, // 28²   ExtraDW
	{kind: v4UIB, start: 3, mid: 3, s: 1, e: 4, out: 192, n: 3}, // 14²   ExtraDW
	{kind: v4UIB, start: 3, mid: 5, s: 1, e: 4, out: 192, n: 1}, // 14²   ExtraDW
	{kind: v4UIB, start: 5, mid: 3, s: 1, e: 4, out: 192, n: 5}, // 14²   ExtraDW
	{kind: v4UIB, start: 3, mid: 0, s: 1, e: 4, out: 192, n: 1}, // 14²   ConvNeXt-like
	{kind: v4UIB, start: 5, mid: 5, s: 2, e: 4, out: 512, n: 4}, // 14²   ExtraDW
	{kind: v4UIB, start: 5, mid: 0, s: 1, e: 4, out: 512, n: 1}, // 7²    ConvNeXt-like
	{kind: v4UIB, start: 5, mid: 3, s: 1, e: 4, out: 512, n: 1}, // 7²    ExtraDW
	{kind: v4UIB, start: 5, mid: 0, s: 1, e: 4, out: 512, n: 2}, // 7²    ConvNeXt-like
	{kind: v4UIB, start: 5, mid: 3, s: 1, e: 4, out: 512, n: 1}, // 7²    ExtraDW
	{kind: v4UIB, start: 5, mid: 5, s: 1, e: 4, out: 512, n: 1}, // 7²    ExtraDW
	{kind: v4UIB, start: 5, mid: 0, s: 1, e: 4, out: 512, n: 3}, // 7²    ConvNeXt-like
	{kind: v4Conv, k: 1, s: 1, out: 960, n: 1},                  // 7²    cn_r1_k1_s1_c960
}

// buildV4 is a MobileNetV4 conv model in timm's layout (mobilenetv4_conv_*;
// ReLU everywhere): stem conv 3×3 s2 of make_divisible(stem·max(1, α), 8)
// (timm keeps the stem unscaled for α < 1), the rows (output widths
// make_divisible(c·α, 8), hidden widths make_divisible(in·e, 8)), then
// global pool → 1×1 conv to 1280 (unscaled) → BN → ReLU on the pooled map
// → flatten → FC(classes).
func buildV4(b *frontend.Builder, x *ir.Value, s Spec, stem int, rows []v4Row) *ir.Value {
	adj := func(c int) int { return frontend.MakeDivisible(float64(c)*s.Alpha, 8) }
	x = b.ConvBNAct("features.0", x, frontend.MakeDivisible(float64(stem)*max(1, s.Alpha), 8), 3, 2, 1, frontend.ReLU)
	idx := 1
	for _, r := range rows {
		stride := r.s
		for range r.n {
			name := fmt.Sprintf("features.%d", idx)
			hidden := frontend.MakeDivisible(float64(frontend.Channels(x))*r.e, 8)
			switch r.kind {
			case v4Conv:
				x = b.ConvBNAct(name, x, adj(r.out), r.k, stride, 1, frontend.ReLU)
			case v4Fused:
				x = b.FusedIB(name, x, hidden, adj(r.out), r.k, stride, frontend.ReLU)
			case v4UIB:
				x = b.UIB(name, x, frontend.UIB{Start: r.start, Mid: r.mid, Expand: hidden, Out: adj(r.out), Stride: stride, Act: frontend.ReLU})
			}
			stride = 1
			idx++
		}
	}
	x = b.GlobalAvgPool("avgpool", x)
	x = b.ConvBNAct("head.0", x, 1280, 1, 1, 1, frontend.ReLU)
	x = b.Flatten("flatten", x)
	return b.Classifier(x, []frontend.HeadLayer{{Out: s.Classes}})
}
