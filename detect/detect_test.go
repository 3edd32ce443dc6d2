package detect

import (
	"fmt"
	"github.com/mnc-go/mnc/kernels"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
)

func near(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-4*max(1, math.Abs(float64(b))) }

// Default boxes of torchvision's SSDLite at 320², checked against values
// worked out by hand from DefaultBoxGenerator's definition.
func TestSSDLiteDefaultBoxes(t *testing.T) {
	maps := SSDLiteMaps(320, 320)
	if !reflect.DeepEqual(maps, [][2]int{{20, 20}, {10, 10}, {5, 5}, {3, 3}, {2, 2}, {1, 1}}) {
		t.Fatalf("maps %v", maps)
	}
	a, err := SSDLiteBoxes().Generate(320, 320, maps)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 3234 {
		t.Fatalf("%d anchors, want 3234", len(a))
	}
	s1 := math.Sqrt(0.2 * 0.35) // s'_0
	r2 := math.Sqrt(2)
	for _, c := range []struct {
		i            int
		cx, cy, w, h float64 // fractions of the image
	}{
		{0, 0.025, 0.025, 0.2, 0.2},
		{1, 0.025, 0.025, s1, s1},
		{2, 0.025, 0.025, 0.2 * r2, 0.2 / r2},
		{3, 0.025, 0.025, 0.2 / r2, 0.2 * r2},
		{4, 0.025, 0.025, 0.2 * math.Sqrt(3), 0.2 / math.Sqrt(3)},
		{6, 0.075, 0.025, 0.2, 0.2},      // next cell to the right
		{6 * 20, 0.025, 0.075, 0.2, 0.2}, // next row
		{2400, 0.05, 0.05, 0.35, 0.35},   // second map (10×10)
		{3228, 0.5, 0.5, 0.95, 0.95},     // last map (1×1)
		{3229, 0.5, 0.5, 1, 1},           // √(0.95·1) = 0.975 < 1
		{3230, 0.5, 0.5, 1, 0.95 / r2},   // 0.95·√2 clipped to 1
		{3233, 0.5, 0.5, 0.95 / math.Sqrt(3), 1},
	} {
		want := Box{float32((c.cx - c.w/2) * 320), float32((c.cy - c.h/2) * 320), float32((c.cx + c.w/2) * 320), float32((c.cy + c.h/2) * 320)}
		if c.i == 3229 {
			w := math.Sqrt(0.95)
			want = Box{float32((0.5 - w/2) * 320), float32((0.5 - w/2) * 320), float32((0.5 + w/2) * 320), float32((0.5 + w/2) * 320)}
		}
		g := a[c.i]
		if !near(g.X1, want.X1) || !near(g.Y1, want.Y1) || !near(g.X2, want.X2) || !near(g.Y2, want.Y2) {
			t.Errorf("anchor %d: %v, want %v", c.i, g, want)
		}
	}
	if _, err := SSDLiteBoxes().Generate(320, 320, maps[:5]); err == nil {
		t.Error("5 maps for 6 aspect-ratio lists: no error")
	}
	if n := SSDLiteBoxes().PerLocation(); !reflect.DeepEqual(n, []int{6, 6, 6, 6, 6, 6}) {
		t.Errorf("per location %v", n)
	}
	// Explicit scales and steps (torchvision's SSD300 style).
	d := DefaultBoxes{AspectRatios: [][]float64{{2}}, Scales: []float64{0.1, 0.2}, Steps: []int{8}}
	b, err := d.Generate(64, 32, [][2]int{{8, 4}})
	if err != nil || len(b) != 8*4*4 {
		t.Fatalf("%d boxes, %v", len(b), err)
	}
	// Cell (0,1): centre x = 1.5·8 = 12, y = 4; first box 0.1 of the image.
	if g := b[4]; !near(g.X1, 12-1.6) || !near(g.Y1, 4-3.2) || !near(g.X2, 12+1.6) || !near(g.Y2, 4+3.2) {
		t.Errorf("steps: box %v", g)
	}
}

