package frontend

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mnc-go/mnc/ir"
)

// Build turns the description into a graph: input "input" [1,C,H,W], body
// rows named features.0, features.1, ... (one per conv/dwsep/bneck/extra
// row and per repeat of an ir row; a stage row changes the prefix and
// restarts the count), the head named like torchvision's classifier, and
// output "logits" ("probs" after softmax, "features" with no fc). A
// description with ssdhead rows has their outputs instead, in order.
func (d *Desc) Build(w Weights) (*ir.Graph, error) {
	layers := 0
	for _, r := range d.Rows {
		n := 1
		if k, err := strconv.Atoi(r.Fields["n"]); err == nil && k > 1 {
			n = k
		}
		if layers += n; layers > MaxLayers {
			return nil, &posError{file: d.File, line: r.Line, field: "n", msg: fmt.Sprintf("the model has more than %d layers", MaxLayers)}
		}
	}
	b := NewBuilder(d.Model, Options{Weights: w, Seed: d.Seed, BNEps: d.BNEps})
	x := b.Input("input", d.Input[0], d.Input[1], d.Input[2])
	feature := 0
	prefix := "features"
	var taps []tap
	var outs []*ir.Value
	var outNames []string
	pooled, softmax := false, false
	headConvs := 0 // conv rows after pool
	var head []HeadLayer
	lastFC := -1
	for i, r := range d.Rows {
		if r.Kind == "fc" {
			lastFC = i
		}
	}
	for i, r := range d.Rows {
		rr := &rowReader{d: d, r: r}
		fail := func(format string, args ...any) error {
			return &posError{file: d.File, line: r.Line, msg: r.Kind + ": " + fmt.Sprintf(format, args...)}
		}
		if softmax {
			return nil, fail("nothing may follow softmax")
		}
		switch r.Kind {
		case "conv", "dwsep", "ir", "bneck", "uib", "fused", "extra", "stage", "pool":
			if len(outs) > 0 {
				return nil, fail("only ssdhead rows may follow an ssdhead row")
			}
		}
		headConv := r.Kind == "conv" && pooled
		switch r.Kind {
		case "conv", "dwsep", "ir", "bneck", "uib", "fused", "extra", "stage":
			if pooled && !headConv {
				return nil, fail("body rows must come before pool")
			}
			if headConv && len(head) > 0 {
				return nil, fail("a conv after pool must come before the dropout and fc rows")
			}
		case "dropout", "fc":
			if !pooled {
				return nil, fail("needs a pool row before it (fc layers take pooled features)")
			}
		case "ssdhead":
			if pooled {
				return nil, fail("takes the feature maps marked tap=, not pooled features: put it before pool")
			}
		}
		name := func() string { return fmt.Sprintf("%s.%d", prefix, feature) }
		in := Channels(x)
		switch r.Kind {
		case "conv":
			k, s, g := rr.int("k", 0), rr.int("s", 1), rr.int("groups", 1)
			out, act := rr.channels("out", in), rr.act()
			if headConv {
				// MobileNetV4's conv_head: a 1×1 conv on the pooled map.
				if rr.err == nil && (k != 1 || s != 1 || g != 1) {
					rr.fail("k", "a conv after pool runs on the pooled 1×1 map: want k=1 s=1 groups=1")
				}
				if rr.err == nil {
					x = b.ConvBNAct(fmt.Sprintf("head.%d", headConvs), x, out, 1, 1, 1, act)
					headConvs++
				}
				break
			}
			if rr.err == nil {
				x = b.ConvBNAct(name(), x, out, k, s, g, act)
				if feature++; feature > MaxLayers {
					rr.fail("n", "the model has more than %d layers", MaxLayers)
				}
			}
		case "dwsep":
			k, s, n := rr.int("k", 3), rr.int("s", 1), rr.int("n", 1)
			out, act := rr.channels("out", in), rr.act()
			for j := 0; j < n && rr.err == nil; j++ {
				x = b.DepthwiseSeparable(name(), x, out, k, s, act)
				if feature++; feature > MaxLayers {
					rr.fail("n", "the model has more than %d layers", MaxLayers)
				}
				s = 1
			}
		case "ir":
			t, n, s, k := rr.float("t"), rr.int("n", 1), rr.int("s", 1), rr.int("k", 3)
			out, se, act := rr.channels("c", in), rr.bool("se"), rr.act()
			for j := 0; j < n && rr.err == nil; j++ {
				x = b.InvertedResidual(name(), x, InvertedResidual{
					Expansion: t, Out: out, Stride: s, Kernel: k, SE: se, Act: act, Style: StyleV2,
				})
				if feature++; feature > MaxLayers {
					rr.fail("n", "the model has more than %d layers", MaxLayers)
				}
				s = 1
			}
		case "bneck":
			k, s := rr.int("k", 3), rr.int("s", 1)
			exp, out, se, act := rr.channels("exp", in), rr.channels("out", in), rr.bool("se"), rr.act()
			flat := rr.bool("flat")
			if rr.err == nil && flat && exp != in {
				rr.fail("flat", "a flat bneck has no expansion conv: exp (%d) must equal the input's %d channels", exp, in)
			}
			if rr.err == nil {
				x = b.InvertedResidual(name(), x, InvertedResidual{
					Expand: exp, Out: out, Stride: s, Kernel: k, SE: se, Act: act, Style: StyleV3, Flat: flat,
				})
				if feature++; feature > MaxLayers {
					rr.fail("n", "the model has more than %d layers", MaxLayers)
				}
			}
		case "uib":
			start, mid, e, s, n := rr.kernel("start"), rr.kernel("mid"), rr.float("e"), rr.int("s", 1), rr.int("n", 1)
			out, act := rr.channels("out", in), rr.act()
			if rr.err == nil && s > 1 && start == 0 && mid == 0 {
				rr.fail("s", "stride %d needs a start or mid depthwise conv to take it", s)
			}
			for j := 0; j < n && rr.err == nil; j++ {
				hidden := MakeDivisible(float64(Channels(x))*e, 8)
				x = b.UIB(name(), x, UIB{Start: start, Mid: mid, Expand: hidden, Out: out, Stride: s, Act: act})
				if feature++; feature > MaxLayers {
					rr.fail("n", "the model has more than %d layers", MaxLayers)
				}
				s = 1
			}
		case "fused":
			k, e, s, n := rr.int("k", 3), rr.float("e"), rr.int("s", 1), rr.int("n", 1)
			out, act := rr.channels("out", in), rr.act()
			for j := 0; j < n && rr.err == nil; j++ {
				hidden := MakeDivisible(float64(Channels(x))*e, 8)
				x = b.FusedIB(name(), x, hidden, out, k, s, act)
				if feature++; feature > MaxLayers {
					rr.fail("n", "the model has more than %d layers", MaxLayers)
				}
				s = 1
			}
		case "extra":
			out, k, s, act := rr.int("out", 0), rr.int("k", 3), rr.int("s", 2), rr.act()
			if rr.err == nil {
				// torchvision's SSD extras: max(min_depth 16, int(out·α)).
				out = max(16, int(float64(out)*d.Width))
				x = b.ExtraBlock(name(), x, out, k, s, act)
				feature++
			}
		case "stage":
			prefix, feature = r.Fields["name"], 0
		case "ssdhead":
			o, err := d.ssdHead(b, rr, prefix, taps)
			if err == nil {
				for _, n := range outNames {
					if n == o.name {
						err = &posError{file: d.File, line: r.Line, field: "output", msg: fmt.Sprintf("%q is already an output", n)}
					}
				}
			}
			if err != nil {
				return nil, err
			}
			outs, outNames = append(outs, o.v), append(outNames, o.name)
		case "pool":
			if pooled {
				return nil, fail("the model is already pooled")
			}
			// The flatten comes after any conv rows on the pooled map.
			x = b.GlobalAvgPool("avgpool", x)
			pooled = true
		case "dropout":
			if p, ok := r.Fields["p"]; ok {
				if f, err := strconv.ParseFloat(p, 64); err != nil || f < 0 || f >= 1 {
					rr.fail("p", "want a probability in [0, 1), got %q", p)
				}
			}
			head = append(head, HeadLayer{Dropout: true})
		case "fc":
			out := d.Classes
			if i != lastFC || r.Fields["out"] != "" {
				if i != lastFC && r.Fields["out"] == "" {
					rr.fail("out", "required (only the last fc defaults to the classes)")
				}
				out = rr.channels("out", Channels(x))
			}
			act := Linear
			if _, ok := r.Fields["nl"]; ok {
				act = rr.act()
			}
			head = append(head, HeadLayer{Out: out, Act: act})
		case "softmax":
			softmax = true
		}
		if t, ok := r.Fields["tap"]; ok && rr.err == nil {
			if !validName(t) {
				rr.fail("tap", "want a name of letters, digits, '_', '-' and '.', got %q", t)
			}
			for _, p := range taps {
				if p.name == t {
					rr.fail("tap", "%q already names the feature map of line %d", t, p.line)
				}
			}
			taps = append(taps, tap{name: t, line: r.Line, v: x})
		}
		if rr.err != nil {
			return nil, rr.err
		}
		if err := b.Err(); err != nil {
			return nil, fail("%v", err)
		}
	}
	if len(outs) > 0 {
		g, err := b.FinishOutputs(outs, outNames)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.File, err)
		}
		return g, nil
	}
	if pooled {
		x = b.Flatten("flatten", x)
	}
	out := "features"
	if len(head) > 0 {
		x = b.Classifier(x, head)
		out = "logits"
	}
	if softmax {
		x = b.Softmax("softmax", x)
		out = "probs"
	}
	g, err := b.Finish(x, out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.File, err)
	}
	return g, nil
}

