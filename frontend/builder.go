package frontend

import (
	"fmt"
	"math"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
)

// Weights says how a Builder fills its constants.
type Weights uint8

const (
	// RandomWeights: He (fan-in) normal conv and FC weights, biases
	// U(-0.1, 0.1), BatchNorm γ ~ U(0.5, 1.5), β ~ U(-0.25, 0.25), running
	// mean 0 and variance 1 (calibrate them for real activations).
	RandomWeights Weights = iota
	// ZeroWeights: zero-filled constants of the right shapes, for analysis
	// and compilation tests where only shapes matter. Building is fast.
	ZeroWeights
	// ShapesOnly: constants have shapes but no data (nil Data), and the
	// finished graph is not verified (its constants would fail): for
	// checking a model's sizes against the memory budget before building
	// it, without allocating its weights.
	ShapesOnly
)

// Options configure a Builder.
type Options struct {
	Weights Weights
	Seed    uint64  // weight seed; see SeedOf
	BNEps   float32 // BatchNorm epsilon; 0 means 1e-5
	// KeepDropout emits classifier dropouts as Dropout nodes (identity at
	// inference); by default they are left out, as ONNX exports do.
	KeepDropout bool
	// MaxMemory bounds the bytes of the weights (and the graph's nodes,
	// at nodeBytes each) the builder makes, 0: limits.MaxMemory(). Going
	// over it is the builder's error, before the allocation.
	MaxMemory int64
}

// Builder appends MobileNet layers to an ir.Graph. Every method infers its
// node's output shape at once, so callers can read channel counts as they go.
// The first error sticks: later calls return their input unchanged and
// Finish reports it, so a chain of calls needs one error check at the end.
type Builder struct {
	G     *ir.Graph
	opts  Options
	err   error
	bytes int64 // weights and nodes so far, for the memory budget
}

// nodeBytes is what a node costs in memory, roughly, with its output value
// and names: the budget counts it so that a description of millions of
// tiny layers fails before it fills memory.
const nodeBytes = 1 << 10

// charge adds n bytes to what the builder holds and fails (returning
// false) when that exceeds the memory budget.
func (b *Builder) charge(what string, n int64) bool {
	if b.err != nil {
		return false
	}
	if n > 1<<62-b.bytes {
		b.bytes = 1 << 62 // saturate: a product of huge dimensions
	} else {
		b.bytes += n
	}
	if err := limits.Check(b.opts.MaxMemory, what, b.bytes); err != nil {
		b.Failf("%v", err)
		return false
	}
	return true
}

// NewBuilder starts an empty graph named name.
func NewBuilder(name string, opts Options) *Builder {
	if opts.BNEps == 0 {
		opts.BNEps = 1e-5
	}
	return &Builder{G: ir.New(name), opts: opts}
}

// Err returns the first error met so far.
func (b *Builder) Err() error { return b.err }

// Failf records an error (if none is recorded yet).
func (b *Builder) Failf(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf(format, args...)
	}
}

// Input declares the NCHW graph input.
func (b *Builder) Input(name string, c, h, w int) *ir.Value {
	if c <= 0 || h <= 0 || w <= 0 {
		b.Failf("input %q: dimensions %dx%dx%d must be positive", name, c, h, w)
		c, h, w = max(c, 1), max(h, 1), max(w, 1)
	}
	return b.G.AddInput(name, 1, c, h, w)
}

// Channels returns v's channel count (axis 1).
func Channels(v *ir.Value) int {
	if len(v.Shape) < 2 {
		return 0
	}
	return v.Shape[1]
}

// node adds one node and infers its output shape.
func (b *Builder) node(op ir.Op, name string, attrs ir.Attrs, inputs ...*ir.Value) *ir.Value {
	b.charge(fmt.Sprintf("the graph's %d nodes", len(b.G.Nodes)+1), nodeBytes)
	out := b.G.AddNode(op, name, attrs, inputs...)
	n := out.Producer
	s, err := ir.InferNode(n)
	if err != nil {
		b.Failf("%v", err)
		// Keep a plausible shape so the caller can go on to Finish.
		s = inputs[0].Shape.Clone()
	}
	out.Shape = s
	return out
}

