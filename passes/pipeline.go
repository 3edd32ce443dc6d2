// Package passes is mnc's compiler proper: a fixed pipeline of passes (one
// table, like the Go compiler's SSA pass list) that rewrites an ir.Graph —
// canonicalising, folding BatchNorm, fusing activations, residual adds and
// squeeze-and-excitation — and then builds a plan.Plan for one kernels.Set:
// choosing a conv algorithm, the layout, packing weights and assigning
// arena memory. Compile is the entry point.
package passes

import (
	"fmt"
	"strings"

	"github.com/mnc-go/mnc/ir"
)

// Pass is one entry of the pipeline. Required passes run at every level and
// cannot be disabled: without them there is no plan. Optional passes run at
// -O2 only and are what -O0 (the unfused baseline) leaves out.
type Pass struct {
	Name     string
	Fn       func(*State) error
	Required bool
	Doc      string
	// Needs lists the ops a graph pass rewrites: when the graph has none of
	// them the pass is skipped without building its consumer maps (one
	// linear scan instead of a map per pass: large graphs compile faster).
	Needs []ir.Op
	// Canon marks a canonicalisation pass: it rewrites an exporter's
	// spelling into the form the other passes match, without choosing
	// anything for speed. The Canon passes come first in the table and
	// run as a group to a fixed point (Compile repeats the group while
	// one of them changes the graph; Canonicalize runs the group alone).
	// An optional one is off at -O0, which then compiles the graph as
	// imported; a Required one is what some graphs need to run at all.
	Canon bool
}

