package ir

import (
	"fmt"
	"math"
	"strings"
)

// Op is an operator kind.
type Op uint8

// The operators of the IR. Their semantics follow ONNX's operators of the
// same name (NCHW activations) unless said otherwise.
//
// The numbers are part of the plan file format (plan/codec.go writes them):
// they are explicit and never reused. New ops take the next free number in
// their group: 0–39 core float ops, 40–59 dense prediction (Resize,
// ConvTranspose, Slice, Split, ArgMax…), 60–99 dynamic/detection ops (TopK,
// NonZero, NonMaxSuppression, Gather…), 100–139 quantized ops, 140–159 more
// activations (LeakyRelu, PRelu…).
const (
	OpInvalid           Op = 0
	OpConv              Op = 1   // inputs X, W [, B [, R]]: 2-D convolution (groups cover depthwise); R is a fused residual (Attrs.Fused.Residual)
	OpBatchNorm         Op = 2   // inputs X, scale, bias, mean, var (inference form)
	OpRelu              Op = 3   // max(x, 0)
	OpClip              Op = 4   // min(max(x, Attrs.Min), Attrs.Max); ReLU6 is Clip(0, 6)
	OpHardSwish         Op = 5   // x·relu6(x+3)/6
	OpHardSigmoid       Op = 6   // max(0, min(1, Alpha·x + Beta))
	OpSigmoid           Op = 7   // 1/(1+e^-x)
	OpSwish             Op = 8   // x·sigmoid(x)
	OpAdd               Op = 9   // A + B, numpy broadcasting
	OpSub               Op = 10  // A - B, numpy broadcasting
	OpMul               Op = 11  // A · B, numpy broadcasting (the SE channel scale)
	OpDiv               Op = 12  // A / B, numpy broadcasting
	OpGlobalAveragePool Op = 13  // mean over every axis after the second
	OpAveragePool       Op = 14  // Kernel, Strides, Pads, CeilMode, CountIncludePad
	OpMaxPool           Op = 15  // Kernel, Strides, Pads, Dilations, CeilMode
	OpGemm              Op = 16  // inputs A, B [, C [, R]]: Alpha·op(A)·op(B) + Beta·C (+R fused)
	OpMatMul            Op = 17  // numpy matmul on the last two axes
	OpFlatten           Op = 18  // to 2-D at Axis
	OpReshape           Op = 19  // to Attrs.Shape (0 copies a dimension, -1 is inferred)
	OpTranspose         Op = 20  // Attrs.Perm
	OpSoftmax           Op = 21  // along Axis
	OpConcat            Op = 22  // along Axis
	OpPad               Op = 23  // Attrs.PadAmounts (ONNX order: all begins, then all ends), PadMode, PadValue
	OpReduceMean        Op = 24  // over Attrs.Axes, KeepDims
	OpIdentity          Op = 25  // y = x
	OpDropout           Op = 26  // inference: y = x
	OpResize            Op = 40  // 4-D NCHW, H and W only: ResizeMode, CoordMode, NearestMode, ResizeScales, ResizeSizes (ir/resize.go)
	OpConvTranspose     Op = 41  // inputs X, W [C, M/group, kh, kw] [, B]: Strides, Pads (may be negative), Dilations, Group, OutputPadding
	OpArgMax            Op = 42  // index of the largest value along Axis (KeepDims, SelectLastIndex) as float32 integers (ir/argmax.go)
	OpSlice             Op = 43  // Axes, Starts, Ends, Steps as ONNX gives them (ir/slice.go); ONNX Slice and each output of Split
	OpLeakyRelu         Op = 140 // x < 0 ? Alpha·x : x (ir/ops_act.go)
	OpPRelu             Op = 141 // inputs X, slope (broadcast to X): x < 0 ? slope·x : x
	numOps                 = 256 // Op is a byte; opTable (ir/optable.go) is indexed by value
)

// Act is an elementwise activation applied in a fused epilogue.
type Act uint8

