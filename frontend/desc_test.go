package frontend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

const tinyDesc = `# a small V3-style network
model tiny
input 3x32x32
classes 10
bn_eps 0.001

conv  k=3 out=16 s=2 nl=HS
bneck k=3 exp=16 out=16 se=1 nl=RE s=1
bneck k=5 exp=48 out=24 se=0 nl=HS s=2
ir    t=6 c=24 n=2
dwsep out=32 s=2
conv  k=1 out=2x nl=HS
pool
fc out=64 nl=HS
dropout p=0.2
fc
softmax
`

func TestParseTiny(t *testing.T) {
	g, err := Parse("tiny.mnc", strings.NewReader(tinyDesc))
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "tiny" || g.Inputs[0].Name != "input" || !g.Inputs[0].Shape.Equal(ir.Shape{1, 3, 32, 32}) {
		t.Errorf("graph %s input %s %v", g.Name, g.Inputs[0].Name, g.Inputs[0].Shape)
	}
	out := g.Outputs[0]
	if out.Name != "probs" || !out.Shape.Equal(ir.Shape{1, 10}) || out.Producer.Op != ir.OpSoftmax {
		t.Errorf("output %s %v from %v", out.Name, out.Shape, out.Producer)
	}
	want := map[string]ir.Shape{
		"features.1.add":         {1, 16, 16, 16}, // stride 1, 16 → 16: residual
		"features.1.block.1.fc1": {1, 8, 1, 1},    // make_divisible(16/4, 8) = 8
		"features.2.block.0.0":   {1, 48, 16, 16},
		"features.3.conv.0.0":    {1, 144, 8, 8}, // 24·6
		"features.4.add":         {1, 24, 8, 8},  // second repeat of the ir row
		"features.5.pw.0":        {1, 32, 4, 4},
		"features.6.0":           {1, 64, 4, 4}, // out=2x
		"classifier.0":           {1, 64},
		"classifier.1":           {1, 64},
		"classifier.3":           {1, 10},
	}
	got := map[string]ir.Shape{}
	for _, n := range g.Nodes {
		got[n.Name] = n.Output().Shape
	}
	for name, s := range want {
		if !got[name].Equal(s) {
			t.Errorf("%s: shape %v, want %v", name, got[name], s)
		}
	}
	if _, ok := got["features.3.add"]; !ok {
		t.Error("features.3 (24 → 24 at stride 1) has no residual add")
	}
	if _, ok := got["features.2.add"]; ok {
		t.Error("features.2 has stride 2 and must not have a residual add")
	}
}

func TestParseFileAndWeights(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tiny.mnc")
	if err := os.WriteFile(p, []byte(tinyDesc), 0o644); err != nil {
		t.Fatal(err)
	}
	g1, err := ParseFile(p)
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := Parse("other-name.mnc", strings.NewReader(tinyDesc))
	w1, w2 := constNamed(g1, "features.0.0.weight"), constNamed(g2, "features.0.0.weight")
	nonzero := false
	for i := range w1.Data {
		if w1.Data[i] != w2.Data[i] {
			t.Fatal("weights depend on more than the model name")
		}
		nonzero = nonzero || w1.Data[i] != 0
	}
	if !nonzero {
		t.Fatal("random weights are all zero")
	}
	seeded, _ := Parse("s.mnc", strings.NewReader(strings.Replace(tinyDesc, "classes 10", "classes 10\nseed 7", 1)))
	if w3 := constNamed(seeded, "features.0.0.weight"); w3.Data[0] == w1.Data[0] {
		t.Error("the seed header does not change the weights")
	}
	if _, err := ParseFile(filepath.Join(dir, "missing.mnc")); err == nil {
		t.Error("missing file: no error")
	}
}

func constNamed(g *ir.Graph, name string) *ir.Tensor {
	for _, v := range g.Values() {
		if v.Name == name && v.Const != nil {
			return v.Const
		}
	}
	return nil
}

