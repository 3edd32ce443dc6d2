// Package quant is mnc's post-training static quantization: it calibrates
// a float model's activation ranges on sample inputs and rewrites it as a
// QDQ model (QuantizeLinear/DequantizeLinear pairs around the operators that
// run in 8 bits), the form ONNX Runtime's quantize_static writes:
//
//   - weights of Conv and Gemm: symmetric int8 (zero point 0, range
//     [−127, 127]), per output channel (DequantizeLinear axis 0, or 1 for a
//     Gemm without transB) or per tensor;
//   - biases: int32 with scale xs·ws[c] (the input's scale times the
//     channel's weight scale), so the integer sum needs no rescaling;
//   - activations: asymmetric uint8 from the calibrated range [lo, hi]
//     widened to hold 0 (scale (hi−lo)/255, zero point roundEven(−lo/scale));
//   - the inputs and outputs of Conv, Gemm, Add (of two computed tensors of
//     one shape) and GlobalAveragePool are quantized; Flatten and Reshape of
//     a quantized tensor keep its parameters; a Relu, or a Clip whose lower
//     bound is 0, right after a quantized operator is dropped, its output's
//     range (zero point 0, top ≤ the Clip's bound) doing the clamping
//     exactly, as ONNX Runtime does;
//   - every other operator (HardSwish, HardSigmoid, Mul, Sigmoid, Softmax…)
//     stays float between a DequantizeLinear and the next QuantizeLinear.
//
// The integer semantics are ir/quant.go's; mnc compiles the result like
// any QDQ model (passes fuse-qdq and lower-qlinear), and ONNX Runtime runs it.
package quant

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// Method is how an activation's range is chosen from calibration data.
type Method uint8

const (
	// MinMax takes the smallest and largest value seen.
	MinMax Method = iota
	// Percentile drops the (100 − Percentile)/2 % most extreme values on
	// each side (an 8192-bin histogram whose range grows with the data,
	// one pass; ONNX Runtime's percentile calibrator uses 2048 bins).
	Percentile
)

// ParseMethod reads "minmax" or "percentile".
func ParseMethod(s string) (Method, error) {
	switch s {
	case "minmax", "":
		return MinMax, nil
	case "percentile":
		return Percentile, nil
	}
	return 0, fmt.Errorf("unknown calibration method %q (want minmax or percentile)", s)
}

func (m Method) String() string {
	if m == Percentile {
		return "percentile"
	}
	return "minmax"
}

// Options control Quantize.
type Options struct {
	// PerTensor quantizes each weight tensor with one scale instead of one
	// per output channel.
	PerTensor bool
	Method    Method
	// Percentile for Method Percentile (default 99.999, ONNX Runtime's).
	Percentile float64
	// Reference calibrates on the reference executor instead of a compiled
	// fp32 plan (slower; for tests and for graphs the compiler refuses).
	Reference bool
	// Threads for the calibration plan (0: every core).
	Threads int
}

// Stats describes what Quantize did.
type Stats struct {
	Samples      int
	Quantized    map[ir.Op]int // quantized operators by kind
	Float        map[ir.Op]int // operators left in float
	Removed      int           // Relu/Clip absorbed by a quantized output's range
	Activations  int           // activation tensors with QuantizeLinear/DequantizeLinear
	Weights      int           // weight tensors in int8
	BiasClamped  int           // bias values that did not fit int32 (saturated)
	FloatOutputs []*ir.Tensor  // the float model's outputs on the samples (per sample, output 0)
}

// Quantize calibrates g on samples (tensors for g's one input, batch 1 or
// any batch the graph accepts) and returns g as a QDQ model. g is not
// modified.
func Quantize(g *ir.Graph, samples []*ir.Tensor, o Options) (*ir.Graph, *Stats, error) {
	if len(g.Inputs) != 1 {
		return nil, nil, fmt.Errorf("graph %q has %d inputs; quantize takes models with one input", g.Name, len(g.Inputs))
	}
	if len(samples) == 0 {
		return nil, nil, fmt.Errorf("no calibration inputs")
	}
	if o.Percentile == 0 {
		o.Percentile = 99.999
	}
	if o.Method == Percentile && !(o.Percentile > 50 && o.Percentile <= 100) {
		return nil, nil, fmt.Errorf("percentile %g: want a value in (50, 100]", o.Percentile)
	}
	if g.Unbound != nil || unknownBeyondBatch(g.Inputs[0].Shape) {
		// Symbolic sizes (a paddle2onnx N×3×H×W): the model is quantized
		// for the calibration inputs' size.
		sg, err := g.Specialize(map[string]ir.Shape{g.Inputs[0].Name: samples[0].Shape})
		if err != nil {
			return nil, nil, err
		}
		g = sg
	}
	h, err := prepare(g)
	if err != nil {
		return nil, nil, err
	}
	pl := decide(h)
	ranges, outs, err := calibrate(h, pl.tensors(), samples, o)
	if err != nil {
		return nil, nil, err
	}
	q, st, err := build(h, pl, ranges, o)
	if err != nil {
		return nil, nil, err
	}
	st.Samples = len(samples)
	st.FloatOutputs = outs
	return q, st, nil
}

// unknownBeyondBatch reports a -1 dimension other than the first.
func unknownBeyondBatch(s ir.Shape) bool {
	for i, d := range s {
		if i > 0 && d < 0 {
			return true
		}
	}
	return false
}
