package kernels

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"
)

// V2's depthwise layers (input H=W, channels, stride; 3×3, pad 1) and
// V3's 5×5 ones.
var qdwBenchShapes = []struct{ hw, c, k, s int }{
	{112, 32, 3, 1}, {112, 16, 3, 1}, {112, 96, 3, 2}, {56, 144, 3, 1}, {56, 144, 3, 2}, {28, 192, 3, 1}, {28, 192, 3, 2},
	{14, 384, 3, 1}, {14, 576, 3, 1}, {14, 576, 3, 2}, {7, 960, 3, 1}, {14, 672, 5, 1}, {7, 960, 5, 1},
}

// BenchmarkQDW times the int8 depthwise conv (QDWConv, bytes in and out)
// against the fp32 one (DWConv with ReLU6) on the same shape and ISA,
// alternating calls (int8, fp32, int8, ...) so that both see the same load:
// it reports the medians as int8 GOPS (2 ops per multiply-add), fp32
// GFLOP/s, and x-fp32 = median fp32 time / median int8 time.
func BenchmarkQDW(b *testing.B) {
	for _, isa := range Available() {
		s, _ := ForISA(isa)
		for _, sh := range qdwBenchShapes {
			fp, _ := dwShape(sh.hw, sh.hw, sh.c, sh.k, sh.s, sh.k/2, sh.k/2, Epilogue{Act: ActClip, Max: 6})
			cs := (sh.c + 3) &^ 3
			qp := QDWParams{H: fp.H, W: fp.W, C: fp.C, KH: fp.KH, KW: fp.KW, SH: fp.SH, SW: fp.SW, PadT: fp.PadT, PadL: fp.PadL,
				OH: fp.OH, OW: fp.OW, InStride: cs, OutStride: cs, XZP: 3, YZP: 0}
			b.Run(fmt.Sprintf("%s/%dx%dx%d_%dx%ds%d", isa, sh.hw, sh.hw, sh.c, sh.k, sh.k, sh.s), func(b *testing.B) {
				rng := rand.New(rand.NewSource(1))
				in, w, bias, mult := qdwCase(rng, &qp)
				wp := make([]byte, s.PackedQDWSize(qp.C, qp.KH, qp.KW))
				if err := s.PackQDW(wp, w, bias, mult, qp.XZP, qp.C, qp.KH, qp.KW); err != nil {
					b.Fatal(err)
				}
				out := make([]byte, qp.OH*qp.OW*cs)
				scratch := make([]byte, s.QDWScratchSize(&qp))
				fin := make([]float32, fp.H*fp.W*fp.C)
				for i := range fin {
					fin[i] = rng.Float32()
				}
				fw := make([]float32, s.PackedDWSize(fp.C, fp.KH, fp.KW))
				s.PackDW(fw, fin[:fp.C*fp.KH*fp.KW], fp.C, fp.KH, fp.KW)
				fout := make([]float32, fp.OH*fp.OW*fp.C)
				var tq, tf []time.Duration
				for b.Loop() {
					t0 := time.Now()
					s.QDWConv(&qp, in, wp, out, scratch, 0, qp.OH)
					t1 := time.Now()
					s.DWConv(&fp, fin, fw, fin[:fp.C], fout, 0, fp.OH)
					tq, tf = append(tq, t1.Sub(t0)), append(tf, time.Since(t1))
				}
				mq, mf := median(tq), median(tf)
				ops := 2.0 * float64(qp.OH*qp.OW*qp.C*qp.KH*qp.KW)
				b.ReportMetric(ops/mq.Seconds()/1e9, "int8-GOPS")
				b.ReportMetric(ops/mf.Seconds()/1e9, "fp32-GFLOP/s")
				b.ReportMetric(mf.Seconds()/mq.Seconds(), "x-fp32")
				b.ReportMetric(float64(mq.Nanoseconds())/1e3, "int8-us")
			})
		}
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkQStem times the int8 stem (QConv: 224×224×3 bytes, 4 a pixel,
// 3×3 stride 2 to 32 or 16 channels) against the fp32 one (Conv with
// ReLU6), alternating calls; the same metrics as BenchmarkQDW.
func BenchmarkQStem(b *testing.B) {
	for _, isa := range Available() {
		s, _ := ForISA(isa)
		for _, cout := range []int{32, 16} {
			fp, _ := convShape(224, 224, 3, cout, 3, 2, 1, 1, 1, 1, 1, Epilogue{Act: ActClip, Max: 6})
			qp := QConvParams{H: 224, W: 224, Cin: 3, Cout: cout, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OH: fp.OH, OW: fp.OW,
				InStride: 4, OutStride: cout, XZP: 114, YZP: 0}
			b.Run(fmt.Sprintf("%s/224x224x3_to_%d_s2", isa, cout), func(b *testing.B) {
				rng := rand.New(rand.NewSource(1))
				in := make([]byte, qp.H*qp.W*qp.InStride)
				for i := range in {
					in[i] = byte(rng.Intn(256))
				}
				w := make([]int32, cout*27)
				for i := range w {
					w[i] = int32(rng.Intn(255) - 127)
				}
				mult := make([]float32, cout)
				for i := range mult {
					mult[i] = 1e-3
				}
				wp := make([]byte, s.PackedQConvSize(&qp))
				if err := s.PackQConv(wp, w, nil, mult, &qp); err != nil {
					b.Fatal(err)
				}
				out := make([]byte, qp.OH*qp.OW*qp.OutStride)
				scratch := make([]byte, s.QConvScratchSize(&qp))
				fin := make([]float32, fp.H*fp.W*fp.Cin)
				for i := range fin {
					fin[i] = rng.Float32()
				}
				fw := make([]float32, s.PackedConvSize(&fp))
				s.PackConv(fw, fin[:cout*27], &fp)
				fout := make([]float32, fp.OH*fp.OW*cout)
				fscratch := make([]float32, s.ConvScratchSize(&fp, fp.OH))
				var tq, tf []time.Duration
				for b.Loop() {
					t0 := time.Now()
					s.QConv(&qp, in, wp, out, scratch, 0, qp.OH)
					t1 := time.Now()
					s.Conv(&fp, fin, fw, fin[:cout], nil, fout, fscratch, 0, fp.OH)
					tq, tf = append(tq, t1.Sub(t0)), append(tf, time.Since(t1))
				}
				mq, mf := median(tq), median(tf)
				ops := 2.0 * float64(qp.OH*qp.OW*cout*27)
				b.ReportMetric(ops/mq.Seconds()/1e9, "int8-GOPS")
				b.ReportMetric(ops/mf.Seconds()/1e9, "fp32-GFLOP/s")
				b.ReportMetric(mf.Seconds()/mq.Seconds(), "x-fp32")
				b.ReportMetric(float64(mq.Nanoseconds())/1e3, "int8-us")
			})
		}
	}
}
