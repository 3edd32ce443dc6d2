package detect

import (
	"fmt"
	"github.com/mnc-go/mnc/kernels"
	"math"
	"slices"
	"sync"
)

// Params are the post-processing settings of an SSD head.
type Params struct {
	// Weights divide the regression outputs (dx, dy, dw, dh) before they
	// are applied to an anchor (torchvision's BoxCoder weights).
	Weights [4]float32
	// ClipExp caps dw and dh before exp (torchvision: log(1000/16)).
	ClipExp float32
	// ScoreThresh: candidates need a class probability above it.
	ScoreThresh float32
	// TopK candidates per class at most, by score, go into NMS.
	TopK int
	// NMSThresh: a box is suppressed by a higher-scoring box of its class
	// whose IoU with it is above this.
	NMSThresh float32
	// MaxDetections per image at most, the highest scores.
	MaxDetections int
	// Background is the class index that is never reported (-1: none).
	Background int
}

// SSDLiteParams are torchvision's ssdlite320_mobilenet_v3_large settings:
// weights (10, 10, 5, 5), exp clamp log(1000/16), score threshold 0.001,
// top 300 per class, NMS IoU 0.55, 300 detections, class 0 background.
func SSDLiteParams() Params {
	return Params{
		Weights: [4]float32{10, 10, 5, 5}, ClipExp: float32(math.Log(1000.0 / 16)),
		ScoreThresh: 0.001, TopK: 300, NMSThresh: 0.55, MaxDetections: 300, Background: 0,
	}
}

// Detection is one detected object: its box in the original image's
// pixels, the class probability and the class index.
type Detection struct {
	Box   Box     `json:"box"`
	Score float32 `json:"score"`
	Label int     `json:"label"`
}

// Detector post-processes one SSD head's outputs on a fixed input size. It
// keeps scratch buffers, so one Detector serves one goroutine at a time.
type Detector struct {
	Anchors []Box // in input pixels, in the heads' order
	InH     int   // input height and width the anchors are for
	InW     int
	P       Params
	// Threads splits the softmax (most of the time) over this many
	// goroutines; 0 or 1: the caller's alone. The result is the same.
	Threads int

	kernels *kernels.Set // ExpSum, the softmax's exponentials
	boxes   []Box
	probs   []float32 // exponentials, anchor by anchor
	inv     []float32 // 1/Σ exponentials per anchor
	pmax    []float32 // best candidate probability per anchor
	order   []float32 // pmax above the threshold, partitioned round by round
	batch   []cand
	keys    []uint64 // the batch as sort keys (see visit)
	popped  []int32
	kept    [][]Box // per class
	out     []cand
}

type cand struct {
	score  float32
	anchor int32
	label  int32
}

// New returns a Detector for the given anchors on an inH×inW input.
func New(anchors []Box, inH, inW int, p Params) (*Detector, error) {
	if len(anchors) == 0 {
		return nil, fmt.Errorf("detect: no anchors")
	}
	if inH <= 0 || inW <= 0 {
		return nil, fmt.Errorf("detect: input size %d×%d must be positive", inH, inW)
	}
	if p.TopK <= 0 || p.MaxDetections <= 0 {
		return nil, fmt.Errorf("detect: top-k %d and max detections %d must be positive", p.TopK, p.MaxDetections)
	}
	for _, w := range p.Weights {
		if !(w > 0) {
			return nil, fmt.Errorf("detect: box coder weights %v must be positive", p.Weights)
		}
	}
	isa, err := selectISA()
	if err != nil {
		return nil, err
	}
	ks, err := kernels.ForISA(isa)
	if err != nil {
		return nil, err
	}
	return &Detector{Anchors: anchors, InH: inH, InW: inW, P: p, kernels: ks}, nil
}

// SSDLite returns the Detector of torchvision's ssdlite320_mobilenet_v3_large
// on an h×w input (320×320 for the standard model).
func SSDLite(h, w int) (*Detector, error) {
	a, err := SSDLiteBoxes().Generate(h, w, SSDLiteMaps(h, w))
	if err != nil {
		return nil, err
	}
	return New(a, h, w, SSDLiteParams())
}