// pipeline is the whole compiler, in order. Graph passes come first; from
// lower-conv on, the entries build the plan in State.Plan.
var pipeline = [...]Pass{
	{Name: "canonicalize", Fn: canonicalize, Canon: true, Doc: "drop Identity and Dropout", Needs: []ir.Op{ir.OpIdentity, ir.OpDropout}},
	{Name: "canon-activations", Fn: canonActivations, Canon: true, Doc: "exporter spellings become one op: Clip/Relu chains one Clip (ReLU6), Clip(x+3,0,6)/6 HardSigmoid, x·HardSigmoid(x) and (x·Clip(x+3,0,6))/6 HardSwish, x·Sigmoid(x) Swish", Needs: []ir.Op{ir.OpRelu, ir.OpClip, ir.OpMul, ir.OpDiv}},
	{Name: "sink-transposes", Fn: sinkTransposes, Canon: true, Doc: "NHWC exporters' Transposes sunk below layout-free ops (hoisted above an input's preprocessing), composed and cancelled; one moving only size-1 axes becomes a Reshape", Needs: []ir.Op{ir.OpTranspose}},
	{Name: "merge-reshapes", Fn: mergeReshapes, Canon: true, Doc: "chains of Reshape/Flatten (Squeeze, Unsqueeze) become one Reshape; one keeping the shape vanishes", Needs: []ir.Op{ir.OpReshape, ir.OpFlatten}},
	{Name: "fuse-qdq", Fn: fuseQDQ, Doc: "QDQ groups around Conv/Gemm/Add/GlobalAveragePool/Flatten become integer QLinear ops (ONNX Runtime's integer pipeline)", Needs: []ir.Op{ir.OpQuantizeLinear}},
	{Name: "lower-qlinear", Fn: lowerQLinear, Doc: "centred quantized activations; QLinearConv/QGemm run as exact float Conv/Gemm + Requantize when max|x|·Σ|w| < 2^24", Needs: []ir.Op{ir.OpQuantizeLinear, ir.OpQLinearConv, ir.OpQLinearAdd, ir.OpQLinearGlobalAveragePool, ir.OpQGemm}},
	{Name: "fold-constants", Fn: foldConstants, Doc: "evaluate nodes whose inputs are all constant"},
	{Name: "global-pool", Fn: rewriteGlobalPool, Doc: "ReduceMean over H,W and whole-map AveragePool become GlobalAveragePool"},
	{Name: "matmul-to-gemm", Fn: matmulToGemm, Doc: "MatMul by a constant matrix (+ constant bias Add) becomes one Gemm", Needs: []ir.Op{ir.OpMatMul}},
	{Name: "fold-pad", Fn: foldPad, Doc: "fold a zero Pad of H,W into the pads of the Conv reading it", Needs: []ir.Op{ir.OpPad}},
	{Name: "fold-bn", Fn: foldBN, Doc: "fold BatchNorm into the preceding Conv or Gemm", Needs: []ir.Op{ir.OpBatchNorm}},
	{Name: "fold-bn-gemm", Fn: foldBNIntoGemm, Doc: "fold a BatchNorm on a Gemm's input (BatchNorm1d before a classifier) into the Gemm", Needs: []ir.Op{ir.OpBatchNorm}},
	{Name: "fold-affine", Fn: foldAffine, Doc: "fold per-channel Mul/Div/Add/Sub constants after a Conv into its weights and bias"},
	{Name: "fold-bn-late", Fn: foldBNLate, Doc: "fold a BatchNorm whose conv fold-affine just gave a bias (ConvTranspose → Add bias → BatchNorm, as Paddle exports); off with fold-bn", Needs: []ir.Op{ir.OpBatchNorm}},
	{Name: "fuse-add", Fn: fuseAdd, Doc: "fuse a residual Add into the epilogue of the conv producing one operand"},
	{Name: "fuse-upsample-add", Fn: fuseUpsampleAdd, Doc: "an Add of a Resize (read by nothing else) and a same-shape tensor becomes the Resize's residual: one pass over memory (FPN top-down path)", Needs: []ir.Op{ir.OpResize}},
	{Name: "fuse-resize-argmax", Fn: fuseResizeArgMax, Doc: "an ArgMax over the channels of a Resize (read by it alone) computes the class of each resized pixel: the full-resolution scores are never stored (segmenters)", Needs: []ir.Op{ir.OpArgMax}},
	{Name: "fuse-activation", Fn: fuseActivation, Doc: "fuse Relu/Clip/HardSwish/HardSigmoid/Sigmoid/Swish into the producing Conv/Gemm"},
	{Name: "fuse-requant", Fn: fuseRequant, Doc: "fuse lower-qlinear's Requantize into the producing Conv/Gemm epilogue (per-channel multiplier, round half to even, integer clamp)", Needs: []ir.Op{ir.OpRequantize}},
	{Name: "fuse-se", Fn: fuseSE, Doc: "recognise squeeze-and-excitation chains: pooled vector, two FCs, in-place channel scale"},
	{Name: "quant-scalars", Fn: quantScalars, Required: true, Doc: "scalar quantization parameters become [1] tensors (plan operands have rank ≥ 1)"},
	{Name: "lower-conv", Fn: lowerConv, Required: true, Doc: "choose gemm / dwconv / conv / generic for each Conv and Gemm"},
	{Name: "choose-layout", Fn: chooseLayout, Required: true, Doc: "NHWC activations inside, NCHW at the graph edges; channels-last edge Transposes become free views"},
	{Name: "int8-storage", Fn: int8Storage, Doc: "quantized activations stored as bytes; 1×1 convs and FCs on them run as int8 GEMMs (VNNI), float islands around the rest"},
	{Name: "emit-steps", Fn: emitSteps, Required: true, Doc: "one plan step per remaining node, conversions at the edges"},
	{Name: "pack-weights", Fn: packWeights, Required: true, Doc: "pack constants once for the target kernel set"},
	{Name: "fuse-blocks", Fn: fuseBlocks, Doc: "run expand 1×1 → depthwise → project 1×1 (+residual) as one step in bands of rows: the expanded tensor never exists in full"},
	{Name: "fuse-se-blocks", Fn: fuseSEBlocks, Doc: "fuse-blocks for MobileNetV3's squeeze-and-excitation blocks (expand → depthwise → pool → fc1 → fc2 → scale → project): the depthwise output of an image kept in scratch, the scale folded into the project's weights; off with fuse-blocks"},
	{Name: "concat-in-place", Fn: concatInPlace, Doc: "producers of a channel Concat on NHWC (1×1-conv GEMMs, Resizes) read by it alone write straight into their channels of its output (a strided operand) instead of a buffer it copies"},
	{Name: "slice-in-place", Fn: sliceInPlace, Doc: "a Slice (or Split output) of a contiguous channel range of an NHWC tensor is no step when its readers address strided operands (1×1-conv GEMMs as A, float generic steps): they read the channels where they lie", Needs: []ir.Op{ir.OpSlice}},
	{Name: "plan-memory", Fn: planMemory, Required: true, Doc: "liveness-based arena offsets, in place where legal"},
}

