package detect

import (
	"encoding/binary"
	"math"
	"testing"
)

// fuzzFloat maps 4 bytes to a float32, making the special values common:
// a leading byte 0xF0-0xF7 is NaN, ±Inf, ±MaxFloat32, ±0 or a denormal.
func fuzzFloat(b []byte) float32 {
	switch b[0] {
	case 0xF0:
		return float32(math.NaN())
	case 0xF1:
		return float32(math.Inf(1))
	case 0xF2:
		return float32(math.Inf(-1))
	case 0xF3:
		return math.MaxFloat32
	case 0xF4:
		return -math.MaxFloat32
	case 0xF5:
		return 0
	case 0xF6:
		return float32(math.Copysign(0, -1))
	case 0xF7:
		return math.SmallestNonzeroFloat32
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b))
}

func fuzzFloats(data []byte, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		var b [4]byte
		for k := range b {
			if len(data) > 0 {
				b[k], data = data[0], data[1:]
			}
		}
		out[i] = fuzzFloat(b[:])
	}
	return out
}

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
		af := fuzzFloats(data, 4*n)
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
		vals := fuzzFloats(data[min(len(data), 7):], n*c+4*n)
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
		idx := NMS(boxes, vals[:n], fuzzFloat(append(data, 0, 0, 0, 0)[:4]))
		if len(idx) > n {
			t.Fatalf("NMS kept %d of %d boxes", len(idx), n)
		}
	})
}
