package dense

import (
	"encoding/binary"
	"math"
	"testing"
)

// fuzzFloats maps 4 bytes to a float32 each, making the special values
// common: a leading byte 0xF0-0xF5 is NaN, ±Inf, ±MaxFloat32 or 0.
func fuzzFloats(data []byte, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		var b [4]byte
		for k := range b {
			if len(data) > 0 {
				b[k], data = data[0], data[1:]
			}
		}
		switch b[0] {
		case 0xF0:
			out[i] = float32(math.NaN())
		case 0xF1:
			out[i] = float32(math.Inf(1))
		case 0xF2:
			out[i] = float32(math.Inf(-1))
		case 0xF3:
			out[i] = math.MaxFloat32
		case 0xF4:
			out[i] = -math.MaxFloat32
		case 0xF5:
			out[i] = 0
		case 0xF6:
			out[i] = 1
		default:
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[:]))
		}
	}
	return out
}

// FuzzDense feeds adversarial network outputs (NaN, ±Inf, huge values,
// class indices out of range or not integers) to the text-detection and
// segmentation post-processing: errors or results, never a panic, a hang
// or a huge allocation. Run it locally, e.g.
//
//	go test -run=NONE -fuzz=FuzzDense -fuzztime=60s ./dense/
func FuzzDense(f *testing.F) {
	f.Add(uint8(8), uint8(8), uint8(3), uint16(640), uint16(480), []byte{0xF6, 0, 0, 0, 0xF6, 0, 0, 0, 0xF0, 0, 0, 0})
	f.Add(uint8(1), uint8(1), uint8(1), uint16(1), uint16(1), []byte{0xF1, 0, 0, 0})
	f.Add(uint8(30), uint8(20), uint8(5), uint16(3000), uint16(7), make([]byte, 400))
	f.Fuzz(func(t *testing.T, h, w, c uint8, imgW, imgH uint16, data []byte) {
		hh, ww, cc := int(h)%48+1, int(w)%48+1, int(c)%8+1
		prob := fuzzFloats(data, hh*ww)
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
		scores := fuzzFloats(data, cc*hh*ww)
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