// Decode applies regression codes rel (4 per anchor: dx, dy, dw, dh) to
// the anchors (torchvision's BoxCoder.decode_single) and clips the boxes
// to the input, writing into out (len(Anchors)).
func (d *Detector) Decode(rel []float32, out []Box) {
	wx, wy, ww, wh := d.P.Weights[0], d.P.Weights[1], d.P.Weights[2], d.P.Weights[3]
	W, H := float32(d.InW), float32(d.InH)
	for i, a := range d.Anchors {
		r := rel[4*i : 4*i+4 : 4*i+4]
		aw, ah := a.X2-a.X1, a.Y2-a.Y1
		cx, cy := a.X1+0.5*aw, a.Y1+0.5*ah
		dx, dy := r[0]/wx, r[1]/wy
		dw, dh := min(r[2]/ww, d.P.ClipExp), min(r[3]/wh, d.P.ClipExp)
		pcx, pcy := float32(dx*aw)+cx, float32(dy*ah)+cy // no FMA: the same result on every ISA
		pw := float32(math.Exp(float64(dw))) * aw
		ph := float32(math.Exp(float64(dh))) * ah
		hw, hh := 0.5*pw, 0.5*ph
		out[i] = Box{
			X1: clamp(pcx-hw, W), Y1: clamp(pcy-hh, H),
			X2: clamp(pcx+hw, W), Y2: clamp(pcy+hh, H),
		}
	}
}

// clamp limits v to [0, hi] (NaN stays NaN, as torch.clamp leaves it).
func clamp(v, hi float32) float32 {
	if v < 0 {
		return 0
	}
	if v > hi {
		return hi
	}
	return v
}

// Detect post-processes one image: logits [anchors, classes] (row-major),
// regression [anchors, 4], and returns at most MaxDetections detections,
// highest score first, with boxes scaled from the input to an origW×origH
// image. The result is torchvision's SSD.postprocess_detections: softmax
// over each anchor's classes; per class except the background, the anchors
// scoring above ScoreThresh, the TopK best of them, greedy NMS within the
// class; the survivors of all classes by score, the first MaxDetections.
// Ties in score put the lower anchor, then the lower class, first.
//
// It gets there without sorting every candidate: candidates are visited in
// that final order (each anchor's best score bounds its others, so the few
// thousand best candidates come from the anchors with the best maxima;
// they are sorted, and the next range is taken if they run out). Since a
// candidate's fate depends only on the higher-ranked ones of its class, it
// is dropped when its class already had TopK candidates, kept unless a
// kept box of its class overlaps it by more than NMSThresh, and the visit
// stops at MaxDetections kept.
func (d *Detector) Detect(logits, regression []float32, classes, origW, origH int) ([]Detection, error) {
	n := len(d.Anchors)
	if classes <= 0 || len(logits) != n*classes {
		return nil, fmt.Errorf("detect: %d class scores for %d anchors and %d classes", len(logits), n, classes)
	}
	if len(regression) != n*4 {
		return nil, fmt.Errorf("detect: %d box codes for %d anchors, want %d", len(regression), n, n*4)
	}
	if origW <= 0 || origH <= 0 {
		return nil, fmt.Errorf("detect: image size %d×%d must be positive", origW, origH)
	}
	d.boxes = grow(d.boxes, n)
	d.Decode(regression, d.boxes)
	d.softmax(logits, classes)
	d.visit(classes)
	sx, sy := float32(origW)/float32(d.InW), float32(origH)/float32(d.InH)
	out := make([]Detection, len(d.out))
	for i, c := range d.out {
		b := d.boxes[c.anchor]
		out[i] = Detection{Box: Box{b.X1 * sx, b.Y1 * sy, b.X2 * sx, b.Y2 * sy}, Score: c.score, Label: int(c.label)}
	}
	return out, nil
}