const (
	ActNone        Act = iota
	ActRelu            // max(x, 0)
	ActClip            // min(max(x, Min), Max)
	ActHardSwish       // x·min(max(x+3, 0), 6)/6
	ActHardSigmoid     // min(max(Alpha·x+Beta, 0), 1)
	ActSigmoid         // 1/(1+e^-x)
	ActSwish           // x·sigmoid(x)
	ActLeakyRelu       // x < 0 ? Alpha·x : x
	ActPRelu           // x < 0 ? slope[c]·x : x, one slope per channel (Epilogue.Slope)
	// ActRequant requantizes an exact integer sum to a centred quantized
	// value (ir/quant.go): min(max(roundEven(float32(x)·m[c]), Min), Max)
	// with m = Epilogue.Slope (one multiplier per output channel) and
	// Min, Max the type's range minus the zero point; NaN gives 0 (the
	// zero point). It is OpRequantize fused into the producing Conv/Gemm.
	ActRequant
	// A new activation takes the next number here (numbers are plan file
	// codes: append only, below maxActs) and registers everything else
	// with its op (RegisterOp: OpInfo.Act and OpInfo.ActFn, its
	// definition); its name is its op's, in lower case.
)

// maxActs bounds the Act numbers RegisterOp accepts.
const maxActs = 64

var actNames = [...]string{"none", "relu", "clip", "hardswish", "hardsigmoid", "sigmoid", "swish", "leakyrelu", "prelu", "requant"}

// actLabels are the short names plan summaries give fused activations.
var actLabels = [...]string{"none", "relu", "clip", "hswish", "hsigmoid", "sigmoid", "swish", "leakyrelu", "prelu", "requant"}

// Label is the activation's short name in plan summaries ("relu6" for
// Clip(0, 6)).
func (e *Epilogue) Label() string {
	if e.Act == ActClip && e.Min == 0 && e.Max == 6 {
		return "relu6"
	}
	if int(e.Act) < len(actLabels) {
		return actLabels[e.Act]
	}
	return e.Act.String()
}

func (a Act) String() string {
	if int(a) < len(actNames) {
		return actNames[a]
	}
	if op := ActOp(a); op != OpInvalid {
		return strings.ToLower(op.String())
	}
	return fmt.Sprintf("Act(%d)", uint8(a))
}

// Epilogue is what a Conv or Gemm does to each output element after the
// multiply-adds, in this order: add bias, add the residual input (when
// Residual), apply Act. The passes fill it in; frontends leave it zero.
type Epilogue struct {
	Act         Act
	Min, Max    float32 // ActClip bounds
	Alpha, Beta float32 // ActHardSigmoid slope and offset; ActLeakyRelu's slope
	Residual    bool    // the node's last input is added before Act
	// Slope holds ActPRelu's slopes, one per output channel (axis 1 of the
	// output, NCHW for Conv, the column for Gemm), in any shape with that
	// many elements (the fused PRelu's own slope constant).
	Slope *Tensor
}

// Apply computes the activation on one value. It is the semantic definition
// every kernel must match. NaN propagates through every activation. PRelu
// needs the channel: use ApplyC.
func (e *Epilogue) Apply(x float32) float32 { return ApplyAct(e.Act, x, e.Min, e.Max, e.Alpha, e.Beta) }

// ApplyC is Apply for a value of output channel c (PRelu reads Slope[c]).
func (e *Epilogue) ApplyC(x float32, c int) float32 {
	if e.Act == ActPRelu || e.Act == ActRequant {
		return ApplyAct(e.Act, x, e.Min, e.Max, e.Slope.Data[c], e.Beta)
	}
	return ApplyAct(e.Act, x, e.Min, e.Max, e.Alpha, e.Beta)
}

// ApplyAct evaluates activation a on x; NaN in gives NaN out. alpha is
// also LeakyRelu's slope and PRelu's slope for x's channel.
func ApplyAct(a Act, x, lo, hi, alpha, beta float32) float32 {
	if a == ActRequant {
		return requantAct(x, alpha, lo, hi)
	}
	if x != x {
		return x
	}
	switch a {
	case ActRelu:
		if x < 0 {
			return 0
		}
		return x
	case ActClip:
		if x < lo {
			x = lo
		}
		if x > hi {
			x = hi
		}
		return x
	case ActHardSwish:
		t := x + 3
		if t < 0 {
			t = 0
		}
		if t > 6 {
			t = 6
		}
		return x * t / 6
	case ActHardSigmoid:
		t := alpha*x + beta
		if t < 0 {
			t = 0
		}
		if t > 1 {
			t = 1
		}
		return t
	case ActSigmoid:
		return float32(1 / (1 + math.Exp(-float64(x))))
	case ActSwish:
		return x * float32(1/(1+math.Exp(-float64(x))))
	case ActLeakyRelu, ActPRelu:
		if x < 0 {
			return alpha * x
		}
		return x
	}
	if int(a) < len(actFns) && actFns[a] != nil {
		return actFns[a](x, alpha, beta)
	}
	return x
}

