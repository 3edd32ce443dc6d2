package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/models"
)

func analyze(t *testing.T, spec string) *Report {
	t.Helper()
	g, err := models.BuildSpec(spec, models.BuildOptions{NoWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(g)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The totals of DESIGN.md's table (torchvision's numbers for V2/V3).
func TestTotals(t *testing.T) {
	for _, c := range []struct {
		spec                  string
		macs, params, weights int64
	}{
		{"mobilenet_v1", 568_740_352, 4_231_976, 4_209_088},
		{"mobilenet_v2", 300_774_272, 3_504_872, 3_469_760},
		{"mobilenet_v3_large", 216_589_760, 5_483_032, 5_451_272},
		{"mobilenet_v3_small", 56_510_400, 2_542_856, 2_525_832},
		// timm's mobilenetv4_conv_small (3.77 M params, 0.19 GMACs): counted
		// independently from timm's arch_def strings (a Python walk of
		// uir_r1_a5_k5_s2_e3_c96 ... with make_divisible(in·e, 8)).
		{"mobilenet_v4_conv_small", 186_005_568, 3_774_024, 3_747_936},
		// mobilenetv4_conv_medium at 256² (9.7 M, 1.1 GMACs) and
		// mobilenetv4_conv_large at 384² (32.6 M, 6.4 GMACs), as timm's
		// model cards give them; counted the same way.
		{"mobilenet_v4_conv_medium:res=256", 1_080_244_224, 9_715_512, 9_646_608},
		{"mobilenet_v4_conv_large:res=384", 6_376_220_672, 32_590_864, 32_440_312},
	} {
		r := analyze(t, c.spec)
		if r.MACs != c.macs || r.Params != c.params || r.Weights != c.weights {
			t.Errorf("%s: MACs %d params %d weights %d, want %d %d %d", c.spec, r.MACs, r.Params, r.Weights, c.macs, c.params, c.weights)
		}
		if r.FLOPs != 2*r.MACs {
			t.Errorf("%s: FLOPs %d, want 2·MACs", c.spec, r.FLOPs)
		}
	}
}

// Paper Table 2: V1's share by layer type. MAC shares are of all MACs,
// parameter shares of the weight tensors (that is how the paper's numbers
// come out; the first conv's MAC share is 1.91%, the paper prints 1.19%).
func TestV1Table2Shares(t *testing.T) {
	r := analyze(t, "mobilenet_v1")
	for _, c := range []struct {
		kind         string
		macs, params float64 // percent, 2 decimals
	}{
		{KindPointwise, 94.86, 74.59},
		{KindDepthwise(3, 3), 3.06, 1.06},
		{KindStem, 1.91, 0.02},
		{KindFC, 0.18, 24.33},
	} {
		s := r.ShareOf(c.kind)
		if got := math.Round(10000*s.MACShare) / 100; got != c.macs {
			t.Errorf("%s: MAC share %.2f%%, want %.2f%%", c.kind, got, c.macs)
		}
		if got := math.Round(10000*s.WeightShare) / 100; got != c.params {
			t.Errorf("%s: weight share %.2f%%, want %.2f%%", c.kind, got, c.params)
		}
	}
	if len(r.Shares) != 4 {
		t.Errorf("V1 has %d layer kinds, want 4: %+v", len(r.Shares), r.Shares)
	}
}

func millions(n int64, decimals int) string { return fmt.Sprintf("%.*f", decimals, float64(n)/1e6) }

// Paper Table 6/7 (V1) and the V2 paper's width and resolution numbers.
func TestWidthResolutionGrid(t *testing.T) {
	for _, c := range []struct {
		spec string
		macs string // millions, 1 decimal
	}{
		{"mobilenet_v1", "568.7"},
		{"mobilenet_v1:res=192", "418.1"},
		{"mobilenet_v1:res=160", "290.7"},
		{"mobilenet_v1:res=128", "186.4"},
		{"mobilenet_v1:alpha=0.75", "325.4"},
		{"mobilenet_v1:alpha=0.5", "149.5"},
		{"mobilenet_v1:alpha=0.25", "41.0"},
		{"mobilenet_v2:alpha=1.4", "582.2"},
		{"mobilenet_v2:alpha=0.35", "59.3"},
		{"mobilenet_v2:res=192", "221.3"},
		{"mobilenet_v2:res=160", "154.1"},
		{"mobilenet_v2:res=128", "99.1"},
	} {
		if got := millions(analyze(t, c.spec).MACs, 1); got != c.macs {
			t.Errorf("%s: %s M MACs, want %s M", c.spec, got, c.macs)
		}
	}
	if got := millions(analyze(t, "mobilenet_v2:alpha=1.4").Weights, 2); got != "6.06" {
		t.Errorf("V2 1.4: %s M weights, want 6.06 M", got)
	}
	if got := millions(analyze(t, "mobilenet_v2:alpha=0.35").Weights, 3); got != "1.662" {
		t.Errorf("V2 0.35: %s M weights, want 1.662 M", got)
	}
}

// Paper Table 4: "Conv MobileNet" 4866M MACs, 29.3M params. Our count is
// 4,867,293,184; the paper's figure matches it without the FC layer's
// 1,024,000 (4866.3M), so we pin the exact count and the paper's to 0.03%.
func TestConvMobileNet(t *testing.T) {
	r := analyze(t, "mobilenet_v1_conv")
	if r.MACs != 4_867_293_184 {
		t.Errorf("Conv MobileNet: %d MACs, want 4,867,293,184", r.MACs)
	}
	if d := math.Abs(float64(r.MACs)/1e6 - 4866); d > 1.5 {
		t.Errorf("Conv MobileNet: %.1f M MACs, paper 4866 M", float64(r.MACs)/1e6)
	}
	if got := millions(r.Params, 1); got != "29.3" {
		t.Errorf("Conv MobileNet: %s M params, want 29.3 M", got)
	}
	// The standard-conv estimate of V1 is exactly Conv MobileNet.
	v1 := analyze(t, "mobilenet_v1")
	if v1.Standard.MACs != r.MACs || v1.Standard.Weights != r.Weights || v1.Standard.Pairs != 13 {
		t.Errorf("V1 with standard convs: %+v, want %d MACs %d weights 13 pairs", v1.Standard, r.MACs, r.Weights)
	}
}

// The article's example: 112×112×64 → 128 channels, 3×3.
func TestArticleExample(t *testing.T) {
	b := frontend.NewBuilder("example", frontend.Options{Weights: frontend.ZeroWeights})
	x := b.Input("input", 64, 112, 112)
	y := b.DepthwiseSeparable("ds", x, 128, 3, 1, frontend.ReLU6)
	g, err := b.Finish(y, "out")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(g)
	if err != nil {
		t.Fatal(err)
	}
	if r.MACs != 109_985_792 || r.Standard.MACs != 924_844_032 {
		t.Errorf("separable %d, standard %d MACs; want 109,985,792 and 924,844,032", r.MACs, r.Standard.MACs)
	}
	if want := 1.0/128 + 1.0/9; math.Abs(r.Standard.Ratio-want) > 1e-12 {
		t.Errorf("ratio %v, want 1/N + 1/Dk² = %v", r.Standard.Ratio, want)
	}
	if got := fmt.Sprintf("%.4f", r.Standard.Ratio); got != "0.1189" {
		t.Errorf("ratio %s, want 0.1189", got)
	}
}

func TestKindsAndSE(t *testing.T) {
	r := analyze(t, "mobilenet_v3_large")
	counts := map[string]int{}
	for _, l := range r.Layers {
		counts[l.Kind]++
	}
	// 8 SE blocks × 2 convs; 15 depthwise; 1 stem; 2 fc.
	want := map[string]int{KindSE: 16, KindStem: 1, KindFC: 2, KindDepthwise(3, 3): 9, KindDepthwise(5, 5): 6}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("V3-Large: %d %q layers, want %d (all: %v)", counts[k], k, n, counts)
		}
	}
	// 15 blocks pair their depthwise with the projection, SE between or not.
	if r.Standard.Pairs != 15 {
		t.Errorf("V3-Large: %d depthwise-separable pairs, want 15", r.Standard.Pairs)
	}
	var l Layer
	for _, x := range r.Layers {
		if x.Name == "features.4.block.2.fc1" {
			l = x
		}
	}
	// SE of features.4: 72 channels → make_divisible(72/4, 8) = 24, with bias.
	if l.Kind != KindSE || l.Params != 72*24+24 || l.MACs != 72*24 {
		t.Errorf("features.4.block.2.fc1: %+v, want se, %d params, %d MACs", l, 72*24+24, 72*24)
	}
}

