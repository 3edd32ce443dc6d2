// Package models is mnc's model zoo: MobileNet V1 (and the paper's "Conv
// MobileNet" baseline), V2, V3-Large, V3-Small and the V4 conv models
// (small, medium, large) with width multipliers, input resolutions and class
// counts, built from Go tables with the frontend's blocks and given
// deterministic, calibrated random weights. The four standard models, the V4
// models and SSDLite also ship as description files (models/*.mnc).
package models

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
)

// Spec is a parsed model spec such as "mobilenet_v2:alpha=0.5,res=160".
type Spec struct {
	Name    string  // canonical model name, e.g. "mobilenet_v2"
	Alpha   float64 // width multiplier
	Res     int     // input height and width
	Classes int     // output classes
	Softmax bool    // append a Softmax (output "probs" instead of "logits")
	H, W    int     // input height and width when they differ from Res (0: Res); models taking any H×W
}

// String is the canonical spec: the name, then only the options that differ
// from the defaults, in a fixed order.
func (s Spec) String() string {
	var opts []string
	if s.Alpha != 1 {
		opts = append(opts, "alpha="+strconv.FormatFloat(s.Alpha, 'g', -1, 64))
	}
	def := defaults(s.Name)
	if s.Res != def.Res {
		opts = append(opts, fmt.Sprintf("res=%d", s.Res))
	}
	if s.Classes != def.Classes {
		opts = append(opts, fmt.Sprintf("classes=%d", s.Classes))
	}
	if s.Softmax {
		opts = append(opts, "softmax=1")
	}
	if s.H != 0 {
		opts = append(opts, fmt.Sprintf("h=%d", s.H))
	}
	if s.W != 0 {
		opts = append(opts, fmt.Sprintf("w=%d", s.W))
	}
	if len(opts) == 0 {
		return s.Name
	}
	return s.Name + ":" + strings.Join(opts, ",")
}

type family struct {
	eps    float32
	calRes int // Calibrate's resolution; 0 means the model's own
	build  func(b *frontend.Builder, x *ir.Value, s Spec) *ir.Value
	// calMinSamples: as multiFamily's (V4's head BatchNorm sees one value
	// per channel, after the pool).
	calMinSamples int
}

// multiFamily is a model with several outputs (a detector): build makes
// them, outs names them; res and classes are its defaults.
type multiFamily struct {
	build        func(b *frontend.Builder, x *ir.Value, s Spec) []*ir.Value
	outs         []string
	res, classes int
	// calMinSamples: BatchNorms seeing fewer values per channel are
	// calibrated with pooled statistics (see calibrate); 0 for none.
	calMinSamples int
	// anyShape: the model takes any input H×W (keys h and w; -shape
	// rebuilds it for the shape given).
	anyShape bool
}

// multiFamilies are registered by their files' init (each also has an
// entry in families with a nil build).
var multiFamilies = map[string]multiFamily{}

// defaults is the spec of a family's model with no options.
func defaults(name string) Spec {
	s := Spec{Name: name, Alpha: 1, Res: 224, Classes: 1000}
	if f, ok := multiFamilies[name]; ok {
		s.Res, s.Classes = f.res, f.classes
	}
	return s
}

var families = map[string]family{
	"mobilenet_v1":      {1e-5, CalibrationRes, func(b *frontend.Builder, x *ir.Value, s Spec) *ir.Value { return buildV1(b, x, s, false) }, 0},
	"mobilenet_v1_conv": {1e-5, CalibrationRes, func(b *frontend.Builder, x *ir.Value, s Spec) *ir.Value { return buildV1(b, x, s, true) }, 0},
	"mobilenet_v2":      {1e-5, CalibrationRes, buildV2, 0},
	"mobilenet_v3_large": {1e-3, 0, func(b *frontend.Builder, x *ir.Value, s Spec) *ir.Value {
		return buildV3(b, x, s, v3Large, 1280)
	}, 0},
	"mobilenet_v3_small": {1e-3, 0, func(b *frontend.Builder, x *ir.Value, s Spec) *ir.Value {
		return buildV3(b, x, s, v3Small, 1024)
	}, 0},
	"mobilenet_v4_conv_small": {1e-5, 0, func(b *frontend.Builder, x *ir.Value, s Spec) *ir.Value {
		return buildV4(b, x, s, 32, v4ConvSmall)
	}, detectorMinSamples},
	"mobilenet_v4_conv_medium": {1e-5, 0, func(b *frontend.Builder, x *ir.Value, s Spec) *ir.Value {
		return buildV4(b, x, s, 32, v4ConvMedium)
	}, detectorMinSamples},
	"mobilenet_v4_conv_large": {1e-5, 0, func(b *frontend.Builder, x *ir.Value, s Spec) *ir.Value {
		return buildV4(b, x, s, 24, v4ConvLarge)
	}, detectorMinSamples},
}