func (b *Builder) constant(name string, fill func(r *rng, data []float32), shape ...int) *ir.Value {
	n := int64(4)
	for _, d := range shape {
		n = limits.Mul(n, int64(d)) // saturates; a negative dimension fails
	}
	if !b.charge(fmt.Sprintf("the weights up to %s %v", name, ir.Shape(shape)), n) {
		return b.G.AddConst(name, ir.NewTensor(1))
	}
	if b.opts.Weights == ShapesOnly {
		return b.G.AddConst(name, &ir.Tensor{Shape: ir.Shape(shape).Clone()})
	}
	t := ir.NewTensor(shape...)
	if b.opts.Weights == RandomWeights && fill != nil {
		fill(newRNG(b.opts.Seed, name), t.Data)
	}
	return b.G.AddConst(name, t)
}

func normalFill(std float64) func(*rng, []float32) {
	return func(r *rng, d []float32) {
		for i := range d {
			d[i] = float32(r.normal() * std)
		}
	}
}

func uniformFill(lo, hi float64) func(*rng, []float32) {
	return func(r *rng, d []float32) {
		for i := range d {
			d[i] = float32(lo + (hi-lo)*r.uniform())
		}
	}
}

func constFill(v float32) func(*rng, []float32) {
	return func(_ *rng, d []float32) {
		for i := range d {
			d[i] = v
		}
	}
}

// Conv adds a k×k convolution with symmetric (k-1)/2 padding (torchvision)
// and He fan-in weights scaled by gain (2 before a ReLU-like activation, 1
// before a linear or sigmoid-like one). Weights are named name.weight and,
// with bias, name.bias.
func (b *Builder) Conv(name string, x *ir.Value, out, k, stride, groups int, bias bool, gain float64) *ir.Value {
	if b.err != nil {
		return x
	}
	in := Channels(x)
	switch {
	case out <= 0:
		b.Failf("conv %q: output channels %d must be positive", name, out)
	case k <= 0 || stride <= 0:
		b.Failf("conv %q: kernel %d and stride %d must be positive", name, k, stride)
	case groups <= 0 || in%groups != 0 || out%groups != 0:
		b.Failf("conv %q: %d groups do not divide %d input and %d output channels", name, groups, in, out)
	}
	if b.err != nil {
		return x
	}
	fanIn := in / groups * k * k
	w := b.constant(name+".weight", normalFill(math.Sqrt(gain/float64(fanIn))), out, in/groups, k, k)
	inputs := []*ir.Value{x, w}
	if bias {
		inputs = append(inputs, b.constant(name+".bias", uniformFill(-0.1, 0.1), out))
	}
	return b.node(ir.OpConv, name, ir.ConvAttrs(stride, (k-1)/2, groups), inputs...)
}

// BatchNorm adds an inference BatchNormalization whose parameters are named
// like PyTorch's: name.weight (γ), name.bias (β), name.running_mean,
// name.running_var.
func (b *Builder) BatchNorm(name string, x *ir.Value) *ir.Value {
	if b.err != nil {
		return x
	}
	c := Channels(x)
	gamma := b.constant(name+".weight", uniformFill(0.5, 1.5), c)
	beta := b.constant(name+".bias", uniformFill(-0.25, 0.25), c)
	mean := b.constant(name+".running_mean", nil, c)
	variance := b.constant(name+".running_var", constFill(1), c)
	return b.node(ir.OpBatchNorm, name, ir.Attrs{Epsilon: b.opts.BNEps}, x, gamma, beta, mean, variance)
}