// softmax writes each anchor's exponentials e_c = exp(x_c − max) into
// d.probs, 1/Σe into d.inv and its best candidate probability (over the
// classes but the background) into d.pmax; the probability of class c is
// e_c·inv, as torchvision's softmax computes it in float32.
func (d *Detector) softmax(logits []float32, classes int) {
	n := len(d.Anchors)
	d.probs = grow(d.probs, n*classes)
	d.inv = grow(d.inv, n)
	d.pmax = grow(d.pmax, n)
	if d.kernels == nil { // a Detector not made by New
		d.kernels, _ = kernels.ForISA(kernels.Generic)
	}
	t := min(d.Threads, n*classes/(1<<14)) // at least 16k values each
	if t <= 1 {
		d.softmaxRows(logits, classes, 0, n)
		return
	}
	var wg sync.WaitGroup
	for k := range t {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.softmaxRows(logits, classes, k*n/t, (k+1)*n/t)
		}()
	}
	wg.Wait()
}

// softmaxRows is softmax for anchors [lo, hi).
func (d *Detector) softmaxRows(logits []float32, classes, lo, hi int) {
	bg := d.P.Background
	ks := d.kernels
	for i := lo; i < hi; i++ {
		row := logits[i*classes : (i+1)*classes : (i+1)*classes]
		pr := d.probs[i*classes : (i+1)*classes : (i+1)*classes]
		m := ks.Max(row[1:], row[0])
		sum := ks.ExpSum(row, pr, m)
		var emax float32
		if sum == sum {
			b := min(max(bg, -1), classes) // outside [0, classes): no background
			emax = ks.Max(pr[min(b+1, classes):], ks.Max(pr[:max(b, 0)], 0))
		} else {
			// A NaN in the row (or +Inf twice): every probability is NaN
			// whatever Max made of it; spelled out so the row is defined.
			m = float32(math.NaN())
			ks.ExpSum(row, pr, m)
		}
		inv := 1 / sum
		d.inv[i] = inv
		d.pmax[i] = emax * inv // = max of e·inv: multiplying by inv > 0 keeps the order
	}
}

// visit fills d.out with the kept candidates in final order (see Detect).
// It goes down the scores in rounds: round r takes the candidates scoring
// in [lo, hi), where lo is the (r+1)·want-th best anchor maximum (so at
// least want candidates lie at or above it) and hi the previous round's
// lo, sorts them and visits them.
func (d *Detector) visit(classes int) {
	d.out = d.out[:0]
	d.popped = grow(d.popped, classes)
	clear(d.popped)
	if len(d.kept) < classes {
		d.kept = make([][]Box, classes)
	}
	for c := range d.kept {
		d.kept[c] = d.kept[c][:0]
	}
	thr, bg := d.P.ScoreThresh, d.P.Background
	d.order = d.order[:0]
	for _, p := range d.pmax {
		if p > thr {
			d.order = append(d.order, p)
		}
	}
	want := 4 * max(d.P.MaxDetections, 256)
	// Candidates sort as one uint64 each: score bits (non-negative floats
	// order as their bits) inverted above anchor·classes+label, so that
	// ascending keys are byScore's order; when the index would not fit in
	// 32 bits, by byScore.
	packed := uint64(len(d.pmax))*uint64(classes) <= 1<<32
	hi := float32(math.Inf(1))
	first := true
	for r := 1; len(d.out) < d.P.MaxDetections; r++ {
		lo := float32(math.Nextafter32(thr, float32(math.Inf(1)))) // the last round: everything above thr
		last := r*want > len(d.order)
		if !last {
			// order[(r-1)·want:] holds the anchors not yet ranked; after
			// this, order[r·want−1] is the (r·want)-th best maximum.
			lo = nthLargest(d.order[(r-1)*want:], want-1)
		}
		d.batch = d.batch[:0]
		for a, pm := range d.pmax {
			if pm < lo {
				continue
			}
			row := d.probs[a*classes : (a+1)*classes : (a+1)*classes]
			inv := d.inv[a]
			for c, e := range row {
				if p := e * inv; p >= lo && (first || p < hi) && p > thr && c != bg {
					d.batch = append(d.batch, cand{p, int32(a), int32(c)})
				}
			}
		}
		if packed {
			d.keys = d.keys[:0]
			for _, c := range d.batch {
				d.keys = append(d.keys, uint64(^math.Float32bits(c.score))<<32|(uint64(c.anchor)*uint64(classes)+uint64(c.label)))
			}
			slices.Sort(d.keys)
			for i, k := range d.keys {
				idx := k & (1<<32 - 1)
				d.batch[i] = cand{math.Float32frombits(^uint32(k >> 32)), int32(idx / uint64(classes)), int32(idx % uint64(classes))}
			}
		} else {
			slices.SortFunc(d.batch, byScore)
		}
		for _, c := range d.batch {
			if d.popped[c.label] >= int32(d.P.TopK) {
				continue
			}
			d.popped[c.label]++
			b := d.boxes[c.anchor]
			if suppressed(b, d.kept[c.label], d.P.NMSThresh) {
				continue
			}
			d.kept[c.label] = append(d.kept[c.label], b)
			d.out = append(d.out, c)
			if len(d.out) == d.P.MaxDetections {
				return
			}
		}
		if last {
			return
		}
		hi, first = lo, false
	}
}