func TestWriteTextAndJSON(t *testing.T) {
	r := analyze(t, "mobilenet_v1")
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{"568,740,352", "1,137,480,704", "(2·MACs)", "4,231,976", "4,209,088", "pointwise 1x1", "94.86", "features.13.pw.0", "4,867,293,184"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
	// Aligned: every row of the layer table has the same width.
	lines := strings.Split(text, "\n")
	width := len([]rune(lines[2]))
	for _, ln := range lines[3 : 3+len(r.Layers)] {
		if len([]rune(ln)) != width {
			t.Fatalf("misaligned row %q (width %d, header %d)", ln, len([]rune(ln)), width)
		}
	}
	b.Reset()
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.MACs != r.MACs || back.Params != r.Params || len(back.Layers) != len(r.Layers) || back.Standard != r.Standard {
		t.Errorf("JSON round trip differs: %d %d %d", back.MACs, back.Params, len(back.Layers))
	}
}

func TestCommas(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 568740352: "568,740,352"} {
		if got := Commas(n); got != want {
			t.Errorf("Commas(%d) = %q, want %q", n, got, want)
		}
	}
}

// A symbolic batch is counted as one image, without changing the graph.
func TestSymbolicBatch(t *testing.T) {
	g, err := models.BuildSpec("mobilenet_v2", models.BuildOptions{NoWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	g.Inputs[0].Shape[0] = -1
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(g)
	if err != nil {
		t.Fatal(err)
	}
	if r.MACs != 300_774_272 || r.Input[0] != 1 {
		t.Errorf("symbolic batch: %d MACs, input %v", r.MACs, r.Input)
	}
	if g.Inputs[0].Shape[0] != -1 {
		t.Error("Analyze changed the caller's graph")
	}
	if err := g.SetBatch(2); err != nil {
		t.Fatal(err)
	}
	if r, _ := Analyze(g); r.MACs != 2*300_774_272 {
		t.Errorf("batch 2: %d MACs, want twice one image's", r.MACs)
	}
}

// A dimension other than the batch that is unknown is an error naming the node.
func TestUnknownShapeIsAnError(t *testing.T) {
	g := ir.New("dyn")
	x := g.AddInput("x", 1, -1)
	w := g.AddConst("w", ir.NewTensor(2, 4))
	y := g.AddNode(ir.OpMatMul, "mm", ir.Attrs{}, x, w)
	w2 := g.AddConst("w2", ir.NewTensor(3, 2))
	z := g.AddNode(ir.OpGemm, "fc", ir.GemmAttrs(), y, w2)
	g.SetOutputs(z)
	y.Shape = ir.Shape{1, -1}
	z.Shape = ir.Shape{1, -1}
	_, err := Analyze(g)
	if err == nil || !strings.Contains(err.Error(), `"fc"`) {
		t.Fatalf("want an error naming node fc, got %v", err)
	}
}