// tap is a feature map a body row marked with tap=NAME.
type tap struct {
	name string
	line int
	v    *ir.Value
}

type headOut struct {
	name string
	v    *ir.Value
}

// ssdHead builds an ssdhead row: an SSDLite head (Builder.SSDLiteHead named
// prefix.NAME) over the maps it lists (default: every tap, in order).
func (d *Desc) ssdHead(b *Builder, rr *rowReader, prefix string, taps []tap) (headOut, error) {
	name, _ := rr.value("name", true)
	if rr.err == nil && !validName(name) {
		rr.fail("name", "want a name of letters, digits, '_', '-' and '.', got %q", name)
	}
	output := name
	if o, ok := rr.r.Fields["output"]; ok {
		if output = o; !validName(o) {
			rr.fail("output", "want a name of letters, digits, '_', '-' and '.', got %q", o)
		}
	}
	cols, k, act := d.Classes, rr.int("k", 3), rr.act()
	if _, ok := rr.r.Fields["out"]; ok {
		cols = rr.int("out", 0)
	}
	var maps []*ir.Value
	if list, ok := rr.r.Fields["maps"]; ok {
		for _, m := range strings.Split(list, ",") {
			found := false
			for _, t := range taps {
				if t.name == m {
					maps, found = append(maps, t.v), true
				}
			}
			if !found && rr.err == nil {
				rr.fail("maps", "no feature map is marked tap=%s above", m)
			}
		}
	} else {
		for _, t := range taps {
			maps = append(maps, t.v)
		}
	}
	if len(maps) == 0 && rr.err == nil {
		rr.fail("", "ssdhead: no feature maps (mark them with tap=NAME on the body rows)")
	}
	anchors := []int{6}
	if a, ok := rr.r.Fields["anchors"]; ok {
		anchors = anchors[:0]
		for _, f := range strings.Split(a, ",") {
			n, err := strconv.Atoi(f)
			if (err != nil || n <= 0 || n > 1024) && rr.err == nil {
				rr.fail("anchors", "want a count per location from 1 to 1024, or one per feature map separated by commas, got %q", a)
			}
			anchors = append(anchors, n)
		}
	}
	if len(anchors) == 1 {
		for len(anchors) < len(maps) {
			anchors = append(anchors, anchors[0])
		}
	}
	if len(anchors) != len(maps) && rr.err == nil {
		rr.fail("anchors", "%d counts for %d feature maps", len(anchors), len(maps))
	}
	for _, a := range anchors {
		if a*cols > maxChannels && rr.err == nil {
			rr.fail("out", "%d anchors × %d outputs is more than the limit of %d channels", a, cols, maxChannels)
		}
	}
	if rr.err != nil {
		return headOut{}, rr.err
	}
	v := b.SSDLiteHead(prefix+"."+name, maps, anchors, cols, k, act)
	if err := b.Err(); err != nil {
		return headOut{}, &posError{file: d.File, line: rr.r.Line, msg: "ssdhead: " + err.Error()}
	}
	return headOut{name: output, v: v}, nil
}

