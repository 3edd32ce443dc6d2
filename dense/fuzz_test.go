package dense

import (
	"math"
	"testing"

	"github.com/mnc-go/mnc/internal/hostile"
)

// FuzzDense feeds adversarial network outputs (NaN, ±Inf, huge values,
// class indices out of range or not integers) to the text-detection and
// segmentation post-processing: errors or results, never a panic, a hang
// or a huge allocation. Run it locally, e.g.
//
//	go test -run=NONE -fuzz=FuzzDense -fuzztime=60s ./dense/
func FuzzDense(f *testing.F) {
	f.Add(uint8(8), uint8(8), uint8(3), uint16(640), uint16(480), []byte{0xF8, 0, 0, 0, 0xF8, 0, 0, 0, 0xF0, 0, 0, 0})
	f.Add(uint8(1), uint8(1), uint8(1), uint16(1), uint16(1), []byte{0xF1, 0, 0, 0})
	f.Add(uint8(30), uint8(20), uint8(5), uint16(3000), uint16(7), make([]byte, 400))
	f.Fuzz(func(t *testing.T, h, w, c uint8, imgW, imgH uint16, data []byte) {
		hh, ww, cc := int(h)%48+1, int(w)%48+1, int(c)%8+1
		prob := hostile.Floats(data, hh*ww)
		// Probabilities mostly in [0, 1] so that regions form.
		for i, v := range prob {
			if v == v && !math.IsInf(float64(v), 0) && math.Abs(float64(v)) < 1e30 {
				prob[i] = float32(math.Abs(math.Mod(float64(v), 1)))
			}
		}
		boxes, err := DetectText(prob, hh, ww, int(imgW), int(imgH), DefaultDB())
		if err == nil {
			for _, b := range boxes {
				for _, p := range b.Points {
					if !(p.X >= 0 && p.X <= float64(imgW) && p.Y >= 0 && p.Y <= float64(imgH)) {
						t.Fatalf("box corner %v outside the %d×%d image", p, imgW, imgH)
					}
				}
			}
		}
		scores := hostile.Floats(data, cc*hh*ww)
		m, err := ArgMax(scores, cc, hh, ww)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range m.Index {
			if k < 0 || int(k) >= cc {
				t.Fatalf("ArgMax class %d of %d", k, cc)
			}
		}
		_ = m.Counts()
		for _, classes := range []int{0, cc} {
			if m, err := ClassMapOf(scores, classes, hh, ww); err == nil {
				if n := m.Counts(); len(n) != m.Classes {
					t.Fatalf("%d counts for %d classes", len(n), m.Classes)
				}
			}
		}
	})
}