var aliases = map[string]string{
	"v1": "mobilenet_v1", "v1_conv": "mobilenet_v1_conv", "v2": "mobilenet_v2",
	"v3l": "mobilenet_v3_large", "v3_large": "mobilenet_v3_large",
	"v3s": "mobilenet_v3_small", "v3_small": "mobilenet_v3_small",
	"v4s": "mobilenet_v4_conv_small", "v4_conv_small": "mobilenet_v4_conv_small",
	"v4m": "mobilenet_v4_conv_medium", "v4_conv_medium": "mobilenet_v4_conv_medium",
	"v4l": "mobilenet_v4_conv_large", "v4_conv_large": "mobilenet_v4_conv_large",
}

var specKeys = []string{"alpha", "res", "classes", "softmax"}

// Names returns the built-in model names, sorted.
func Names() []string {
	var names []string
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func validNames() string {
	var al []string
	for a := range aliases {
		al = append(al, a)
	}
	sort.Strings(al)
	return strings.Join(Names(), ", ") + " (short: " + strings.Join(al, ", ") + ")"
}

// ParseSpec reads "name[:key=value,...]" with keys alpha (width multiplier,
// in (0, 4]), res (input size, 32..4096), classes (≥ 1) and softmax (0/1).
func ParseSpec(spec string) (Spec, error) {
	name, opts, _ := strings.Cut(strings.TrimSpace(spec), ":")
	name = strings.ToLower(strings.TrimSpace(name))
	if full, ok := aliases[name]; ok {
		name = full
	}
	if _, ok := families[name]; !ok {
		return Spec{}, fmt.Errorf("model spec %q: unknown model %q (valid: %s)", spec, name, validNames())
	}
	s := defaults(name)
	if strings.TrimSpace(opts) == "" {
		return s, nil
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(opts, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if !ok || k == "" {
			return Spec{}, fmt.Errorf("model spec %q: option %q is not key=value (keys: %s)", spec, kv, strings.Join(specKeys, ", "))
		}
		if seen[k] {
			return Spec{}, fmt.Errorf("model spec %q: option %q given twice", spec, k)
		}
		seen[k] = true
		bad := func(want string) error {
			return fmt.Errorf("model spec %q: option %q: want %s, got %q", spec, k, want, v)
		}
		switch k {
		case "alpha", "width":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f > 0 && f <= 4) {
				return Spec{}, bad("a width multiplier in (0, 4]")
			}
			s.Alpha = f
		case "res", "resolution":
			n, err := strconv.Atoi(v)
			if err != nil || n < 32 || n > 4096 {
				return Spec{}, bad("an input size from 32 to 4096")
			}
			s.Res = n
		case "classes":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1<<20 {
				return Spec{}, bad("a positive class count")
			}
			s.Classes = n
		case "h", "w":
			n, err := strconv.Atoi(v)
			if err != nil || n < 32 || n > 4096 {
				return Spec{}, bad("an input size from 32 to 4096")
			}
			if !multiFamilies[name].anyShape {
				return Spec{}, fmt.Errorf("model spec %q: option %q: %s takes a square input (res)", spec, k, name)
			}
			if k == "h" {
				s.H = n
			} else {
				s.W = n
			}
		case "softmax":
			bv, err := strconv.ParseBool(v)
			if err != nil {
				return Spec{}, bad("0 or 1")
			}
			s.Softmax = bv
		default:
			return Spec{}, fmt.Errorf("model spec %q: unknown option %q (keys: %s)", spec, k, strings.Join(specKeys, ", "))
		}
	}
	return s, nil
}

// BuildOptions choose how much work building a model does.
type BuildOptions struct {
	// NoWeights gives zero-filled constants of the right shapes and skips
	// calibration: for analysis and shape-only compilation, and fast.
	NoWeights bool
	// shapesOnly builds constants without data (see checkSpec).
	shapesOnly bool
}

// BuildSpec builds the model a spec names (see ParseSpec). The graph's
// input is "input" [1,3,res,res] and its output "logits" [1,classes]
// ("probs" with softmax=1). Without NoWeights the weights are random but
// deterministic (seeded by the canonical spec) and the BatchNorm statistics
// are calibrated so activations stay O(1) (see Calibrate and
// CalibrationRes).
func BuildSpec(spec string, opts BuildOptions) (*ir.Graph, error) {
	s, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return BuildFrom(s, opts)
}

// BuildFrom builds a parsed spec.
func BuildFrom(s Spec, opts BuildOptions) (*ir.Graph, error) {
	f, ok := families[s.Name]
	if !ok {
		return nil, fmt.Errorf("unknown model %q (valid: %s)", s.Name, validNames())
	}
	seed := s
	if multiFamilies[s.Name].anyShape { // one model at every size: the weights do not depend on it
		seed.Res, seed.H, seed.W = defaults(s.Name).Res, 0, 0
	}
	fo := frontend.Options{Seed: frontend.SeedOf(seed.String()), BNEps: f.eps}
	if opts.shapesOnly {
		fo.Weights = frontend.ShapesOnly
	} else if opts.NoWeights {
		fo.Weights = frontend.ZeroWeights
	} else if err := checkSpec(s); err != nil {
		return nil, err
	}
	name := s.Name
	if s != defaults(s.Name) {
		name = s.String()
	}
	b := frontend.NewBuilder(name, fo)
	h, w := s.Res, s.Res
	if s.H != 0 {
		h = s.H
	}
	if s.W != 0 {
		w = s.W
	}
	x := b.Input("input", 3, h, w)
	var g *ir.Graph
	var err error
	if m, ok := multiFamilies[s.Name]; ok {
		if s.Softmax {
			return nil, fmt.Errorf("model %s: softmax=1 applies to classifiers only", s)
		}
		g, err = b.FinishOutputs(m.build(b, x, s), m.outs)
		if err == nil && m.anyShape {
			g.Rebuild = rebuilder(s, opts)
		}
	} else {
		y := f.build(b, x, s)
		out := "logits"
		if s.Softmax {
			y = b.Softmax("softmax", y)
			out = "probs"
		}
		g, err = b.Finish(y, out)
	}
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", s, err)
	}
	if !opts.NoWeights {
		res := f.calRes
		if res == 0 {
			res = s.Res
		}
		if err := calibrate(g, res, max(f.calMinSamples, multiFamilies[s.Name].calMinSamples)); err != nil {
			return nil, fmt.Errorf("model %s: calibrating: %w", s, err)
		}
	}
	return g, nil
}

