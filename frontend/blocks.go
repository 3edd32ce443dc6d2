package frontend

import (
	"fmt"
	"math"
	"strings"

	"github.com/mnc-go/mnc/ir"
)

// Activation is a MobileNet nonlinearity, spelled in description files the
// way the V3 paper's tables do (RE, HS) plus RE6 for ReLU6.
type Activation uint8

const (
	Linear   Activation = iota // no activation ("none", "linear")
	ReLU                       // "RE": max(x, 0)
	ReLU6                      // "RE6": Clip(0, 6)
	HSwish                     // "HS": x·ReLU6(x+3)/6
	HSigmoid                   // "HSIG": ReLU6(x+3)/6 = HardSigmoid(1/6, 0.5)
)

var activationNames = [...]string{"none", "RE", "RE6", "HS", "HSIG"}

func (a Activation) String() string {
	if int(a) < len(activationNames) {
		return activationNames[a]
	}
	return fmt.Sprintf("Activation(%d)", uint8(a))
}

// ParseActivation reads an activation name (case-insensitive); "linear" is
// accepted for none.
func ParseActivation(s string) (Activation, error) {
	if strings.EqualFold(s, "linear") {
		return Linear, nil
	}
	for i, n := range activationNames {
		if strings.EqualFold(s, n) {
			return Activation(i), nil
		}
	}
	return 0, fmt.Errorf("want one of %s", strings.Join(activationNames[:], ", "))
}

// gain is the He gain for weights feeding activation a.
func (a Activation) gain() float64 {
	if a == ReLU || a == ReLU6 || a == HSwish {
		return 2
	}
	return 1
}

