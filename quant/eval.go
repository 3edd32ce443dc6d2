package quant

import (
	"fmt"
	"math"
	"sort"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/runtime"
)

// Accuracy compares a quantized model with its float model on some inputs.
type Accuracy struct {
	Samples int
	// Top1 counts the samples (images of a batch, for a classifier's
	// [N, C] output) whose arg max agrees; Top1Of is how many were compared
	// (0 when the first output is not [N, C]).
	Top1, Top1Of int
	// MaxRel is the largest max|int8 − fp32| / max|fp32| over the
	// samples (first output), MedianRel its median.
	MaxRel, MedianRel float64
	// MeanRel is mean|int8 − fp32| / max|fp32| averaged over the samples:
	// for maps (segmentation, text detection) where one flipped pixel sets
	// MaxRel to 1.
	MeanRel float64
}

func (a Accuracy) String() string {
	s := ""
	if a.Top1Of > 0 {
		s = fmt.Sprintf("top-1 agreement %d/%d (%.1f%%), ", a.Top1, a.Top1Of, 100*float64(a.Top1)/float64(a.Top1Of))
	}
	return s + fmt.Sprintf("max|int8 − fp32| / max|fp32| %.4f (median over inputs %.4f), mean|int8 − fp32| / max|fp32| %.4f", a.MaxRel, a.MedianRel, a.MeanRel)
}

// Evaluate runs the quantized model q (compiled at -O2: the integer
// pipeline ONNX Runtime runs too) on samples and compares its first output
// with want (the float model's, Stats.FloatOutputs).
func Evaluate(q *ir.Graph, samples, want []*ir.Tensor, threads int) (Accuracy, error) {
	var acc Accuracy
	if len(samples) != len(want) {
		return acc, fmt.Errorf("%d samples but %d float outputs", len(samples), len(want))
	}
	if len(samples) == 0 {
		return acc, nil
	}
	isa, err := runtime.SelectISA("")
	if err != nil {
		return acc, err
	}
	set, err := kernels.ForISA(isa)
	if err != nil {
		return acc, err
	}
	p, _, err := passes.Compile(q, passes.Options{Level: 2, Batch: max(1, samples[0].Shape[0])}, set)
	if err != nil {
		return acc, fmt.Errorf("compiling the quantized model: %w", err)
	}
	e, err := runtime.New(p, runtime.Options{Threads: threads})
	if err != nil {
		return acc, err
	}
	defer e.Close()
	outs := make([]*ir.Tensor, len(p.Outputs))
	for i, io := range p.Outputs {
		outs[i] = ir.NewTensor(io.Buf.Shape...)
	}
	rels := make([]float64, len(samples))
	for s, x := range samples {
		if err := e.Run([]*ir.Tensor{x}, outs); err != nil {
			return acc, err
		}
		got, w := outs[0], want[s]
		if len(got.Data) != len(w.Data) {
			return acc, fmt.Errorf("quantized output %v, float output %v", got.Shape, w.Shape)
		}
		var d, m, sum float64
		for i := range w.Data {
			e := math.Abs(float64(got.Data[i]) - float64(w.Data[i]))
			d = math.Max(d, e)
			sum += e
			m = math.Max(m, math.Abs(float64(w.Data[i])))
		}
		if m > 0 {
			rels[s] = d / m
			acc.MeanRel += sum / float64(len(w.Data)) / m / float64(len(samples))
		} else if d > 0 {
			rels[s] = math.Inf(1)
			acc.MeanRel = math.Inf(1)
		}
		if len(w.Shape) == 2 && w.Shape[1] > 1 {
			c := w.Shape[1]
			for b := range w.Shape[0] {
				acc.Top1Of++
				if argmax(got.Data[b*c:(b+1)*c]) == argmax(w.Data[b*c:(b+1)*c]) {
					acc.Top1++
				}
			}
		}
	}
	acc.Samples = len(samples)
	sort.Float64s(rels)
	acc.MaxRel = rels[len(rels)-1]
	acc.MedianRel = rels[len(rels)/2]
	return acc, nil
}

func argmax(x []float32) int {
	k := 0
	for i, v := range x {
		if v > x[k] {
			k = i
		}
	}
	return k
}
