package frontend

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// ExtraBlock is SSDLite's extra feature layer (torchvision's _extra_block):
// a 1×1 ConvBNAct to out/2 (prefix.0), a k×k depthwise ConvBNAct with stride
// s (prefix.1) and a 1×1 ConvBNAct to out (prefix.2), all with act.
func (b *Builder) ExtraBlock(prefix string, x *ir.Value, out, k, stride int, act Activation) *ir.Value {
	mid := out / 2
	if b.err == nil && mid <= 0 {
		b.Failf("extra block %q: %d output channels, want at least 2", prefix, out)
		return x
	}
	x = b.ConvBNAct(prefix+".0", x, mid, 1, 1, 1, act)
	x = b.ConvBNAct(prefix+".1", x, mid, k, stride, mid, act)
	return b.ConvBNAct(prefix+".2", x, out, 1, 1, 1, act)
}

// SSDLiteHead is one SSDLite prediction head (torchvision's
// SSDLiteClassificationHead / SSDLiteRegressionHead): on feature map i a k×k
// depthwise ConvBNAct with act (prefix.module_list.i.0) and a 1×1 conv with
// bias to anchors[i]·cols channels (prefix.module_list.i.1), whose
// [N, A·K, H, W] is turned into [N, H·W·A, K] (AnchorsLast); the maps'
// results are concatenated on axis 1 (prefix.cat).
func (b *Builder) SSDLiteHead(prefix string, maps []*ir.Value, anchors []int, cols, k int, act Activation) *ir.Value {
	if b.err == nil && len(anchors) != len(maps) {
		b.Failf("head %q: %d anchor counts for %d feature maps", prefix, len(anchors), len(maps))
	}
	if b.err != nil || len(maps) == 0 {
		if len(maps) == 0 {
			b.Failf("head %q: no feature maps", prefix)
		}
		return nil
	}
	var parts []*ir.Value
	for i, m := range maps {
		p := fmt.Sprintf("%s.module_list.%d", prefix, i)
		c := Channels(m)
		y := b.ConvBNAct(p+".0", m, c, k, 1, c, act)
		y = b.Conv(p+".1", y, anchors[i]*cols, 1, 1, 1, true, 1)
		parts = append(parts, b.AnchorsLast(p, y, cols))
	}
	return b.Concat(prefix+".cat", 1, parts...)
}

// AnchorsLast turns a head's [N, A·K, H, W] into [N, H·W·A, K] as
// torchvision's SSDScoringHead does (view [N, A, K, H, W], permute
// 0,3,4,1,2, reshape), spelled as Transpose(0,2,3,1) (prefix.permute) →
// Reshape [N, -1, K] (prefix.reshape): both put element (a·K + k, h, w) at
// row (h·W + w)·A + a, column k, and this spelling is free on the plan's
// channels-last maps.
func (b *Builder) AnchorsLast(prefix string, y *ir.Value, k int) *ir.Value {
	if b.err != nil || len(y.Shape) != 4 {
		return y
	}
	y = b.Transpose(prefix+".permute", y, 0, 2, 3, 1)
	return b.Reshape(prefix+".reshape", y, 0, -1, k)
}
