package models

import (
	"fmt"
	"sort"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// CalibrationRes is the input size Calibrate runs V1 and V2 at: small, so
// building them takes a fraction of a second, and their statistics carry
// over to full resolution (activation RMS stays within [0.5, 10] at 224).
// V3 is calibrated at its full resolution: its 5×5 depthwise convs see
// mostly padding on the 3×3 maps of a 96 input, and h-swish, being
// quadratic around 0, compounds the resulting mismatch block after block
// (RMS grows past 10³ by the last stage at 224).
const CalibrationRes = 96

// Calibrate sets every BatchNorm's running mean and variance to the
// per-channel mean and variance of its input, measured by running the
// reference executor on a res×res crop of reference.FixedInput (res is
// capped at the model's input size). With random weights this keeps every
// activation O(1) through the network, as trained statistics would. It
// writes the statistics into g's constant tensors (which Clone shares), so
// call it only on a freshly built graph. Variances are floored at 1e-3 of the
// median so a channel that is constant on the calibration image does not
// blow up later inputs.
func Calibrate(g *ir.Graph, res int) error { return calibrate(g, res, 0) }

// calibrate is Calibrate where a BatchNorm that sees fewer than minSamples
// values per channel (the 1×1 to 3×3 maps of a detector's last layers) gets
// statistics pooled over all its channels instead: mean 0 and the variance
// of the layer's mean square. Per-channel statistics of one or four pixels
// would subtract each value from itself, leaving rounding noise amplified
// by 1/√ε as the layer's output.
func calibrate(g *ir.Graph, res, minSamples int) error {
	if len(g.Inputs) != 1 || len(g.Inputs[0].Shape) != 4 {
		return fmt.Errorf("graph %q: calibration needs one NCHW input", g.Name)
	}
	c := g.Clone()
	in := c.Inputs[0]
	rh, rw := min(res, in.Shape[2]), min(res, in.Shape[3])
	if rh < in.Shape[2] && rw < in.Shape[3] {
		rh, rw = min(rh, rw), min(rh, rw) // a square crop, as the classifiers always had
	}
	in.Shape = ir.Shape{1, in.Shape[1], rh, rw}
	if err := c.InferShapes(); err != nil {
		return err
	}
	x := calibrationInput(g.Inputs[0].Shape, rh, rw)
	_, err := reference.Run(c, map[string]*ir.Tensor{in.Name: x}, &reference.Options{
		BeforeNode: func(n *ir.Node, ins []*ir.Tensor) error {
			if n.Op != ir.OpBatchNorm {
				return nil
			}
			if sz := ins[0].Shape; len(sz) >= 2 && minSamples > 0 && len(ins[0].Data)/sz[1] < minSamples {
				return setPooledStats(ins[0], ins[3], ins[4])
			}
			return setStats(ins[0], ins[3], ins[4])
		},
	})
	return err
}

// setStats writes x's per-channel (axis 1) mean and variance into mean and
// variance.
func setStats(x, mean, variance *ir.Tensor) error {
	if len(x.Shape) < 2 || mean == nil || variance == nil {
		return fmt.Errorf("batch norm input %v has no channel axis", x.Shape)
	}
	n, c := x.Shape[0], x.Shape[1]
	inner := 1
	for _, d := range x.Shape[2:] {
		inner *= d
	}
	if len(mean.Data) != c || len(variance.Data) != c {
		return fmt.Errorf("batch norm statistics have %d/%d entries for %d channels", len(mean.Data), len(variance.Data), c)
	}
	vars := make([]float64, c)
	for ch := 0; ch < c; ch++ {
		var s, s2 float64
		for b := 0; b < n; b++ {
			for _, v := range x.Data[(b*c+ch)*inner : (b*c+ch+1)*inner] {
				s += float64(v)
				s2 += float64(v) * float64(v)
			}
		}
		cnt := float64(n * inner)
		m := s / cnt
		mean.Data[ch] = float32(m)
		vars[ch] = max(s2/cnt-m*m, 0)
	}
	sorted := append([]float64(nil), vars...)
	sort.Float64s(sorted)
	floor := 1e-3 * max(sorted[len(sorted)/2], 1e-6)
	for ch, v := range vars {
		variance.Data[ch] = float32(max(v, floor))
	}
	return nil
}

// setPooledStats sets every channel's mean to 0 and variance to x's mean
// square (floored at 1e-6).
func setPooledStats(x, mean, variance *ir.Tensor) error {
	if len(x.Data) == 0 || len(mean.Data) != len(variance.Data) {
		return fmt.Errorf("batch norm input %v: cannot pool statistics", x.Shape)
	}
	var s2 float64
	for _, v := range x.Data {
		s2 += float64(v) * float64(v)
	}
	ms := max(s2/float64(len(x.Data)), 1e-6)
	for ch := range mean.Data {
		mean.Data[ch] = 0
		variance.Data[ch] = float32(ms)
	}
	return nil
}

// calibrationInput is the top-left res×res crop of reference.FixedInput at
// the model's full input shape. FixedInput's multiplicative hash is a
// lattice whose pixel correlations depend on the image width, and V3's
// h-swish amplifies any mismatch quadratically from layer to layer, so the
// statistics must come from the same pattern the tests feed; a crop keeps it
// while costing (res/size)² of a full run.
func calibrationInput(full ir.Shape, rh, rw int) *ir.Tensor {
	x := reference.FixedInput(full...)
	c, h, w := full[1], full[2], full[3]
	t := ir.NewTensor(1, c, rh, rw)
	for ch := 0; ch < c; ch++ {
		for y := 0; y < rh; y++ {
			copy(t.Data[(ch*rh+y)*rw:(ch*rh+y+1)*rw], x.Data[(ch*h+y)*w:(ch*h+y)*w+rw])
		}
	}
	return t
}
