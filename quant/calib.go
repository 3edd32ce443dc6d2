package quant

import (
	"errors"
	"fmt"
	"math"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// BuiltinInputs returns n calibration inputs of the given shape: the first
// is reference.FixedInput (the input the shared models' outputs were made
// with), input k the same formula on the index shifted by 7919·k — values
// with the same distribution and structure, so that a seeded built-in
// model (whose BatchNorm statistics were calibrated on the fixed input)
// sees the activations it was made for, and a run is reproducible.
// (Independent uniform noise drives those models' activations up to 100×
// larger and makes a poor calibration set.)
func BuiltinInputs(n int, shape []int) []*ir.Tensor {
	out := make([]*ir.Tensor, n)
	for k := range out {
		t := ir.NewTensor(shape...)
		for i := range t.Data {
			t.Data[i] = float32(int(uint32(i+7919*k)*2654435761>>24)-128) / 128
		}
		out[k] = t
	}
	return out
}

// runner runs the float model on one sample and returns the tensors asked
// for (graph outputs first, then the calibrated tensors).
type runner func(x *ir.Tensor) ([]*ir.Tensor, error)

// planRunner compiles h at -O2 with the wanted tensors as extra outputs.
func planRunner(h *ir.Graph, want []*ir.Value, shape ir.Shape, threads int) (runner, func(), error) {
	saved := h.Outputs
	h.Outputs = want
	defer func() { h.Outputs = saved }()
	isa, err := runtime.SelectISA("")
	if err != nil {
		return nil, nil, err
	}
	set, err := kernels.ForISA(isa)
	if err != nil {
		return nil, nil, err
	}
	batch := 1
	if len(shape) > 0 {
		batch = shape[0]
	}
	p, _, err := passes.Compile(h, passes.Options{Level: 2, Batch: batch}, set)
	if err != nil {
		return nil, nil, fmt.Errorf("compiling the float model for calibration: %w", err)
	}
	e, err := runtime.New(p, runtime.Options{Threads: threads})
	if err != nil {
		return nil, nil, err
	}
	outs := make([]*ir.Tensor, len(p.Outputs))
	for i, io := range p.Outputs {
		outs[i] = ir.NewTensor(io.Buf.Shape...)
	}
	run := func(x *ir.Tensor) ([]*ir.Tensor, error) {
		if err := e.Run([]*ir.Tensor{x}, outs); err != nil {
			return nil, err
		}
		return outs, nil
	}
	return run, e.Close, nil
}

// refRunner runs h on the reference executor, keeping the wanted tensors.
func refRunner(h *ir.Graph, want []*ir.Value) runner {
	idx := map[*ir.Value]int{}
	for i, v := range want {
		idx[v] = i
	}
	return func(x *ir.Tensor) ([]*ir.Tensor, error) {
		outs := make([]*ir.Tensor, len(want))
		for i, v := range h.Inputs {
			if k, ok := idx[v]; ok && i == 0 {
				outs[k] = x
			}
		}
		_, err := reference.Run(h, map[string]*ir.Tensor{h.Inputs[0].Name: x}, &reference.Options{
			AfterNode: func(n *ir.Node, out *ir.Tensor) error {
				if k, ok := idx[n.Output()]; ok {
					outs[k] = out
				}
				return nil
			}})
		return outs, err
	}
}

// calibrate runs h on every sample and returns each tensor's range, and
// h's first output on each sample.
func calibrate(h *ir.Graph, ts []*ir.Value, samples []*ir.Tensor, o Options) (map[*ir.Value][2]float32, []*ir.Tensor, error) {
	shape := samples[0].Shape
	for i, s := range samples {
		if !s.Shape.Equal(shape) {
			return nil, nil, fmt.Errorf("calibration input %d has shape %v, input 0 has %v", i, s.Shape, shape)
		}
	}
	// want: the graph's outputs, then the tensors computed by nodes.
	want := append([]*ir.Value(nil), h.Outputs...)
	seen := map[*ir.Value]bool{}
	for _, v := range want {
		seen[v] = true
	}
	for _, v := range ts {
		if !seen[v] && v.Producer != nil {
			seen[v] = true
			want = append(want, v)
		}
	}
	pos := map[*ir.Value]int{}
	for i, v := range want {
		pos[v] = i
	}
	var run runner
	if !o.Reference {
		r, done, err := planRunner(h, want, shape, o.Threads)
		switch {
		case errors.Is(err, passes.ErrTooManyLive):
			// The plan keeps every activation it reports live to the
			// end of the run, and plans hold at most passes.MaxLive:
			// such a graph calibrates on the reference executor.
		case err != nil:
			return nil, nil, err
		default:
			defer done()
			run = r
		}
	}
	if run == nil {
		run = refRunner(h, want)
	}
	// get is tensor v's data on the sample whose outputs are outs.
	get := func(v *ir.Value, x *ir.Tensor, outs []*ir.Tensor) []float32 {
		if k, ok := pos[v]; ok {
			return outs[k].Data
		}
		return x.Data // the graph input
	}
	lo := make([]float32, len(ts))
	hi := make([]float32, len(ts))
	for i := range ts {
		lo[i], hi[i] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	var hist []histogram
	if o.Method == Percentile {
		hist = make([]histogram, len(ts))
	}
	floats := make([]*ir.Tensor, len(samples))
	for s, x := range samples {
		outs, err := run(x)
		if err != nil {
			return nil, nil, fmt.Errorf("calibration input %d: %w", s, err)
		}
		floats[s] = outs[0].Clone()
		for i, v := range ts {
			data := get(v, x, outs)
			l, u := finiteRange(data, float32(math.Inf(1)), float32(math.Inf(-1)))
			lo[i], hi[i] = min(lo[i], l), max(hi[i], u)
			if hist != nil {
				hist[i].add(data, l, u)
			}
		}
	}
	ranges := make(map[*ir.Value][2]float32, len(ts))
	for i, v := range ts {
		if lo[i] > hi[i] { // nothing finite seen
			lo[i], hi[i] = 0, 0
		}
		ranges[v] = [2]float32{lo[i], hi[i]}
	}
	if o.Method != Percentile {
		return ranges, floats, nil
	}
	cut := (100 - o.Percentile) / 200
	for i, v := range ts {
		if l, u, ok := hist[i].cut(cut); ok {
			ranges[v] = [2]float32{max(lo[i], l), min(hi[i], u)}
		}
	}
	return ranges, floats, nil
}

// finiteRange widens [lo, hi] to the finite values of xs (NaN and ±Inf
// are left out).
func finiteRange(xs []float32, lo, hi float32) (float32, float32) {
	for _, f := range xs {
		if f < lo && f >= -math.MaxFloat32 {
			lo = f
		}
		if f > hi && f <= math.MaxFloat32 {
			hi = f
		}
	}
	return lo, hi
}

// bins is the resolution of the percentile histograms (ONNX Runtime uses
// 2048; finer bins keep small values apart from a far outlier).
const bins = 8192

// histogram counts a tensor's finite values over [lo, hi], a range that
// grows with the data: calibration needs one pass over the inputs. When a
// sample leaves the range the counts move to the bins of the wider range
// (each old bin's count to the new bin holding its centre).
type histogram struct {
	lo, hi float64
	n      []int64
}

// add counts xs, whose finite values lie in [l, u] (l > u: none).
func (h *histogram) add(xs []float32, l, u float32) {
	if l > u {
		return
	}
	if h.n == nil {
		h.lo, h.hi, h.n = float64(l), float64(u), make([]int64, bins)
	} else if float64(l) < h.lo || float64(u) > h.hi {
		// Grow with a quarter of headroom on the side that grew: fewer
		// regrowths, each of which blurs the old counts by half a bin.
		nl, nu := min(h.lo, float64(l)), max(h.hi, float64(u))
		pad := (nu - nl) / 4
		if nl < h.lo {
			nl -= pad
		}
		if nu > h.hi {
			nu += pad
		}
		h.grow(nl, nu)
	}
	k := 0.0
	if w := h.hi - h.lo; w > 0 {
		k = bins / w
	}
	lo, n := h.lo, h.n
	for _, f := range xs {
		if f >= -math.MaxFloat32 && f <= math.MaxFloat32 { // finite
			n[max(0, min(bins-1, int((float64(f)-lo)*k)))]++
		}
	}
}

func (h *histogram) grow(lo, hi float64) {
	n := make([]int64, bins)
	w, k := (h.hi-h.lo)/bins, bins/(hi-lo)
	for b, c := range h.n {
		if c != 0 {
			centre := h.lo + (float64(b)+0.5)*w
			n[max(0, min(bins-1, int((centre-lo)*k)))] += c
		}
	}
	h.lo, h.hi, h.n = lo, hi, n
}

// cut returns the lower edge of the first bin where the cumulative share
// passes cut and the upper edge of the first where it reaches 1 − cut;
// false when there is no range to cut.
func (h *histogram) cut(cut float64) (float32, float32, bool) {
	width := h.hi - h.lo
	if h.n == nil || width <= 0 {
		return 0, 0, false
	}
	var total int64
	for _, c := range h.n {
		total += c
	}
	left, right := 0, bins-1
	var cum int64
	for b, c := range h.n {
		cum += c
		if float64(cum) <= cut*float64(total) {
			left = b + 1
		}
		if float64(cum) < (1-cut)*float64(total) {
			right = b + 1
		}
	}
	return float32(h.lo + width*float64(left)/bins), float32(h.lo + width*float64(min(right+1, bins))/bins), true
}