func TestIoU(t *testing.T) {
	for _, c := range []struct {
		a, b Box
		want float32
	}{
		{Box{0, 0, 4, 1}, Box{0, 0, 2, 1}, 0.5},
		{Box{0, 0, 2, 2}, Box{1, 1, 3, 3}, 1.0 / 7},
		{Box{0, 0, 1, 1}, Box{1, 0, 2, 1}, 0}, // touching
		{Box{0, 0, 2, 2}, Box{1, 1, 1, 1}, 0}, // zero-area inside
		{Box{1, 1, 1, 1}, Box{1, 1, 1, 1}, 0}, // identical zero-area
		{Box{0, 0, 2, 2}, Box{0, 0, 2, 2}, 1},
	} {
		if g := IoU(c.a, c.b); g != c.want || IoU(c.b, c.a) != g {
			t.Errorf("IoU(%v, %v) = %v, want %v", c.a, c.b, g, c.want)
		}
	}
}

// NMS edge cases, worked out by hand.
func TestNMSEdgeCases(t *testing.T) {
	unit := Box{0, 0, 10, 10}
	for _, c := range []struct {
		name   string
		boxes  []Box
		scores []float32
		thr    float32
		want   []int
	}{
		{"empty", nil, nil, 0.5, []int{}},
		{"one", []Box{unit}, []float32{0.3}, 0.5, []int{0}},
		{"identical boxes: the higher score", []Box{unit, unit}, []float32{0.2, 0.9}, 0.5, []int{1}},
		{"identical boxes, tied scores: the lower index", []Box{unit, unit, unit}, []float32{0.5, 0.5, 0.5}, 0.5, []int{0}},
		{"tied scores, disjoint: index order", []Box{unit, {20, 0, 30, 10}, {40, 0, 50, 10}}, []float32{0.5, 0.7, 0.5}, 0.5, []int{1, 0, 2}},
		{"IoU exactly at the threshold is kept", []Box{{0, 0, 4, 1}, {0, 0, 2, 1}}, []float32{0.9, 0.8}, 0.5, []int{0, 1}},
		{"IoU just above the threshold", []Box{{0, 0, 4, 1}, {0, 0, 2.01, 1}}, []float32{0.9, 0.8}, 0.5, []int{0}},
		{"zero-area boxes never suppress or get suppressed", []Box{{5, 5, 5, 5}, {5, 5, 5, 5}, unit, {3, 3, 3, 8}}, []float32{0.9, 0.8, 0.7, 0.95}, 0.1, []int{3, 0, 1, 2}},
		// A suppresses B; B would suppress C, but B is gone, so C stays.
		{"chain: greedy order", []Box{{0, 0, 10, 10}, {3, 0, 13, 10}, {6, 0, 16, 10}}, []float32{0.9, 0.8, 0.7}, 0.5, []int{0, 2}},
		{"threshold 0 drops any overlap", []Box{unit, {9, 9, 12, 12}, {10, 10, 12, 12}}, []float32{0.9, 0.8, 0.7}, 0, []int{0, 2}},
		{"threshold 1 keeps everything", []Box{unit, unit}, []float32{0.9, 0.8}, 1, []int{0, 1}},
		{"NaN box kept and suppresses nothing", []Box{{float32(math.NaN()), 0, 10, 10}, unit}, []float32{0.9, 0.8}, 0.5, []int{0, 1}},
		{"wide kept box far left still suppresses", []Box{{0, 0, 100, 10}, {50, 0, 51, 10}, {2, 0, 99, 10}}, []float32{0.9, 0.8, 0.7}, 0.5, []int{0, 1}},
	} {
		got := NMS(c.boxes, c.scores, c.thr)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: kept %v, want %v", c.name, got, c.want)
		}
	}
}