// MakeDivisible rounds v to the nearest multiple of divisor (at least
// divisor), never going more than 10% below v: torchvision's _make_divisible.
func MakeDivisible(v float64, divisor int) int {
	d := float64(divisor)
	n := int(math.Max(d, float64(int(v+d/2)/divisor*divisor)))
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// ConvBNAct is torchvision's Conv2dNormActivation: a bias-free conv
// (prefix.0), BatchNorm (prefix.1) and the activation (prefix.2).
func (b *Builder) ConvBNAct(prefix string, x *ir.Value, out, k, stride, groups int, act Activation) *ir.Value {
	y := b.Conv(prefix+".0", x, out, k, stride, groups, false, act.gain())
	y = b.BatchNorm(prefix+".1", y)
	return b.Act(prefix+".2", y, act)
}

// DepthwiseSeparable is MobileNet V1's layer: a k×k depthwise ConvBNAct
// (prefix.dw) then a 1×1 pointwise ConvBNAct to out channels (prefix.pw).
func (b *Builder) DepthwiseSeparable(prefix string, x *ir.Value, out, k, stride int, act Activation) *ir.Value {
	in := Channels(x)
	y := b.ConvBNAct(prefix+".dw", x, in, k, stride, in, act)
	return b.ConvBNAct(prefix+".pw", y, out, 1, 1, 1, act)
}

// SqueezeExcite is V3's squeeze-and-excitation (torchvision's
// SqueezeExcitation): GlobalAveragePool (prefix.avgpool) → 1×1 conv with bias
// to squeeze channels (prefix.fc1) → ReLU (prefix.activation) → 1×1 conv with
// bias back to C (prefix.fc2) → h-sigmoid (prefix.scale_activation) → x·scale
// (prefix.mul).
func (b *Builder) SqueezeExcite(prefix string, x *ir.Value, squeeze int) *ir.Value {
	s := b.GlobalAvgPool(prefix+".avgpool", x)
	s = b.Conv(prefix+".fc1", s, squeeze, 1, 1, 1, true, 2)
	s = b.Act(prefix+".activation", s, ReLU)
	s = b.Conv(prefix+".fc2", s, Channels(x), 1, 1, 1, true, 1)
	s = b.Act(prefix+".scale_activation", s, HSigmoid)
	return b.Mul(prefix+".mul", x, s)
}

// BlockStyle selects torchvision's layer naming for an inverted residual.
type BlockStyle uint8

const (
	// StyleV2 names layers like torchvision's MobileNetV2 InvertedResidual:
	// prefix.conv.0 expand, .1 depthwise (ConvBNAct each), then the
	// projection's conv and BatchNorm as two flat entries.
	StyleV2 BlockStyle = iota
	// StyleV3 names layers like MobileNetV3's: prefix.block.j, with SE as
	// its own entry and the projection a ConvBNAct without activation.
	StyleV3
)

// InvertedResidual describes one V2/V3 bottleneck.
type InvertedResidual struct {
	Expansion float64    // t: hidden = round(in·t) when Expand is 0 (V2)
	Expand    int        // hidden (expanded) channels; equal to in means no expand conv (V3 "exp")
	Out       int        // output channels
	Stride    int        // depthwise stride
	Kernel    int        // depthwise kernel (3 or 5)
	SE        bool       // squeeze-and-excite after the depthwise conv
	Squeeze   int        // SE channels; 0 means MakeDivisible(hidden/4, 8)
	Act       Activation // of the expand and depthwise convs; the projection is linear
	Style     BlockStyle
	// Flat names the block's layers prefix.j instead of prefix.block.j
	// (V3) or prefix.conv.j (V2): a block whose layers are a plain
	// Sequential, as torchvision's SSDLite makes of features[13].block[1:].
	Flat bool
}

// InvertedResidual adds a bottleneck: optional 1×1 expand, k×k depthwise,
// optional SE, linear 1×1 projection, and the residual Add (prefix.add) when
// the stride is 1 and the channel counts match.
func (b *Builder) InvertedResidual(prefix string, x *ir.Value, c InvertedResidual) *ir.Value {
	if b.err != nil {
		return x
	}
	in := Channels(x)
	hidden := c.Expand
	if hidden == 0 {
		hidden = int(math.Round(float64(in) * c.Expansion))
	}
	if hidden <= 0 {
		b.Failf("block %q: expanded channels %d must be positive", prefix, hidden)
		return x
	}
	sub := prefix + ".conv"
	if c.Style == StyleV3 {
		sub = prefix + ".block"
	}
	if c.Flat {
		sub = prefix
	}
	j := 0
	next := func() string { s := fmt.Sprintf("%s.%d", sub, j); j++; return s }
	y := x
	if hidden != in {
		y = b.ConvBNAct(next(), y, hidden, 1, 1, 1, c.Act)
	}
	y = b.ConvBNAct(next(), y, hidden, c.Kernel, c.Stride, hidden, c.Act)
	if c.SE {
		sq := c.Squeeze
		if sq == 0 {
			sq = MakeDivisible(float64(hidden/4), 8)
		}
		y = b.SqueezeExcite(next(), y, sq)
	}
	if c.Style == StyleV3 {
		y = b.ConvBNAct(next(), y, c.Out, 1, 1, 1, Linear)
	} else {
		y = b.Conv(next(), y, c.Out, 1, 1, 1, false, 1)
		y = b.BatchNorm(next(), y)
	}
	if c.Stride == 1 && in == c.Out {
		y = b.Add(prefix+".add", x, y)
	}
	return y
}

// Pool is the head's global average pool (avgpool) and flatten (flatten).
func (b *Builder) Pool(x *ir.Value) *ir.Value {
	x = b.GlobalAvgPool("avgpool", x)
	return b.Flatten("flatten", x)
}

// HeadLayer is one entry of a classifier: a fully-connected layer to Out
// features followed by Act, or (Dropout) an inference dropout.
type HeadLayer struct {
	Out     int
	Act     Activation
	Dropout bool
}

// Classifier adds the fully-connected layers after Pool. Names follow
// torchvision's nn.Sequential indices, where a Gemm, its activation and a
// dropout each take one index (V2: classifier.1; V3: classifier.0 Gemm,
// .1 h-swish, .3 Gemm); a head that is a single Gemm is named "classifier"
// (V1). Dropout is the identity at inference, so it only takes its index,
// unless Options.KeepDropout asks for the node.
func (b *Builder) Classifier(x *ir.Value, layers []HeadLayer) *ir.Value {
	name := func(i int) string { return fmt.Sprintf("classifier.%d", i) }
	if len(layers) == 1 && !layers[0].Dropout {
		name = func(int) string { return "classifier" }
	}
	i := 0
	for _, l := range layers {
		switch {
		case l.Dropout:
			if b.opts.KeepDropout {
				x = b.Dropout(name(i), x)
			}
			i++
		default:
			x = b.FC(name(i), x, l.Out, l.Act.gain())
			i++
			if l.Act != Linear {
				x = b.Act(name(i), x, l.Act)
				i++
			}
		}
	}
	return x
}

// UIB describes a MobileNetV4 Universal Inverted Bottleneck (Qin et al.
// 2024, §3.2; timm's UniversalInvertedResidual): an optional "start"
// depthwise conv before the expansion, the 1×1 expansion, an optional
// "middle" depthwise conv, and the linear 1×1 projection. Its four
// instances are IB (middle only), ConvNeXt-like (start only), ExtraDW
// (both) and FFN (neither).
type UIB struct {
	Start  int        // start depthwise kernel (0: none); linear, as in timm
	Mid    int        // middle depthwise kernel (0: none); followed by Act
	Expand int        // hidden (expanded) channels
	Out    int        // output channels
	Stride int        // on the middle depthwise, or the start one when there is no middle
	Act    Activation // after the expansion and the middle depthwise
}

// UIB adds a Universal Inverted Bottleneck in timm's layout: prefix.dw_start,
// prefix.pw_exp, prefix.dw_mid, prefix.pw_proj (ConvBNActs), and the
// residual Add (prefix.add: projection + shortcut) when the stride is 1
// and the widths match. A block with a stride needs a depthwise conv to
// take it.
func (b *Builder) UIB(prefix string, x *ir.Value, c UIB) *ir.Value {
	if b.err != nil {
		return x
	}
	in := Channels(x)
	switch {
	case c.Expand <= 0:
		b.Failf("block %q: expanded channels %d must be positive", prefix, c.Expand)
	case c.Stride != 1 && c.Start == 0 && c.Mid == 0:
		b.Failf("block %q: stride %d needs a start or middle depthwise conv to take it", prefix, c.Stride)
	}
	if b.err != nil {
		return x
	}
	y := x
	if c.Start > 0 {
		s := 1
		if c.Mid == 0 {
			s = c.Stride
		}
		y = b.ConvBNAct(prefix+".dw_start", y, in, c.Start, s, in, Linear)
	}
	y = b.ConvBNAct(prefix+".pw_exp", y, c.Expand, 1, 1, 1, c.Act)
	if c.Mid > 0 {
		y = b.ConvBNAct(prefix+".dw_mid", y, c.Expand, c.Mid, c.Stride, c.Expand, c.Act)
	}
	y = b.ConvBNAct(prefix+".pw_proj", y, c.Out, 1, 1, 1, Linear)
	if c.Stride == 1 && in == c.Out {
		y = b.Add(prefix+".add", y, x)
	}
	return y
}

// FusedIB adds MobileNetV4's fused inverted bottleneck (timm's
// EdgeResidual): a dense k×k expansion to hidden channels (prefix.conv_exp,
// with act), the linear 1×1 projection (prefix.conv_pwl), and the residual
// Add (prefix.add) when the stride is 1 and the widths match.
func (b *Builder) FusedIB(prefix string, x *ir.Value, hidden, out, k, stride int, act Activation) *ir.Value {
	if b.err != nil {
		return x
	}
	y := b.ConvBNAct(prefix+".conv_exp", x, hidden, k, stride, 1, act)
	y = b.ConvBNAct(prefix+".conv_pwl", y, out, 1, 1, 1, Linear)
	if stride == 1 && Channels(x) == out {
		y = b.Add(prefix+".add", y, x)
	}
	return y
}