// Every kind of mistake gives file:line (when there is a line), the field
// and what was wanted.
func TestParseErrors(t *testing.T) {
	const head = "model m\ninput 3x64x64\n"
	for _, c := range []struct{ name, text, want string }{
		{"empty", "", `e.mnc: missing the "model NAME" line`},
		{"no input", "model m\nconv k=3 out=8\n", `e.mnc: missing the "input CxHxW" line`},
		{"no rows", head, "e.mnc: no layer rows"},
		{"row before model", "conv k=3 out=8\n", `e.mnc:1: layer row "conv" before the "model" line`},
		{"header before model", "input 3x8x8\n", `e.mnc:1: field "input": the first line must be "model NAME"`},
		{"bad model name", "model a/b\n", `e.mnc:1: field "model": want a name`},
		{"unknown line", head + "bnek k=3\n", `e.mnc:3: unknown line "bnek"`},
		{"bad input", "model m\ninput 3x224\n", `e.mnc:2: field "input": want CxHxW like 3x224x224, got "3x224"`},
		{"zero input", "model m\ninput 3x0x224\n", `e.mnc:2: field "input": want CxHxW`},
		{"two values", "model m x\n", `e.mnc:1: field "model": want one value, got 2`},
		{"dup header", head + "classes 10\nclasses 5\n", `e.mnc:4: field "classes": given twice (first on line 3)`},
		{"bad classes", head + "classes ten\n", `e.mnc:3: field "classes": want a positive integer, got "ten"`},
		{"bad width", head + "width 0\n", `e.mnc:3: field "width": want a width multiplier in (0, 4], got "0"`},
		{"bad round", head + "round up\n", `e.mnc:3: field "round": want "floor"`},
		{"bad eps", head + "bn_eps -1\n", `e.mnc:3: field "bn_eps"`},
		{"bad nl header", head + "nl tanh\n", `e.mnc:3: field "nl": want one of none, RE, RE6, HS, HSIG, got "tanh"`},
		{"bad seed", head + "seed -4\n", `e.mnc:3: field "seed": want a non-negative integer`},
		{"header after rows", head + "conv k=3 out=8\nclasses 5\n", `e.mnc:4: field "classes": header after the first layer row`},
		{"not field=value", head + "conv k=3 out\n", `e.mnc:3: conv: "out" is not field=value`},
		{"unknown field", head + "conv k=3 out=8 exp=4\n", `e.mnc:3: field "exp": unknown for conv (fields: k, out, s, groups, nl, scale, tap)`},
		{"dup field", head + "conv k=3 k=5 out=8\n", `e.mnc:3: field "k": given twice`},
		{"pool fields", head + "conv k=3 out=8\npool size=7\n", `e.mnc:4: field "size": pool takes no fields`},
		{"missing k", head + "conv out=8\n", `e.mnc:3: field "k": required by conv`},
		{"missing out", head + "conv k=3\n", `e.mnc:3: field "out": required by conv`},
		{"bad exp", head + "conv k=3 out=8\nbneck k=3 exp=x out=8 se=1 nl=RE s=1\n", `e.mnc:4: field "exp": want a positive integer, got "x"`},
		{"zero stride", head + "conv k=3 out=8 s=0\n", `e.mnc:3: field "s": want a positive integer, got "0"`},
		{"bad t", head + "conv k=3 out=8\nir t=-6 c=8\n", `e.mnc:4: field "t": want a positive number, got "-6"`},
		{"missing t", head + "conv k=3 out=8\nir c=8\n", `e.mnc:4: field "t": required by ir`},
		{"bad se", head + "conv k=3 out=8\nbneck k=3 exp=8 out=8 se=2 nl=RE s=1\n", `e.mnc:4: field "se": want 0 or 1, got "2"`},
		{"bad nl", head + "conv k=3 out=8 nl=ELU\n", `e.mnc:3: field "nl": want one of none, RE, RE6, HS, HSIG, got "ELU"`},
		{"bad scale", head + "conv k=3 out=8 scale=big\n", `e.mnc:3: field "scale": want width, grow or none, got "big"`},
		{"bad multiple", head + "conv k=3 out=8\nconv k=1 out=0.3x\n", `e.mnc:4: field "out": want a positive integer or a whole multiple`},
		{"bad groups", head + "conv k=3 out=8 groups=2\n", `e.mnc:3: conv: conv "features.0.0": 2 groups do not divide 3 input and 8 output channels`},
		{"fc before pool", head + "conv k=3 out=8\nfc out=4\n", `e.mnc:4: fc: needs a pool row before it`},
		{"dwsep after pool", head + "conv k=3 out=8\npool\ndwsep out=8\n", `e.mnc:5: dwsep: body rows must come before pool`},
		{"3x3 conv after pool", head + "conv k=3 out=8\npool\nconv k=3 out=8\n", `e.mnc:5: field "k": a conv after pool runs on the pooled 1×1 map: want k=1 s=1 groups=1`},
		{"conv after fc", head + "conv k=3 out=8\npool\nfc out=4\nconv k=1 out=8\nfc\n", `e.mnc:6: conv: a conv after pool must come before the dropout and fc rows`},
		{"uib stride", head + "conv k=3 out=8\nuib start=0 mid=0 e=2 out=8 s=2\n", `e.mnc:4: field "s": stride 2 needs a start or mid depthwise conv to take it`},
		{"uib needs e", head + "conv k=3 out=8\nuib mid=3 out=8\n", `e.mnc:4: field "e": required by uib`},
		{"uib huge start", head + "conv k=3 out=8\nuib start=99 mid=3 e=2 out=8\n", `e.mnc:4: field "start": 99 is more than the limit 31`},
		{"uib bad mid", head + "conv k=3 out=8\nuib mid=-3 e=2 out=8\n", `e.mnc:4: field "mid": want a positive integer, got "-3"`},
		{"fused needs out", head + "conv k=3 out=8\nfused k=3 e=4\n", `e.mnc:4: field "out": required by fused`},
		{"pool twice", head + "conv k=3 out=8\npool\npool\n", `e.mnc:5: pool: the model is already pooled`},
		{"fc needs out", head + "conv k=3 out=8\npool\nfc\nfc\n", `e.mnc:5: field "out": required (only the last fc defaults to the classes)`},
		{"after softmax", head + "conv k=3 out=8\npool\nfc out=4\nsoftmax\nfc out=3\n", `e.mnc:7: fc: nothing may follow softmax`},
		{"bad dropout", head + "conv k=3 out=8\npool\ndropout p=1.5\nfc\n", `e.mnc:5: field "p": want a probability in [0, 1), got "1.5"`},
		{"huge channels", head + "conv k=3 out=100000000\n", `e.mnc:3: field "out": 100000000 channels is more than the limit 65536`},
		{"huge kernel", head + "conv k=99 out=8\n", `e.mnc:3: field "k": 99 is more than the limit 31`},
		{"huge multiple", head + "conv k=3 out=8\nconv k=1 out=10000x\n", `e.mnc:4: field "out": 10000x of 8 channels is more than the limit`},
		{"too small", "model m\ninput 3x2x2\nconv k=3 out=8 s=2\nconv k=3 out=8 s=2\nconv k=5 out=8 s=1\n", ""},
	} {
		_, err := Parse("e.mnc", strings.NewReader(c.text))
		if c.want == "" {
			continue // only must not panic
		}
		if err == nil {
			t.Errorf("%s: no error, want %q", c.name, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s:\n got  %q\n want %q...", c.name, err, c.want)
		}
	}
}

// MobileNetV4 rows: every UIB instance, a FusedIB, repeats, and a 1×1
// conv on the pooled map before the flatten.
const v4Desc = `model tiny_v4
input 3x64x64
classes 10
nl RE
conv  k=3 out=16 s=2
fused k=3 e=4 out=24 s=2
uib   start=5 mid=5 e=3 out=32 s=2
uib   start=0 mid=3 e=2 out=32 n=2
uib   start=3 mid=0 e=4 out=32
uib   start=0 mid=0 t=2 c=32
uib   start=3 middle=0 e=4 out=48 s=2
conv  k=1 out=64
pool
conv  k=1 out=128 scale=none
fc
`

func TestParseV4(t *testing.T) {
	g, err := Parse("v4.mnc", strings.NewReader(v4Desc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ir.Shape{
		"features.1.conv_exp.0": {1, 64, 16, 16}, // make_divisible(16·4, 8)
		"features.1.conv_pwl.0": {1, 24, 16, 16},
		"features.2.dw_start.0": {1, 24, 16, 16}, // the stride is the middle dw's
		"features.2.pw_exp.0":   {1, 72, 16, 16},
		"features.2.dw_mid.0":   {1, 72, 8, 8},
		"features.3.add":        {1, 32, 8, 8},
		"features.4.add":        {1, 32, 8, 8}, // second repeat
		"features.5.pw_exp.0":   {1, 128, 8, 8},
		"features.5.add":        {1, 32, 8, 8},
		"features.6.add":        {1, 32, 8, 8}, // FFN
		"features.7.dw_start.0": {1, 32, 4, 4}, // strided ConvNeXt-like: the start dw takes it
		"avgpool":               {1, 64, 1, 1},
		"head.0.0":              {1, 128, 1, 1},
		"head.0.2":              {1, 128, 1, 1},
		"flatten":               {1, 128},
		"classifier":            {1, 10},
	}
	got := map[string]ir.Shape{}
	var order []string
	for _, n := range g.Nodes {
		got[n.Name] = n.Output().Shape
		order = append(order, n.Name)
	}
	for name, s := range want {
		if !got[name].Equal(s) {
			t.Errorf("%s: shape %v, want %v", name, got[name], s)
		}
	}
	for _, absent := range []string{"features.1.add", "features.2.add", "features.7.add", "features.3.dw_start.0", "features.5.dw_mid.0", "features.6.dw_start.0", "features.6.dw_mid.0"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s should not exist", absent)
		}
	}
	if tail := strings.Join(order[len(order)-6:], " "); tail != "avgpool head.0.0 head.0.1 head.0.2 flatten classifier" {
		t.Errorf("head %s, want avgpool head.0.0 head.0.1 head.0.2 flatten classifier", tail)
	}
}

func TestAliasesAndDefaults(t *testing.T) {
	text := "model m\ninput 3x32x32\nround floor\nwidth 0.5\nnl RE\nconv kernel=3 c=20 stride=2\ndwsep out=30\n"
	g, err := Parse("a.mnc", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if out := g.Outputs[0]; out.Name != "features" || !out.Shape.Equal(ir.Shape{1, 15, 16, 16}) {
		t.Errorf("output %s %v, want features [1×15×16×16] (floor(30·0.5))", out.Name, out.Shape)
	}
	for _, n := range g.Nodes {
		if n.Op == ir.OpClip || n.Op == ir.OpHardSwish {
			t.Errorf("node %s is %s; the header made ReLU the default", n.Name, n.Op)
		}
	}
	if c := g.Nodes[0].Output().Shape[1]; c != 10 {
		t.Errorf("stem has %d channels, want int(20·0.5) = 10", c)
	}
}

const tinyDetector = `model det
input 3x32x32
classes 5
bn_eps 0.001

stage backbone.features.0
conv  k=3 out=16 s=2 nl=HS
bneck k=3 exp=32 out=16 se=0 nl=RE s=1
conv  k=1 out=48 nl=HS tap=C4
stage backbone.features.1
bneck k=5 exp=48 out=24 se=1 nl=HS s=2 flat=1
conv  k=1 out=2x nl=HS tap=C5
stage backbone.extra
extra out=64 tap=E1
stage head
ssdhead name=cls anchors=4,6,6 output=scores
ssdhead name=box out=4 anchors=2 maps=E1,C4
`

func TestParseDetector(t *testing.T) {
	g, err := Parse("det.mnc", strings.NewReader(tinyDetector))
	if err != nil {
		t.Fatal(err)
	}
	// maps: C4 16², C5 8², E1 4².
	if len(g.Outputs) != 2 || g.Outputs[0].Name != "scores" || !g.Outputs[0].Shape.Equal(ir.Shape{1, 4*256 + 6*64 + 6*16, 5}) ||
		g.Outputs[1].Name != "box" || !g.Outputs[1].Shape.Equal(ir.Shape{1, 2*16 + 2*256, 4}) {
		t.Fatalf("outputs %v %v", g.Outputs, []ir.Shape{g.Outputs[0].Shape, g.Outputs[len(g.Outputs)-1].Shape})
	}
	want := map[string]ir.Shape{
		"backbone.features.0.2.0":            {1, 48, 16, 16},
		"backbone.features.1.0.0.0":          {1, 48, 8, 8}, // flat: no ".block", no expansion conv
		"backbone.features.1.0.1.mul":        {1, 48, 8, 8},
		"backbone.features.1.0.2.0":          {1, 24, 8, 8},
		"backbone.features.1.1.0":            {1, 48, 8, 8},
		"backbone.extra.0.0.0":               {1, 32, 8, 8},
		"backbone.extra.0.1.0":               {1, 32, 4, 4},
		"backbone.extra.0.2.0":               {1, 64, 4, 4},
		"head.cls.module_list.0.1":           {1, 20, 16, 16},
		"head.cls.module_list.2.reshape":     {1, 96, 5},
		"head.box.module_list.0.0.0":         {1, 64, 4, 4}, // maps= order: E1 first
		"head.box.module_list.1.1":           {1, 8, 16, 16},
		"backbone.features.0.1.block.0.0":    {1, 32, 16, 16},
		"backbone.features.0.1.block.2.0":    {1, 16, 16, 16},
		"head.regression_head.module_list.0": nil,
	}
	got := map[string]ir.Shape{}
	for _, n := range g.Nodes {
		got[n.Name] = n.Output().Shape
	}
	for name, s := range want {
		if sh, ok := got[name]; (s == nil) == ok || s != nil && !sh.Equal(s) {
			t.Errorf("%s: shape %v (present %v), want %v", name, sh, ok, s)
		}
	}
}

func TestParseDetectorErrors(t *testing.T) {
	const head = "model m\ninput 3x32x32\nconv k=3 out=16 s=2 tap=A\n"
	for _, c := range []struct{ name, text, want string }{
		{"no taps", "model m\ninput 3x32x32\nconv k=3 out=8\nssdhead name=h\n", `e.mnc:4: ssdhead: no feature maps (mark them with tap=NAME`},
		{"unknown map", head + "ssdhead name=h maps=A,B\n", `e.mnc:4: field "maps": no feature map is marked tap=B above`},
		{"anchor count", head + "conv k=3 out=16 s=2 tap=B\nssdhead name=h anchors=4,6,6\n", `e.mnc:5: field "anchors": 3 counts for 2 feature maps`},
		{"bad anchors", head + "ssdhead name=h anchors=x\n", `e.mnc:4: field "anchors": want a count per location`},
		{"no name", head + "ssdhead out=4\n", `e.mnc:4: field "name": required by ssdhead`},
		{"bad output", head + "ssdhead name=h output=a/b\n", `e.mnc:4: field "output": want a name`},
		{"same output", head + "ssdhead name=h\nssdhead name=g output=h\n", `e.mnc:5: field "output": "h" is already an output`},
		{"body after head", head + "ssdhead name=h\nconv k=1 out=8\n", `e.mnc:5: conv: only ssdhead rows may follow an ssdhead row`},
		{"pool after head", head + "ssdhead name=h\npool\n", `e.mnc:5: pool: only ssdhead rows may follow`},
		{"head after pool", head + "pool\nssdhead name=h\n", `e.mnc:5: ssdhead: takes the feature maps marked tap=, not pooled features`},
		{"dup tap", head + "conv k=1 out=8 tap=A\n", `e.mnc:4: field "tap": "A" already names the feature map of line 3`},
		{"bad tap", head + "conv k=1 out=8 tap=a:b\n", `e.mnc:4: field "tap": want a name`},
		{"flat with expansion", head + "bneck k=3 exp=32 out=16 flat=1\n", `e.mnc:4: field "flat": a flat bneck has no expansion conv: exp (32) must equal the input's 16 channels`},
		{"stage without name", head + "stage\n", `e.mnc:4: stage: want one name`},
		{"stage two names", head + "stage a b\n", `e.mnc:4: stage: want one name`},
		{"stage after pool", head + "pool\nstage s\n", `e.mnc:5: stage: body rows must come before pool`},
		{"extra too small", head + "extra out=1 s=1\n", ""},
		{"huge head", head + "ssdhead name=h anchors=1000 out=1000\n", `e.mnc:4: field "out": 1000 anchors × 1000 outputs is more than the limit`},
	} {
		_, err := Parse("e.mnc", strings.NewReader(c.text))
		if c.want == "" {
			continue // only must not panic
		}
		if err == nil {
			t.Errorf("%s: no error, want %q", c.name, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s:\n got  %q\n want %q...", c.name, err, c.want)
		}
	}
}