// Detector-level cases: one class, nothing above the threshold, class-wise
// NMS, the top-k and detection caps, scaling to the original image.
func TestDetectCases(t *testing.T) {
	anchors := []Box{{0, 0, 10, 10}, {0, 0, 10, 10}, {50, 50, 60, 60}, {0, 0, 10, 10.5}}
	p := SSDLiteParams()
	p.Weights = [4]float32{1, 1, 1, 1}
	d, err := New(anchors, 100, 100, p)
	if err != nil {
		t.Fatal(err)
	}
	reg := make([]float32, 16)
	// Two classes (0 background, 1 object): logits giving object
	// probabilities 0.9, 0.8, 0.7, 0.85.
	logit := func(ps ...float64) []float32 {
		var l []float32
		for _, p := range ps {
			l = append(l, 0, float32(math.Log(p/(1-p))))
		}
		return l
	}
	got, err := d.Detect(logit(0.9, 0.8, 0.7, 0.85), reg, 2, 200, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Label != 1 || !near(got[0].Score, 0.9) || got[1].Box != (Box{100, 25, 120, 30}) {
		t.Errorf("one class: %+v", got)
	}
	if got[0].Box != (Box{0, 0, 20, 5}) {
		t.Errorf("scaled box %v, want {0 0 20 5}", got[0].Box)
	}
	// Nothing above the threshold: every probability of class 1 tiny.
	got, err = d.Detect(logit(1e-4, 1e-4, 1e-4, 1e-4), reg, 2, 100, 100)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("none above threshold: %v, %v", got, err)
	}
	// Class-wise: anchors 0 and 1 have the same box. In class 1 anchor 1
	// (0.88) suppresses anchor 0 (0.49); in class 2 anchor 0 stands alone.
	l3 := []float32{0, 3, 3, 0, 2, -9, 0, -9, -9, 0, -9, -9}
	got, _ = d.Detect(l3, reg, 3, 100, 100)
	if len(got) != 2 || got[0].Label != 1 || got[1].Label != 2 || got[0].Box != got[1].Box || !near(got[0].Score, 0.8808) || !near(got[1].Score, 0.4879) {
		t.Errorf("class-wise: %+v", got)
	}
	// Caps: top-1 per class, 1 detection.
	d.P.TopK = 1
	got, _ = d.Detect(logit(0.7, 0.8, 0.9, 0.6), reg, 2, 100, 100)
	if len(got) != 1 || !near(got[0].Score, 0.9) {
		t.Errorf("top-1: %+v", got)
	}
	d.P.TopK, d.P.MaxDetections = 10, 1
	got, _ = d.Detect(logit(0.7, 0.8, 0.95, 0.6), reg, 2, 100, 100)
	if len(got) != 1 || !near(got[0].Score, 0.95) {
		t.Errorf("max 1 detection: %+v", got)
	}
	if _, err := d.Detect(make([]float32, 7), reg, 2, 100, 100); err == nil {
		t.Error("wrong logits size: no error")
	}
	if _, err := New(nil, 1, 1, p); err == nil {
		t.Error("no anchors: no error")
	}
}

// Box decoding: exp clamp and clipping to the input.
func TestDecode(t *testing.T) {
	d, _ := New([]Box{{10, 20, 30, 60}, {0, 0, 10, 10}}, 100, 100, SSDLiteParams())
	out := make([]Box, 2)
	// dx=1 (÷10 → 0.1 of width 20: +2), dy=-2 (÷10 → -0.2·40 = -8),
	// dw=5·ln2 (÷5 → ln2: width 40), dh=0; anchor 2: dw huge (clamped).
	d.Decode([]float32{1, -2, 5 * float32(math.Ln2), 0, 0, 0, 1000, 0}, out)
	if w := (Box{2, 12, 42, 52}); !near(out[0].X1, w.X1) || !near(out[0].Y1, w.Y1) || !near(out[0].X2, w.X2) || !near(out[0].Y2, w.Y2) {
		t.Errorf("decoded %v, want %v", out[0], w)
	}
	// 1000/16·10 = 625 wide around 5: clipped to [0, 100].
	if out[1] != (Box{0, 0, 100, 10}) {
		t.Errorf("clamped %v", out[1])
	}
}

