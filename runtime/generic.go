package runtime

import (
	"errors"
	"fmt"
	"math"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// prepGeneric prepares an op with no fast kernel. Generic steps address
// tensors through views, so they work on NHWC and row-major storage alike;
// they run on thread 0 (they are rare and small in MobileNets) and follow
// the reference interpreter's semantics.
func (e *Executor) prepGeneric(s *plan.Step) (stepFunc, error) {
	if f, err := e.genericBytes(s); f != nil || err != nil {
		return f, err
	}
	if s.Op == ir.OpBatchNorm && !slicedIn(s) {
		if err := checkGenericShape(s); err != nil {
			return nil, err
		}
		if f := e.fastBatchNorm(s); f != nil {
			return f, nil
		}
	}
	ins := make([]view, len(s.In))
	for i, o := range s.In {
		if b := s.ConstIn[i]; b != plan.NoBlob {
			ins[i] = newView(e.plan.Blobs[b], o.Shape, false)
		} else {
			ins[i] = operandView(e.buf(o), o)
		}
	}
	out := operandView(e.buf(s.Out), s.Out)
	// The plan came from a file: check the output shape against the op's
	// own shape rule before trusting any index arithmetic.
	if err := checkGenericShape(s); err != nil {
		return nil, err
	}
	for k, si := range e.outStep {
		if si >= 0 && &e.plan.Steps[si] == s {
			return directConcat(s, ins, out, e.outData, k), nil
		}
	}
	if f := e.denseGeneric(s, ins, out); f != nil {
		return f, nil
	}
	if f := fastSoftmax(s, ins, out, e.set); f != nil {
		return f, nil
	}
	f := fastQAdd(s, ins, out, e.set)
	if f == nil {
		f = fastQuantize(s, ins, out, e.set)
	}
	var err error
	if f == nil {
		f, err = genericFunc(s, ins, out)
	}
	if err != nil {
		return nil, err
	}
	return func(tid, t, nt int) {
		if t == 0 {
			f()
		}
	}, nil
}

// slicedIn reports whether a step reads a channel slice (slice-in-place).
func slicedIn(s *plan.Step) bool {
	for _, o := range s.In {
		if o.Sliced() {
			return true
		}
	}
	return false
}

// fastBatchNorm runs a standalone BatchNorm (x·scale[c] + shift[c]) on
// channels-last or 2-D data with the channel innermost, split over threads
// by pixels: at -O0 every conv is followed by one, so the unfused baseline
// must not be slowed by the generic indexing. nil when the layout differs.
func (e *Executor) fastBatchNorm(s *plan.Step) stepFunc {
	x := s.In[0]
	if len(s.In) != 3 || x.NHWC != s.Out.NHWC || (len(x.Shape) == 4 && !x.NHWC) || len(x.Shape) < 2 || len(x.Shape) > 4 || len(x.Shape) == 3 ||
		s.ConstIn[0] != plan.NoBlob || s.ConstIn[1] == plan.NoBlob || s.ConstIn[2] == plan.NoBlob {
		return nil
	}
	c := x.Shape[1]
	in, out := e.buf(x), e.buf(s.Out)
	sc, sh := e.plan.Blobs[s.ConstIn[1]], e.plan.Blobs[s.ConstIn[2]]
	px := len(in) / c
	return func(tid, t, nt int) {
		lo, hi := split(px, 1, t, nt)
		for p := lo; p < hi; p++ {
			row, dst := in[p*c:(p+1)*c], out[p*c:(p+1)*c]
			for j, v := range row {
				dst[j] = v*sc[j] + sh[j]
			}
		}
	}
}

func checkGenericShape(s *plan.Step) error {
	n := &ir.Node{Name: s.Name, Op: s.Op, Attrs: s.Attrs, Outputs: []*ir.Value{{Name: s.Name}}}
	for i, o := range s.In {
		v := &ir.Value{Name: fmt.Sprintf("in%d", i), Shape: o.Shape}
		n.Inputs = append(n.Inputs, v)
	}
	if s.Op == ir.OpBatchNorm {
		if len(s.In) != 3 && len(s.In) != 5 || len(s.In[0].Shape) < 2 || !s.Out.Shape.Equal(s.In[0].Shape) {
			return fmt.Errorf("batchnorm step needs x and scale[C], shift[C] (or the four ONNX parameters)")
		}
		for _, p := range s.In[1:] {
			if p.Size() != s.In[0].Shape[1] {
				return fmt.Errorf("batchnorm parameter %v does not have %d channels", p.Shape, s.In[0].Shape[1])
			}
		}
		return nil
	}
	if (s.Op == ir.OpConv || s.Op == ir.OpGemm) && s.Attrs.Fused.Residual {
		for len(n.Inputs) < 4 {
			// a generic conv/gemm with residual always has its bias slot filled by the planner
			return fmt.Errorf("%s with a fused residual needs 4 inputs, has %d", s.Op, len(s.In))
		}
	}
	want, err := ir.InferNode(n)
	if err != nil {
		return err
	}
	if !want.Equal(s.Out.Shape) {
		return fmt.Errorf("output shape %v, but the inputs give %v", s.Out.Shape, want)
	}
	return nil
}

func genericFunc(s *plan.Step, in []view, out view) (func(), error) {
	a := s.Attrs
	if s.Op.IsQuant() {
		return quantGeneric(s, in, out)
	}
	switch s.Op {
	case ir.OpIdentity, ir.OpDropout, ir.OpFlatten, ir.OpReshape:
		return func() { copyLogical(in[0], out) }, nil
	}
	if s.Op.IsActivation() { // the op table's activation, as a fused epilogue computes it
		ep := ir.ActParams(s.Op.Info().Act, &a)
		x := in[0]
		if len(in) > 1 { // PRelu: input 1 (broadcast) is alpha per element
			sl := in[1].broadcastTo(s.Out.Shape)
			return func() {
				var idx [maxRank]int
				for ok := true; ok; ok = next(&idx, &out.shape, out.rank) {
					out.data[out.offset(&idx)] = ir.ApplyAct(ep.Act, x.at(&idx), ep.Min, ep.Max, sl.at(&idx), ep.Beta)
				}
			}, nil
		}
		return func() {
			var idx [maxRank]int
			for ok := true; ok; ok = next(&idx, &out.shape, out.rank) {
				out.data[out.offset(&idx)] = ep.Apply(x.at(&idx))
			}
		}, nil
	}
	switch s.Op {
	case ir.OpAdd, ir.OpSub, ir.OpMul, ir.OpDiv:
		if f := scalarArith(s, in, out); f != nil {
			return f, nil
		}
		x, y := in[0].broadcastTo(s.Out.Shape), in[1].broadcastTo(s.Out.Shape)
		op := s.Op
		return func() {
			var idx [maxRank]int
			for ok := true; ok; ok = next(&idx, &out.shape, out.rank) {
				p, q := x.at(&idx), y.at(&idx)
				var r float32
				switch op {
				case ir.OpAdd:
					r = p + q
				case ir.OpSub:
					r = p - q
				case ir.OpMul:
					r = p * q
				default:
					r = p / q
				}
				out.data[out.offset(&idx)] = r
			}
		}, nil
	case ir.OpBatchNorm:
		x, sc, sh := in[0], in[1].data, in[2].data
		if len(in) == 5 { // parameters computed at run time: the ONNX formula
			mean, vr, eps := in[3].data, in[4].data, float64(a.Epsilon)
			return func() {
				var idx [maxRank]int
				for ok := true; ok; ok = next(&idx, &out.shape, out.rank) {
					c := idx[1]
					v := (float64(x.at(&idx))-float64(mean[c]))/math.Sqrt(float64(vr[c])+eps)*float64(sc[c]) + float64(sh[c])
					out.data[out.offset(&idx)] = float32(v)
				}
			}, nil
		}
		return func() {
			var idx [maxRank]int
			for ok := true; ok; ok = next(&idx, &out.shape, out.rank) {
				c := idx[1]
				out.data[out.offset(&idx)] = x.at(&idx)*sc[c] + sh[c]
			}
		}, nil
	case ir.OpGlobalAveragePool:
		return func() { globalAvgPool(in[0], out) }, nil
	case ir.OpMaxPool, ir.OpAveragePool:
		return func() { pool2d(s.Op, &a, in[0], out) }, nil
	case ir.OpSoftmax:
		return func() { softmax(in[0], out, a.Axis) }, nil
	case ir.OpTranspose:
		perm := a.Perm
		x := in[0]
		return func() {
			var idx, src [maxRank]int
			for ok := true; ok; ok = next(&idx, &out.shape, out.rank) {
				for i, p := range perm {
					src[p] = idx[i]
				}
				out.data[out.offset(&idx)] = x.at(&src)
			}
		}, nil
	case ir.OpConcat:
		return func() { concat(in, out, a.Axis) }, nil
	case ir.OpSlice:
		x := in[0]
		starts, _, steps, err := ir.SliceBounds(&a, s.In[0].Shape)
		if err != nil {
			return nil, err
		}
		if f := sliceRuns(x, out, starts, steps); f != nil {
			return f, nil
		}
		return func() {
			var idx, src [maxRank]int
			for ok := out.size() > 0; ok; ok = next(&idx, &out.shape, out.rank) {
				for k := 0; k < out.rank; k++ {
					src[k] = starts[k] + idx[k]*steps[k]
				}
				out.data[out.offset(&idx)] = x.at(&src)
			}
		}, nil
	case ir.OpPad:
		return func() { pad(&a, in[0], out) }, nil
	case ir.OpReduceMean:
		return func() { reduceMean(&a, in[0], out) }, nil
	case ir.OpMatMul:
		return func() { matmul(in[0], in[1], out) }, nil
	case ir.OpGemm:
		return func() { gemm(&a, in, out) }, nil
	case ir.OpConv:
		ws := s.In[1].Shape
		return func() { conv(&a, ws, in, out) }, nil
	}
	return nil, fmt.Errorf("%w of %s", errNoGeneric, s.Op)
}

// errNoGeneric is genericFunc's answer for an op it has no case for.
var errNoGeneric = errors.New("no generic implementation")

// copyLogical copies in to out element by element in row-major logical
// order (Reshape, Flatten: the element count is equal).
func copyLogical(in, out view) {
	var i, o [maxRank]int
	for {
		out.data[out.offset(&o)] = in.at(&i)
		if !next(&o, &out.shape, out.rank) {
			return
		}
		next(&i, &in.shape, in.rank)
	}
}

func globalAvgPool(x, out view) {
	// sub walks the spatial axes of one (n, c) plane.
	sub := view{rank: x.rank - 2}
	copy(sub.shape[:], x.shape[2:x.rank])
	copy(sub.stride[:], x.stride[2:x.rank])
	cnt := sub.size()
	for n := 0; n < x.shape[0]; n++ {
		for c := 0; c < x.shape[1]; c++ {
			sub.data = x.data[n*x.stride[0]+c*x.stride[1]:]
			var idx [maxRank]int
			var sum float64
			for ok := true; ok; ok = next(&idx, &sub.shape, sub.rank) {
				sum += float64(sub.at(&idx))
			}
			o := [maxRank]int{n, c}
			out.data[out.offset(&o)] = float32(sum / float64(cnt))
		}
	}
}

func pool2d(op ir.Op, a *ir.Attrs, x, out view) {
	d := a.Dilations
	if d[0] == 0 && d[1] == 0 {
		d = [2]int{1, 1}
	}
	h, w := x.shape[2], x.shape[3]
	var idx, src [maxRank]int
	for ok := true; ok; ok = next(&idx, &out.shape, out.rank) {
		src[0], src[1] = idx[0], idx[1]
		m := math.Inf(-1)
		sum, valid, padded := 0.0, 0, 0
		nan := false
		for ky := 0; ky < a.Kernel[0]; ky++ {
			iy := idx[2]*a.Strides[0] - a.Pads[0] + ky*d[0]
			inY := iy >= -a.Pads[0] && iy < h+a.Pads[2]
			for kx := 0; kx < a.Kernel[1]; kx++ {
				ix := idx[3]*a.Strides[1] - a.Pads[1] + kx*d[1]
				if inY && ix >= -a.Pads[1] && ix < w+a.Pads[3] {
					padded++
				}
				if iy < 0 || iy >= h || ix < 0 || ix >= w {
					continue
				}
				src[2], src[3] = iy, ix
				v := float64(x.at(&src))
				valid++
				sum += v
				if v != v {
					nan = true
				}
				if v > m {
					m = v
				}
			}
		}
		var r float64
		if op == ir.OpMaxPool {
			r = m
			if nan {
				r = math.NaN()
			}
		} else {
			count := valid
			if a.CountIncludePad {
				count = padded
			}
			r = sum / float64(count)
		}
		out.data[out.offset(&idx)] = float32(r)
	}
}

func softmax(x, out view, axis int) {
	if axis < 0 {
		axis += x.rank
	}
	n := x.shape[axis]
	// Iterate over every position with the softmax axis fixed at 0.
	outer := x.shape
	outer[axis] = 1
	var idx [maxRank]int
	for ok := true; ok; ok = next(&idx, &outer, x.rank) {
		m := math.Inf(-1)
		for j := 0; j < n; j++ {
			idx[axis] = j
			v := float64(x.at(&idx))
			if v > m || v != v {
				m = v
			}
			if m != m {
				break
			}
		}
		var sum float64
		for j := 0; j < n; j++ {
			idx[axis] = j
			sum += math.Exp(float64(x.at(&idx)) - m)
		}
		for j := 0; j < n; j++ {
			idx[axis] = j
			out.data[out.offset(&idx)] = float32(math.Exp(float64(x.at(&idx))-m) / sum)
		}
		idx[axis] = 0
	}
}

func concat(in []view, out view, axis int) {
	if axis < 0 {
		axis += out.rank
	}
	if concatRowMajor(in, out, axis) {
		return
	}
	var idx, src [maxRank]int
	for ok := true; ok; ok = next(&idx, &out.shape, out.rank) {
		src = idx
		k := 0
		for src[axis] >= in[k].shape[axis] {
			src[axis] -= in[k].shape[axis]
			k++
		}
		out.data[out.offset(&idx)] = in[k].at(&src)
	}
}

func pad(a *ir.Attrs, x, out view) {
	r := x.rank
	var idx, src [maxRank]int
	for ok := true; ok; ok = next(&idx, &out.shape, out.rank) {
		inside := true
		for d := 0; d < r; d++ {
			p, n := idx[d]-a.PadAmounts[d], x.shape[d]
			if p < 0 || p >= n {
				switch a.PadMode {
				case "edge":
					p = min(max(p, 0), n-1)
				case "reflect":
					p = ir.ReflectIndex(p, n)
				default:
					inside = false
				}
			}
			src[d] = p
		}
		v := a.PadValue
		if inside {
			v = x.at(&src)
		}
		out.data[out.offset(&idx)] = v
	}
}

func reduceMean(a *ir.Attrs, x, out view) {
	var red [maxRank]bool
	for _, ax := range a.Axes {
		if ax < 0 {
			ax += x.rank
		}
		red[ax] = true
	}
	if len(a.Axes) == 0 {
		for i := 0; i < x.rank; i++ {
			red[i] = true
		}
	}
	count := 1
	for i := 0; i < x.rank; i++ {
		if red[i] {
			count *= x.shape[i]
		}
	}
	// Sum each output's inputs directly in float64, as the reference does.
	var oidx [maxRank]int
	for ok := true; ok; ok = next(&oidx, &out.shape, out.rank) {
		// Map the output index to the input's kept axes.
		var base, sub [maxRank]int
		k := 0
		var rshape [maxRank]int
		nr := 0
		for i := 0; i < x.rank; i++ {
			if red[i] {
				rshape[nr] = x.shape[i]
				nr++
				if a.KeepDims {
					k++
				}
				continue
			}
			base[i] = oidx[k]
			k++
		}
		var sum float64
		for ok2 := true; ok2; ok2 = next(&sub, &rshape, nr) {
			j := 0
			src := base
			for i := 0; i < x.rank; i++ {
				if red[i] {
					src[i] = sub[j]
					j++
				}
			}
			sum += float64(x.at(&src))
		}
		out.data[out.offset(&oidx)] = float32(sum / float64(count))
	}
}

// scalarArith runs x op c for a one-element c straight on the storage when
// x and the output share a layout (a quantized model's re-centring Sub and
// dequantizing Mul). nil otherwise.
func scalarArith(s *plan.Step, in []view, out view) func() {
	if len(in) != 2 || len(in[1].data) != 1 || len(in[0].data) != len(out.data) || s.In[0].NHWC != s.Out.NHWC ||
		!s.In[0].Shape.Equal(s.Out.Shape) || in[0].stride != out.stride {
		return nil
	}
	x, c, y, op := in[0].data, in[1].data, out.data, s.Op
	return func() {
		q := c[0]
		switch op {
		case ir.OpAdd:
			for i, p := range x {
				y[i] = p + q
			}
		case ir.OpSub:
			for i, p := range x {
				y[i] = p - q
			}
		case ir.OpMul:
			for i, p := range x {
				y[i] = p * q
			}
		default:
			for i, p := range x {
				y[i] = p / q
			}
		}
	}
}

// sliceRuns is a Slice step copying whole runs along an axis contiguous in
// both input and output taken with step 1 (an NHWC channel range: one copy
// per pixel), or nil when there is no such axis.
func sliceRuns(x, out view, starts, steps []int) func() {
	a := -1
	for k := 0; k < out.rank; k++ {
		if x.stride[k] == 1 && out.stride[k] == 1 && steps[k] == 1 {
			a = k
		}
	}
	if a < 0 || out.size() == 0 {
		return nil
	}
	n := out.shape[a]
	outer := out
	outer.shape[a] = 1
	return func() {
		var idx, src [maxRank]int
		for ok := true; ok; ok = next(&idx, &outer.shape, outer.rank) {
			for k := 0; k < out.rank; k++ {
				src[k] = starts[k] + idx[k]*steps[k]
			}
			o, i := out.offset(&idx), x.offset(&src)
			copy(out.data[o:o+n], x.data[i:i+n])
		}
	}
}