// rowReader reads one row's fields, keeping the first error.
type rowReader struct {
	d   *Desc
	r   Row
	err error
}

func (rr *rowReader) fail(field, format string, args ...any) {
	if rr.err == nil {
		rr.err = &posError{file: rr.d.File, line: rr.r.Line, field: field, msg: fmt.Sprintf(format, args...)}
	}
}

// value returns the field's text; a missing field without a default
// (required) is an error.
func (rr *rowReader) value(name string, required bool) (string, bool) {
	v, ok := rr.r.Fields[name]
	if !ok && required {
		rr.fail(name, "required by %s", rr.r.Kind)
	}
	return v, ok
}

// fieldLimit bounds integer fields so a typo cannot ask for terabytes of
// weights.
var fieldLimit = map[string]int{"k": 31, "start": 31, "mid": 31, "s": 32, "n": 1000, "groups": maxChannels}

const maxChannels = 1 << 16

// MaxLayers bounds a description's layer rows and the layers they make
// (repeats counted): real networks have tens, and a file of a few bytes
// should not be able to ask for millions of nodes.
const MaxLayers = 1 << 14

// int reads a positive integer; def 0 makes the field required.
func (rr *rowReader) int(name string, def int) int {
	v, ok := rr.value(name, def == 0)
	if !ok {
		return max(def, 1)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		rr.fail(name, "want a positive integer, got %q", v)
		return 1
	}
	if lim := fieldLimit[name]; lim > 0 && n > lim {
		rr.fail(name, "%d is more than the limit %d", n, lim)
		return 1
	}
	return n
}