// Build builds the calibrated model a spec names: "mobilenet_v1",
// "mobilenet_v2:alpha=0.5,res=160", "mobilenet_v1:alpha=0.75,res=192,classes=1001",
// "mobilenet_v1_conv", "mobilenet_v3_large", "mobilenet_v3_small:alpha=0.75",
// or a short name (v1, v2, v3l, v3s, ...).
func Build(spec string) (*ir.Graph, error) { return BuildSpec(spec, BuildOptions{}) }

// rebuilder builds a model that takes any H×W again for the input shape
// given (Specialize, -shape input=NxCxHxW): the spec with h and w set, and
// the batch bound.
func rebuilder(s Spec, opts BuildOptions) func(map[string]ir.Shape) (*ir.Graph, error) {
	return func(shapes map[string]ir.Shape) (*ir.Graph, error) {
		t := s
		n := 1
		for name, sh := range shapes {
			if name != "input" {
				return nil, fmt.Errorf("model %s has no input %q (its input is \"input\")", s, name)
			}
			if len(sh) != 4 || sh[1] != 3 || sh[2] < 32 || sh[3] < 32 || sh[2] > 4096 || sh[3] > 4096 {
				return nil, fmt.Errorf("model %s: input shape %v: want N×3×H×W with H and W from 32 to 4096", s, sh)
			}
			t.H, t.W, n = sh[2], sh[3], max(sh[0], 1)
			if t.H == t.Res {
				t.H = 0
			}
			if t.W == t.Res {
				t.W = 0
			}
		}
		g, err := BuildFrom(t, opts)
		if err != nil {
			return nil, err
		}
		if n != 1 {
			if err := g.SetBatch(n); err != nil {
				return nil, err
			}
		}
		return g, nil
	}
}
