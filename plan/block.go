package plan

import (
	"fmt"

	"github.com/mnc-go/mnc/kernels"
)

// A fused block (KindBlock, not an SE block) has one of three forms, told
// apart by its Sub steps' kinds:
//
//	[expand, depthwise, project]  an inverted residual: output = project's
//	[depthwise, project]          a depthwise-separable layer: output = project's
//	[producer, depthwise]         a 1×1 GEMM (or dense conv) and the depthwise
//	                              conv reading it: output = the depthwise's
//
// The third form keeps the big tensor between a producer and its
// depthwise conv (MobileNetV1's 1×1 → 3×3 chain) in bands of scratch.

// IsDWBlock reports whether s is a fused block that ends in its depthwise
// conv: Sub = [producer KindGemm or KindConv, KindDWConv].
func IsDWBlock(s *Step) bool { return s.Kind == KindBlock && isDWBlock(s.Sub) }

func isDWBlock(sub []Step) bool { return len(sub) == 2 && sub[1].Kind == KindDWConv }

// BlockDepthwise is the index of a block's depthwise step in Sub.
func BlockDepthwise(sub []Step) int {
	if isDWBlock(sub) {
		return 1
	}
	if len(sub) >= 4 { // an SE block
		return len(sub) - 4
	}
	return len(sub) - 2
}

// BlockLayout is where a fused block (not an SE block) puts its bands in
// a thread's scratch, in floats from its start: E, the expanded (producer)
// rows under one band's depthwise windows, Pitch floats a pixel; D, the
// band's depthwise output (none when the block ends in its depthwise
// conv: that goes to the arena); then a dense expand's own scratch.
type BlockLayout struct {
	E, D, Conv int // sizes, each rounded up to 16 floats
	Pitch      int
	Total      int
}

// BlockBandLayout computes the scratch layout of a block of Sub steps sub
// run in bands of band output rows with the kernels of set. In a block
// ending in its depthwise conv a GEMM producer writes its rows at the
// pitch the depthwise band kernel prefers (kernels.Set.DWBandPitch); a
// dense producer, and the expand of an inverted residual (whose plan
// files reserve scratch for dense rows), at the channel count.
func BlockBandLayout(set *kernels.Set, sub []Step, band int) (BlockLayout, error) {
	var l BlockLayout
	if len(sub) < 2 || len(sub) > 3 {
		return l, fmt.Errorf("block of %d steps", len(sub))
	}
	d := BlockDepthwise(sub)
	dp, err := DWParams(&sub[d])
	if err != nil {
		return l, fmt.Errorf("depthwise: %w", err)
	}
	if band < 1 || band > dp.OH {
		return l, fmt.Errorf("band of %d rows for %d output rows", band, dp.OH)
	}
	l.Pitch = dp.C
	if !isDWBlock(sub) {
		l.D = roundUp16(band * dp.OW * dp.C)
	}
	if sub[0].Kind != KindDWConv { // an expand
		rows := (band-1)*dp.SH + dp.KH
		if sub[0].Kind == KindConv {
			cp, err := ConvParams(&sub[0])
			if err != nil {
				return l, fmt.Errorf("expand: %w", err)
			}
			l.Conv = roundUp16(set.ConvScratchSize(&cp, rows))
		} else if set.DWBandPitch != nil && isDWBlock(sub) {
			l.Pitch = max(dp.C, set.DWBandPitch(&dp))
		}
		l.E = roundUp16(rows * dp.W * l.Pitch)
	}
	l.Total = l.E + l.D + l.Conv
	return l, nil
}

func roundUp16(n int) int { return (n + 15) &^ 15 }