// refDetect is an independent transcription of torchvision's
// SSD.postprocess_detections, written plainly: decode every anchor, softmax
// every row, per class filter and fully sort, O(n²) suppression, then a
// full sort of everything kept. The exponentials and their sum come from
// expSum, the same kernels.Set.ExpSum Detect uses (TestExpSum in kernels
// holds it to math.Exp; its summation order is its own, so the row sums
// and hence the scores are only bit-equal with the same function).
func refDetect(anchors []Box, logits, reg []float32, classes, inW, inH, origW, origH int, p Params, expSum func(x, out []float32, m float32) float32) []Detection {
	n := len(anchors)
	boxes := make([]Box, n)
	for i, a := range anchors {
		w, h := a.X2-a.X1, a.Y2-a.Y1
		cx, cy := a.X1+0.5*w, a.Y1+0.5*h
		dx, dy := reg[4*i]/p.Weights[0], reg[4*i+1]/p.Weights[1]
		dw, dh := reg[4*i+2]/p.Weights[2], reg[4*i+3]/p.Weights[3]
		if dw > p.ClipExp {
			dw = p.ClipExp
		}
		if dh > p.ClipExp {
			dh = p.ClipExp
		}
		px, py := float32(dx*w)+cx, float32(dy*h)+cy
		pw, ph := float32(math.Exp(float64(dw)))*w, float32(math.Exp(float64(dh)))*h
		cl := func(v float32, hi int) float32 { return float32(math.Min(math.Max(float64(v), 0), float64(hi))) }
		boxes[i] = Box{cl(px-0.5*pw, inW), cl(py-0.5*ph, inH), cl(px+0.5*pw, inW), cl(py+0.5*ph, inH)}
	}
	scores := make([]float32, n*classes)
	for i := range n {
		row := logits[i*classes : (i+1)*classes]
		m := float32(math.Inf(-1))
		for _, v := range row {
			if v > m {
				m = v
			}
		}
		s := expSum(row, scores[i*classes:(i+1)*classes], m)
		for c := range row {
			scores[i*classes+c] *= 1 / s
		}
	}
	type item struct {
		box    Box
		score  float32
		label  int
		anchor int
	}
	less := func(a, b item) bool {
		if a.score != b.score {
			return a.score > b.score
		}
		if a.anchor != b.anchor {
			return a.anchor < b.anchor
		}
		return a.label < b.label
	}
	iou := func(a, b Box) float32 {
		area := func(b Box) float32 { return max(b.X2-b.X1, 0) * max(b.Y2-b.Y1, 0) }
		w := max(min(a.X2, b.X2)-max(a.X1, b.X1), 0)
		h := max(min(a.Y2, b.Y2)-max(a.Y1, b.Y1), 0)
		u := area(a) + area(b) - w*h
		if w*h == 0 || u <= 0 {
			return 0
		}
		return w * h / u
	}
	var all []item
	for c := range classes {
		if c == p.Background {
			continue
		}
		var its []item
		for i := range n {
			if s := scores[i*classes+c]; s > p.ScoreThresh {
				its = append(its, item{boxes[i], s, c, i})
			}
		}
		sort.Slice(its, func(i, j int) bool { return less(its[i], its[j]) })
		if len(its) > p.TopK {
			its = its[:p.TopK]
		}
		removed := make([]bool, len(its))
		for i := range its {
			if removed[i] {
				continue
			}
			all = append(all, its[i])
			for j := i + 1; j < len(its); j++ {
				if iou(its[i].box, its[j].box) > p.NMSThresh {
					removed[j] = true
				}
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return less(all[i], all[j]) })
	if len(all) > p.MaxDetections {
		all = all[:p.MaxDetections]
	}
	sx, sy := float32(origW)/float32(inW), float32(origH)/float32(inH)
	out := []Detection{}
	for _, it := range all {
		b := it.box
		out = append(out, Detection{Box{b.X1 * sx, b.Y1 * sy, b.X2 * sx, b.Y2 * sy}, it.score, it.label})
	}
	return out
}

func checkSame(t *testing.T, what string, got, want []Detection) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d detections, reference %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: detection %d: %+v, reference %+v", what, i, got[i], want[i])
		}
	}
}