// kernel reads a depthwise kernel size that may be 0 (none) or absent (0).
func (rr *rowReader) kernel(name string) int {
	v, ok := rr.r.Fields[name]
	if !ok || v == "0" {
		return 0
	}
	return rr.int(name, 1)
}

func (rr *rowReader) float(name string) float64 {
	v, ok := rr.value(name, true)
	if !ok {
		return 1
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f <= 64) || math.IsInf(f, 0) {
		rr.fail(name, "want a positive number, got %q", v)
		return 1
	}
	return f
}

func (rr *rowReader) bool(name string) bool {
	v, ok := rr.r.Fields[name]
	if !ok {
		return false
	}
	switch v {
	case "0", "no", "false", "-":
		return false
	case "1", "yes", "true", "✓":
		return true
	}
	rr.fail(name, "want 0 or 1, got %q", v)
	return false
}

func (rr *rowReader) act() Activation {
	v, ok := rr.r.Fields["nl"]
	if !ok {
		return rr.d.Act
	}
	a, err := ParseActivation(v)
	if err != nil {
		rr.fail("nl", "%v, got %q", err, v)
	}
	return a
}

// channels reads a channel count: N is scaled by the width multiplier as
// the row's scale field says (width: the header's rounding of N·α; grow:
// the same with max(1, α), V2's last conv; none: N as written), and "Mx" is M
// times the row's input channels (V3's last conv: out=6x).
func (rr *rowReader) channels(name string, in int) int {
	v, ok := rr.value(name, true)
	if !ok {
		return 1
	}
	if m, isMul := strings.CutSuffix(v, "x"); isMul && m != "" {
		f, err := strconv.ParseFloat(m, 64)
		if err != nil || !(f > 0 && f <= maxChannels) || float64(int(f*float64(in))) != f*float64(in) {
			rr.fail(name, "want a positive integer or a whole multiple of the input channels like 6x, got %q", v)
			return 1
		}
		if c := int(f * float64(in)); c <= maxChannels {
			return c
		}
		rr.fail(name, "%s of %d channels is more than the limit %d", v, in, maxChannels)
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		rr.fail(name, "want a positive integer, got %q", v)
		return 1
	}
	if n > maxChannels {
		rr.fail(name, "%d channels is more than the limit %d", n, maxChannels)
		return 1
	}
	alpha := rr.d.Width
	switch s := rr.r.Fields["scale"]; s {
	case "", "width":
	case "grow":
		alpha = max(1, alpha)
	case "none":
		return n
	default:
		rr.fail("scale", "want width, grow or none, got %q", s)
		return n
	}
	return rr.d.scale(n, alpha)
}

// scale applies the width multiplier with the header's rounding.
func (d *Desc) scale(c int, alpha float64) int {
	if d.Round == 0 {
		return max(1, int(math.Floor(float64(c)*alpha+1e-9)))
	}
	return MakeDivisible(float64(c)*alpha, d.Round)
}
