package passes

import (
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// State is what the pipeline works on: the graph (a private clone of the
// caller's), the decisions passes record about it, and the plan being built.
type State struct {
	G    *ir.Graph
	Set  *kernels.Set
	Opts Options

	// The passes' decisions are in the graph itself, printed by its dump
	// and checked by ir.InferNode after every pass: epilogues
	// (Attrs.Fused, on Conv, Gemm, ConvTranspose and Add), SE channel
	// scales (Attrs.SE on a Mul), lower-conv's algorithm (Attrs.Algo on a
	// Conv or Gemm), choose-layout's storage order (Value.NHWC), and what
	// each node absorbed (Attrs.Folded, the summary's "bn+relu6").

	// Built by emit-steps and consumed by pack-weights and plan-memory.
	Plan  *plan.Plan
	steps []pendingStep
	// spent holds, while pack-weights runs with ReleaseWeights, the
	// constants whose next packing is their last read and whose memory no
	// other constant shares: packing may give their pages back as it goes.
	spent map[*ir.Tensor]bool
	// alias maps a value that is a free view of another (Flatten of
	// [N,C,1,1], Identity, ...) to the value whose storage it shares.
	alias map[*ir.Value]*ir.Value
	// freeTranspose maps a Transpose at a channels-last graph edge to the
	// value whose storage already holds its result (choose-layout).
	freeTranspose map[*ir.Node]*ir.Value
	// edgeIn maps a 4-D graph input to its NHWC copy.
	edgeIn map[*ir.Value]*ir.Value
	// outVals are the values copied to the graph outputs (NCHW), in order.
	outVals []*ir.Value
	report  *Report
	// canonChanged is set by a canonicalisation pass that changed the
	// graph: Compile then runs the Canon passes again (a fixed point).
	canonChanged bool
	// q8 maps the values int8-storage keeps as bytes to their zero point
	// (plan.U8: value = byte − ZP); q8View marks those that are free views
	// of their byte input; q8Float caches a byte value's float copy.
	q8      map[*ir.Value]int32
	q8View  map[*ir.Value]bool
	q8Float map[*ir.Value]*ir.Value
	// q8Packed caches int8Conv's blobs.
	q8Packed map[q8Key][][]float32
	// luts are the quantized unary chains run as byte tables, by their
	// QuantizeLinear; lutSkip marks the chain nodes they absorb.
	luts    map[*ir.Node]*qlut
	lutSkip map[*ir.Node]bool
	// slices maps a value concat-in-place has its producer write into its
	// Concat's output (alias maps it to that output) to its first channel
	// there.
	slices map[*ir.Value]int
	// sliceViews maps a Slice output slice-in-place made a channel slice
	// of its input (alias and slices say where) to its readers' count.
	sliceViews map[*ir.Value]int
	// fusedBytes sums the tensors fuse-blocks keeps out of the arena (they
	// still count as intermediates in the report).
	fusedBytes int64
}

// pendingStep is a plan step whose operands are still IR values: offsets
// come from plan-memory, constants from pack-weights.
type pendingStep struct {
	in     []*ir.Value // arena (or, for generic steps, constant) inputs
	out    *ir.Value
	consts []*ir.Value // weights, bias for conv/gemm steps (nil entries for none)
	// pack says how pack-weights turns consts into blobs.
	pack packKind
	// precomputed holds blobs computed by emit (BatchNorm scale and shift)
	// that replace constant inputs of generic steps.
	precomputed map[int][]float32
	// inPlace lists the inputs the kernel allows Out to overwrite.
	inPlace []int
	// qconsts are a KindQGemm's blobs, made by emit (packQGemm).
	qconsts [][]float32
}

type packKind uint8

const (
	packNone packKind = iota
	packGemmConv
	packGemmFC
	packDW
	packConv
	packQGemm
)

// fuse records that n absorbed what (Attrs.Folded, for dumps and the plan
// summary).
func (s *State) fuse(n *ir.Node, what string) {
	n.Attrs.Folded = append(n.Attrs.Folded, what)
}

// root follows aliases to the value that owns the storage.
func (s *State) root(v *ir.Value) *ir.Value {
	for {
		r, ok := s.alias[v]
		if !ok {
			return v
		}
		v = r
	}
}
