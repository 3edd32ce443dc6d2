package quant

import (
	"math"

	"github.com/mnc-go/mnc/ir"
)

// The formulas ONNX Runtime's quantize_static uses (quant_utils.py:
// compute_scale_zp, quantize_data), in float32 as numpy computes them.

// actParams are the uint8 activation parameters for the range [lo, hi]:
// the range is widened to hold 0, scale = (hi − lo)/255, zero point =
// roundEven(−lo/scale). A range of width 0 (or one that is not finite)
// gives scale 1, zero point 0.
func actParams(lo, hi float32) (scale float32, zp int32) {
	lo, hi = min(lo, 0), max(hi, 0)
	scale = (hi - lo) / 255
	if !(scale >= math.SmallestNonzeroFloat32) || math.IsInf(float64(scale), 0) || math.IsInf(float64(lo), 0) {
		return 1, 0
	}
	z := math.RoundToEven(float64(-lo / scale))
	return scale, int32(max(0, min(255, z)))
}

// weightScale is the symmetric int8 scale of weights whose largest
// magnitude is absmax: absmax/127 (2·absmax over the range [−127, 127]);
// 1 for an all-zero (or non-finite) channel.
func weightScale(absmax float32) float32 {
	s := 2 * absmax / 254
	if !(s >= math.SmallestNonzeroFloat32) || math.IsInf(float64(s), 0) {
		return 1
	}
	return s
}

// quantizeWeight is sat(roundEven(w/s)) in [−127, 127] (symmetric int8,
// zero point 0).
func quantizeWeight(w, s float32) float32 {
	q := w / s
	if q != q {
		return 0
	}
	return float32(max(-127, min(127, math.RoundToEven(float64(q)))))
}

// quantizeBias is roundEven(b/s) saturated to int32.
func quantizeBias(b, s float32) float32 {
	q := float64(b / s)
	if q != q {
		return 0
	}
	return float32(max(math.MinInt32, min(math.MaxInt32, math.RoundToEven(q))))
}

// absMax is the largest finite |x| of xs.
func absMax(xs []float32) float32 {
	var m float32
	for _, x := range xs {
		if a := float32(math.Abs(float64(x))); a > m && !math.IsInf(float64(a), 0) {
			m = a
		}
	}
	return m
}

// quantizeWeights quantizes a constant weight tensor symmetrically to int8,
// per output channel along axis (perChannel) or per tensor. It returns the
// integer tensor and the scales ([channels] or one scalar). A channel's
// scale is at least minScale[c] (nil: no floor; see biasFloor).
func quantizeWeights(w *ir.Tensor, axis int, perChannel bool, minScale []float32) (q *ir.Tensor, scales []float32) {
	q = ir.NewTensor(w.Shape...)
	// w viewed as [outer, ch, inner] around axis.
	outer, ch, inner := 1, w.Shape[axis], 1
	for _, d := range w.Shape[:axis] {
		outer *= d
	}
	for _, d := range w.Shape[axis+1:] {
		inner *= d
	}
	if !perChannel {
		s := weightScale(absMax(w.Data))
		for _, m := range minScale {
			s = max(s, m)
		}
		for i, x := range w.Data {
			q.Data[i] = quantizeWeight(x, s)
		}
		return q, []float32{s}
	}
	scales = make([]float32, ch)
	for c := range ch {
		var m float32
		for o := range outer {
			m = max(m, absMax(w.Data[(o*ch+c)*inner:(o*ch+c+1)*inner]))
		}
		scales[c] = weightScale(m)
		if minScale != nil {
			scales[c] = max(scales[c], minScale[c])
		}
	}
	for o := range outer {
		for c := range ch {
			s := scales[c]
			for i := (o*ch + c) * inner; i < (o*ch+c+1)*inner; i++ {
				q.Data[i] = quantizeWeight(w.Data[i], s)
			}
		}
	}
	return q, scales
}

// biasFloor is the smallest weight scale per channel for which bias[c]
// fits int32 at scale xs·ws[c] (as ONNX Runtime ≥ 1.17 widens such scales
// instead of saturating the bias): |b|/(xs·(2^31 − 1)), 0 when any
// scale works; nil without a bias.
func biasFloor(bias []float32, xs float32) []float32 {
	if bias == nil {
		return nil
	}
	f := make([]float32, len(bias))
	for c, b := range bias {
		v := float32(math.Abs(float64(b)) / (float64(xs) * math.MaxInt32))
		if v > 0 && !math.IsInf(float64(v), 0) && v == v {
			f[c] = v * (1 + 1e-6) // the product xs·ws rounds in float32
		}
	}
	return f
}
