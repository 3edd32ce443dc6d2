package detect

import (
	"testing"

	"github.com/mnc-go/mnc/internal/hostile"
)

// FuzzDetect feeds adversarial model outputs (NaN, ±Inf, huge and
// denormal logits and box codes; any number of classes; anchors that are
// empty, inverted or NaN) to the post-processing: it must return at most
// MaxDetections detections of labels in range, never panic or hang. Run
// it locally, e.g.
//
//	go test -run=NONE -fuzz=FuzzDetect -fuzztime=60s ./detect/
func FuzzDetect(f *testing.F) {
	f.Add(uint8(4), uint8(3), int8(0), uint8(10), []byte{0xF0, 0, 0, 0, 0xF1, 0, 0, 0, 0x3f, 0x80, 0, 0})
	f.Add(uint8(1), uint8(1), int8(-1), uint8(1), []byte{0xF3, 0, 0, 0})
	f.Add(uint8(40), uint8(91), int8(0), uint8(100), make([]byte, 64))
	f.Fuzz(func(t *testing.T, anchors, classes uint8, bg int8, maxDet uint8, data []byte) {
		n, c := int(anchors)%64+1, int(classes)%120+1
		as := make([]Box, n)
		af := hostile.Floats(data, 4*n)
		for i := range as {
			as[i] = Box{af[4*i], af[4*i+1], af[4*i+2], af[4*i+3]}
		}
		p := SSDLiteParams()
		p.Background = int(bg)
		p.MaxDetections = int(maxDet)%200 + 1
		p.TopK = int(maxDet)%7 + 1
		d, err := New(as, 32, 48, p)
		if err != nil {
			t.Fatal(err)
		}
		vals := hostile.Floats(data[min(len(data), 7):], n*c+4*n)
		dets, err := d.Detect(vals[:n*c], vals[n*c:], c, 640, 480)
		if err != nil {
			t.Fatal(err)
		}
		if len(dets) > p.MaxDetections {
			t.Fatalf("%d detections, MaxDetections %d", len(dets), p.MaxDetections)
		}
		for _, x := range dets {
			if x.Label < 0 || x.Label >= c || x.Label == p.Background || !(x.Score > p.ScoreThresh) {
				t.Fatalf("detection %+v: label outside [0, %d) or the background %d, or score not above %g", x, c, p.Background, p.ScoreThresh)
			}
		}
		// NMS on the same boxes and scores.
		boxes := make([]Box, n)
		copy(boxes, as)
		idx := NMS(boxes, vals[:n], hostile.Float(data))
		if len(idx) > n {
			t.Fatalf("NMS kept %d of %d boxes", len(idx), n)
		}
	})
}