// nthLargest partitions s so that s[k] holds the (k+1)-th largest value,
// the values before it are ≥ it and those after ≤, and returns s[k]
// (quickselect, median-of-three pivots; no NaN in s).
func nthLargest(s []float32, k int) float32 {
	lo, hi := 0, len(s)-1
	for hi > lo {
		mid := lo + (hi-lo)/2
		if s[mid] > s[lo] {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if s[hi] > s[lo] {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if s[mid] > s[hi] {
			s[mid], s[hi] = s[hi], s[mid]
		}
		// Now s[lo] ≥ s[hi] ≥ s[mid]: s[hi] is the pivot.
		p := s[hi]
		i := lo
		for j := lo; j < hi; j++ {
			if s[j] > p {
				s[i], s[j] = s[j], s[i]
				i++
			}
		}
		s[i], s[hi] = s[hi], s[i]
		e := i + 1 // gather the pivot's equals after it: ties stay linear
		for j := e; j <= hi; j++ {
			if s[j] == p {
				s[e], s[j] = s[j], s[e]
				e++
			}
		}
		switch {
		case k >= i && k < e:
			return p
		case k < i:
			hi = i - 1
		default:
			lo = e
		}
	}
	return s[k]
}

// suppressed reports whether a kept box overlaps b with IoU above thr.
func suppressed(b Box, kept []Box, thr float32) bool {
	for _, o := range kept {
		if IoU(b, o) > thr {
			return true
		}
	}
	return false
}

// byScore orders candidates by score descending, then anchor, then class.
func byScore(a, b cand) int {
	switch {
	case a.score > b.score:
		return -1
	case a.score < b.score:
		return 1
	case a.anchor != b.anchor:
		return int(a.anchor - b.anchor)
	}
	return int(a.label - b.label)
}

// NMS returns the indices of the boxes that greedy non-maximum
// suppression keeps, highest score first (ties: lower index first): a box
// is dropped when a kept, higher-ranked box has IoU above thr with it
// (torchvision.ops.nms). Zero-area boxes and boxes with a NaN coordinate
// have IoU 0 with every box: they are never suppressed and suppress nothing.
func NMS(boxes []Box, scores []float32, thr float32) []int {
	cs := make([]cand, len(boxes))
	for i := range boxes {
		cs[i] = cand{scores[i], int32(i), 0}
	}
	slices.SortFunc(cs, byScore)
	var kept []Box
	idx := []int{}
	for _, c := range cs {
		if b := boxes[c.anchor]; !suppressed(b, kept, thr) {
			kept = append(kept, b)
			idx = append(idx, int(c.anchor))
		}
	}
	return idx
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