// Attrs holds every operator's attributes; each op reads the fields its
// comment in the Op list names. A flat struct keeps passes and the plan
// format simple: there are few ops and few attributes.
type Attrs struct {
	Kernel          [2]int // pools: kh, kw (Conv takes it from W)
	Strides         [2]int // Conv, pools
	Pads            [4]int // Conv, pools: top, left, bottom, right
	Dilations       [2]int // Conv, MaxPool
	Group           int    // Conv
	CeilMode        bool   // pools
	CountIncludePad bool   // AveragePool

	Epsilon     float32 // BatchNorm
	Min, Max    float32 // Clip
	Alpha, Beta float32 // HardSigmoid, Gemm
	TransA      bool    // Gemm
	TransB      bool    // Gemm

	Axis       int     // Flatten, Softmax, Concat
	Shape      []int   // Reshape target
	Perm       []int   // Transpose
	Axes       []int   // ReduceMean, Slice
	KeepDims   bool    // ReduceMean
	PadAmounts []int   // Pad
	PadValue   float32 // Pad
	PadMode    string  // Pad: "constant", "reflect" or "edge"

	Fused Epilogue // Conv, Gemm, ConvTranspose (Add: an activation only): set by the fusion passes

	QType QType // quantized ops (ir/quant.go): the output's integer type

	// Resize (see ir/resize.go for their meaning).
	ResizeMode   string     // "nearest" or "linear"
	CoordMode    string     // coordinate_transformation_mode
	NearestMode  string     // nearest_mode
	ResizeScales [2]float32 // H, W scale factors; 0: output/input (sizes given)
	ResizeSizes  [2]int     // H, W output sizes; 0: floor(input·scale)

	OutputPadding [2]int // ConvTranspose

	// SE marks a Mul that fuse-se recognised as a squeeze-and-excitation
	// channel scale x·s, s = [N,C,1,1] computed from x's pooled vector
	// (the plan scales x in place when x dies there). A compiler decision:
	// InferNode checks it, plans do not store it.
	SE bool

	// SelectLastIndex: ArgMax's ties go to the last index (else the first).
	SelectLastIndex bool

	// Algo is how a Conv or Gemm runs, lower-conv's choice (one of Algos
	// for its op; "" before lower-conv). A compiler decision: InferNode
	// checks it, the dump prints it; plan steps carry it as Step.Algo.
	Algo string

	// Folded names what the passes folded into this node, in order ("bn",
	// "relu6", "add", "se"...): documentation for dumps and plan summaries
	// (a plan step's Fused), with no effect on what the node computes.
	Folded []string

	// Slice: per axis of Axes, the first index, the bound and the step
	// (as ONNX gives them, see ir/slice.go).
	Starts, Ends, Steps []int
}

// Algos are the algorithms lower-conv chooses from, per op:
//
//	"gemm"    a 1×1 stride-1 unpadded group-1 Conv as a GEMM on the NHWC
//	          activation; a Gemm with constant weights
//	"dwconv"  a depthwise Conv (group = Cin = Cout, dilation 1, no residual)
//	"conv"    any other group-1 Conv (the kernels' dense conv)
//	"generic" the rest: the runtime's generic code
var Algos = map[Op][]string{OpConv: {"gemm", "dwconv", "conv", "generic"}, OpGemm: {"gemm", "generic"}}

// ConvAttrs returns the usual attributes of a convolution with a k×k kernel,
// the given stride and symmetric padding, and groups.
func ConvAttrs(stride, pad, group int) Attrs {
	return Attrs{Strides: [2]int{stride, stride}, Pads: [4]int{pad, pad, pad, pad}, Dilations: [2]int{1, 1}, Group: group}
}

// ClipAttrs returns Clip's attributes for [lo, hi].
func ClipAttrs(lo, hi float32) Attrs { return Attrs{Min: lo, Max: hi} }

// Relu6Attrs returns Clip's attributes for ReLU6.
func Relu6Attrs() Attrs { return ClipAttrs(0, 6) }

// HardSigmoidAttrs returns the attributes of PyTorch's h-sigmoid, relu6(x+3)/6.
func HardSigmoidAttrs() Attrs { return Attrs{Alpha: 1.0 / 6, Beta: 0.5} }

// GemmAttrs returns Gemm's attributes for a fully-connected layer with W
// stored [out][in] (ONNX transB=1, as PyTorch exports).
func GemmAttrs() Attrs { return Attrs{Alpha: 1, Beta: 1, TransB: true} }