// Act applies a nonlinearity; Linear returns x unchanged (no node).
func (b *Builder) Act(name string, x *ir.Value, a Activation) *ir.Value {
	if b.err != nil {
		return x
	}
	switch a {
	case Linear:
		return x
	case ReLU:
		return b.node(ir.OpRelu, name, ir.Attrs{}, x)
	case ReLU6:
		return b.node(ir.OpClip, name, ir.Relu6Attrs(), x)
	case HSwish:
		return b.node(ir.OpHardSwish, name, ir.Attrs{}, x)
	case HSigmoid:
		return b.node(ir.OpHardSigmoid, name, ir.HardSigmoidAttrs(), x)
	}
	b.Failf("node %q: unknown activation %v", name, a)
	return x
}

// Add adds a residual connection a + b.
func (b *Builder) Add(name string, x, y *ir.Value) *ir.Value {
	if b.err != nil {
		return x
	}
	return b.node(ir.OpAdd, name, ir.Attrs{}, x, y)
}

// Mul multiplies x by a per-channel scale s ([N,C,1,1] broadcast).
func (b *Builder) Mul(name string, x, s *ir.Value) *ir.Value {
	if b.err != nil {
		return x
	}
	return b.node(ir.OpMul, name, ir.Attrs{}, x, s)
}

// GlobalAvgPool averages each channel to [N,C,1,1].
func (b *Builder) GlobalAvgPool(name string, x *ir.Value) *ir.Value {
	if b.err != nil {
		return x
	}
	return b.node(ir.OpGlobalAveragePool, name, ir.Attrs{}, x)
}

// Flatten reshapes [N,C,1,1] to [N,C].
func (b *Builder) Flatten(name string, x *ir.Value) *ir.Value {
	if b.err != nil {
		return x
	}
	return b.node(ir.OpFlatten, name, ir.Attrs{Axis: 1}, x)
}

// FC adds a fully-connected layer (Gemm, transB, weight [out][in], bias)
// with He fan-in weights scaled by gain.
func (b *Builder) FC(name string, x *ir.Value, out int, gain float64) *ir.Value {
	if b.err != nil {
		return x
	}
	if len(x.Shape) != 2 {
		b.Failf("fc %q: input %q must be 2-D [N, features], got %v (pool first)", name, x.Name, x.Shape)
		return x
	}
	if out <= 0 {
		b.Failf("fc %q: output features %d must be positive", name, out)
		return x
	}
	in := x.Shape[1]
	w := b.constant(name+".weight", normalFill(math.Sqrt(gain/float64(in))), out, in)
	bias := b.constant(name+".bias", uniformFill(-0.1, 0.1), out)
	return b.node(ir.OpGemm, name, ir.GemmAttrs(), x, w, bias)
}

// Dropout adds an inference Dropout (identity).
func (b *Builder) Dropout(name string, x *ir.Value) *ir.Value {
	if b.err != nil {
		return x
	}
	return b.node(ir.OpDropout, name, ir.Attrs{}, x)
}

// Softmax adds a softmax over the class axis.
func (b *Builder) Softmax(name string, x *ir.Value) *ir.Value {
	if b.err != nil {
		return x
	}
	return b.node(ir.OpSoftmax, name, ir.Attrs{Axis: 1}, x)
}

// Finish names v's value outName (when it differs), marks it the graph
// output and verifies the graph.
func (b *Builder) Finish(v *ir.Value, outName string) (*ir.Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	if v.Producer == nil {
		return nil, fmt.Errorf("model %q has no layers", b.G.Name)
	}
	if outName != "" && v.Name != outName {
		v.Name = b.G.UniqueName(outName)
	}
	b.G.SetOutputs(v)
	if b.opts.Weights == ShapesOnly {
		return b.G, nil
	}
	if err := b.G.Verify(); err != nil {
		return nil, fmt.Errorf("model %q: %w", b.G.Name, err)
	}
	return b.G, nil
}