// Random heads on the SSDLite anchors: peaky logits (a few confident
// classes per anchor, the rest far down) and flat ones (every class above
// the threshold, so top-k and NMS work at full load), with small box codes
// so boxes cluster and suppress each other.
func TestDetectMatchesReferenceRandom(t *testing.T) {
	d, err := SSDLite(320, 320)
	if err != nil {
		t.Fatal(err)
	}
	n, k := len(d.Anchors), 91
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name  string
		scale float64
		peaky bool
	}{{"medium", 1.5, false}, {"peaky", 2, true}, {"flat", 0.5, false}} {
		if testing.Short() && c.name != "medium" {
			continue
		}
		logits := make([]float32, n*k)
		for i := range logits {
			logits[i] = float32(r.NormFloat64() * c.scale)
			if c.peaky && i%k == 0 {
				logits[i] += 6 // background dominates
			}
		}
		reg := make([]float32, n*4)
		for i := range reg {
			reg[i] = float32(r.NormFloat64())
		}
		// Some ties: copy one anchor's row onto another's.
		copy(logits[5*k:6*k], logits[4*k:5*k])
		variants := []func(p *Params){
			func(p *Params) { p.TopK = 3 },                               // the per-class cap binds
			func(p *Params) { p.NMSThresh, p.MaxDetections = 0.2, 5000 }, // everything visited
			func(p *Params) {},
			func(p *Params) { p.ScoreThresh, p.Background = 0.05, -1 },
		}
		if testing.Short() {
			variants = variants[:2]
		}
		for vi, v := range variants {
			d.P = SSDLiteParams()
			v(&d.P)
			d.Threads = 1 + vi%3        // 1 to 3 goroutines: the same result
			isas := kernels.Available() // the best ISAs first (-short runs two variants)
			if err := d.SetISA(isas[len(isas)-1-vi%len(isas)]); err != nil {
				t.Fatal(err)
			}
			got, err := d.Detect(logits, reg, k, 640, 480)
			if err != nil {
				t.Fatal(err)
			}
			want := refDetect(d.Anchors, logits, reg, k, 320, 320, 640, 480, d.P, d.kernels.ExpSum)
			if len(want) == 0 {
				t.Fatalf("%s: reference found nothing (test data too weak)", c.name)
			}
			checkSame(t, fmt.Sprintf("%s %+v", c.name, d.P), got, want)
		}
	}
}

func TestCOCONames(t *testing.T) {
	na := 0
	for _, n := range COCO {
		if n == "N/A" {
			na++
		}
	}
	// COCO 2017 has 80 categories with ids 1..90.
	if len(COCO) != 91 || na != 10 || COCO[1] != "person" || COCO[90] != "toothbrush" || COCO[44] != "bottle" {
		t.Errorf("%d names, %d N/A", len(COCO), na)
	}
}

// nthLargest agrees with a full sort, rank by rank, on values with many
// ties and on distinct ones, and partitions around the rank.
func TestNthLargest(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 3, 10, 100, 3234} {
		for _, levels := range []int{1, 3, 1 << 30} {
			s := make([]float32, n)
			for i := range s {
				s[i] = float32(r.IntN(levels))
			}
			sorted := slices.Clone(s)
			slices.Sort(sorted)
			slices.Reverse(sorted)
			for _, k := range []int{0, n / 3, n / 2, n - 1} {
				c := slices.Clone(s)
				if got := nthLargest(c, k); got != sorted[k] {
					t.Fatalf("n=%d levels=%d k=%d: %v, want %v", n, levels, k, got, sorted[k])
				}
				for i, v := range c {
					if (i < k && v < c[k]) || (i > k && v > c[k]) {
						t.Fatalf("n=%d levels=%d k=%d: not partitioned at %d", n, levels, k, i)
					}
				}
			}
		}
	}
}