// passOrder lists constraints between passes: a must come before b.
var passOrder = [...]struct{ a, b string }{
	// fuse-qdq reads the DequantizeLinear of constant weights before it is folded.
	{"fuse-qdq", "fold-constants"},
	{"fuse-qdq", "lower-qlinear"},
	{"lower-qlinear", "fold-bn"},
	{"lower-qlinear", "fuse-requant"},
	{"quant-scalars", "lower-conv"},
	// fold-bn must see the bare conv: fusions after it check for an empty epilogue.
	{"fold-bn", "fuse-add"},
	{"fold-bn", "fuse-activation"},
	// an Add fuses only into a conv without activation; the activation after the Add fuses next.
	{"fuse-add", "fuse-activation"},
	// SE matching looks for convs that already carry their activations.
	{"fuse-activation", "fuse-se"},
	{"canonicalize", "fold-bn"},
	// the exporter rewrites see folded constants and feed the fusions.
	{"fold-constants", "global-pool"},
	{"fold-constants", "matmul-to-gemm"},
	{"fold-constants", "fold-pad"},
	{"fold-constants", "fold-affine"},
	// SE matching needs the GlobalAveragePool.
	{"global-pool", "fuse-se"},
	// a BatchNorm after a MatMul folds once it is a Gemm.
	{"matmul-to-gemm", "fold-bn"},
	{"fold-pad", "lower-conv"},
	// BN then an affine, both fold; the affine needs a bare conv, like fold-bn.
	{"fold-bn", "fold-affine"},
	{"fold-affine", "fuse-add"},
	{"fold-affine", "fold-bn-late"},
	{"fold-bn-late", "fuse-add"},
	{"fold-bn-late", "fuse-activation"},
	// a plain Add left by fuse-add; before fuse-activation gives it an activation.
	{"fuse-add", "fuse-upsample-add"},
	{"fuse-upsample-add", "fuse-activation"},
	// a Resize that took an Add's residual is not fused into an ArgMax.
	{"fuse-upsample-add", "fuse-resize-argmax"},
	{"fuse-resize-argmax", "lower-conv"},
	{"fold-affine", "fuse-activation"},
	// the Gemm must be bare (no residual or activation yet), and a MatMul already a Gemm.
	{"matmul-to-gemm", "fold-bn-gemm"},
	{"fold-bn-gemm", "fuse-add"},
	{"fold-bn-gemm", "fuse-activation"},
	{"fold-constants", "fold-bn"},
	{"fuse-se", "lower-conv"},
	{"lower-conv", "choose-layout"},
	{"choose-layout", "emit-steps"},
	{"choose-layout", "int8-storage"},
	{"fuse-requant", "int8-storage"},
	{"int8-storage", "emit-steps"},
	{"emit-steps", "pack-weights"},
	{"emit-steps", "plan-memory"},
	// blocks take the packed constants of the steps they fuse, and their
	// intermediates must not get arena space.
	{"pack-weights", "fuse-blocks"},
	{"fuse-blocks", "plan-memory"},
	{"fuse-blocks", "fuse-se-blocks"},
	{"pack-weights", "fuse-se-blocks"},
	{"fuse-se-blocks", "plan-memory"},
	{"fuse-se-blocks", "concat-in-place"},
	// slices of a Concat are writers' outputs as emitted (not fused into
	// blocks); plan-memory places them.
	{"fuse-blocks", "concat-in-place"},
	{"concat-in-place", "plan-memory"},
	// a Slice's readers are final steps (blocks fused, Concat slices
	// known); plan-memory keeps the sliced tensor live for them.
	{"concat-in-place", "slice-in-place"},
	{"slice-in-place", "plan-memory"},
}

func init() {
	index := map[string]int{}
	for i, p := range pipeline {
		if p.Canon && i > 0 && !pipeline[i-1].Canon {
			panic(fmt.Sprintf("passes: canonicalisation pass %q after a non-canonicalisation one (the group must be first)", p.Name))
		}
		if _, dup := index[p.Name]; dup {
			panic(fmt.Sprintf("passes: pass %q listed twice", p.Name))
		}
		index[p.Name] = i
	}
	for _, c := range passOrder {
		i, ok1 := index[c.a]
		j, ok2 := index[c.b]
		if !ok1 || !ok2 {
			panic(fmt.Sprintf("passes: order constraint names unknown pass %q or %q", c.a, c.b))
		}
		if i >= j {
			panic(fmt.Sprintf("passes: passes %s and %s out of order", c.a, c.b))
		}
	}
}

// Names lists every pass in pipeline order.
func Names() []string {
	n := make([]string, len(pipeline))
	for i, p := range pipeline {
		n[i] = p.Name
	}
	return n
}

// Pipeline returns a copy of the pass table (for listings and tests).
func Pipeline() []Pass { return append([]Pass(nil), pipeline[:]...) }

func lookup(name string) (*Pass, error) {
	for i := range pipeline {
		if pipeline[i].Name == name {
			return &pipeline[i], nil
		}
	}
	return nil, fmt.Errorf("unknown pass %q (valid: %s)", name, strings.Join(Names(), ", "))
}
