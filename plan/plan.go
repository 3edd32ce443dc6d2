// Package plan is mnc's executable plan: an ordered list of steps (kernel
// calls) with arena offsets, the packed constant blobs they read, and the
// graph's inputs and outputs. The passes package builds a Plan for one
// kernels.Set; the runtime package executes it. A Plan is plain data: it is
// never mutated after it is built, so many executors may share one.
//
// Encode and Decode give it a versioned binary file format (see format.go).
package plan

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
)

// Kind is the runtime routine a step calls.
type Kind uint8

const (
	KindInvalid       Kind = iota
	KindGemm               // 1×1 conv (rows = pixels) or FC (rows = images): kernels Gemm on packed weights
	KindDWConv             // depthwise conv: kernels DWConv
	KindConv               // dense conv (the stem): kernels Conv with scratch
	KindGlobalAvgPool      // NHWC global average pool: kernels GlobalAvgPool
	KindScaleChannels      // SE channel scale x·s[c]: kernels ScaleChannels (may run in place)
	KindAdd                // same-shape add (+activation): kernels Add
	KindActivate           // standalone activation: kernels Activate
	KindToNHWC             // layout conversion at the graph's input edge
	KindToNCHW             // layout conversion at the graph's output edge
	KindGeneric            // any other IR op, run by the runtime's generic, layout-aware code
	KindBlock              // a fused block (inverted residual, or producer → depthwise) run in bands of rows (Sub, Band)
	KindQGemm              // int8 1×1 conv or FC on bytes: kernels.QGemmU8S8 (u8 in, u8 out)
	KindQuant              // float32 integers → bytes (the end of a float island)
	KindDequant            // bytes → float32 centred integers (the start of a float island)
	KindQDWConv            // int8 depthwise conv on bytes: kernels QDWConv (u8 in, u8 out)
	KindQConv              // int8 dense conv on bytes (the stem): kernels QConv (u8 in, u8 out)
	KindQLUT               // bytes → bytes through a 256-entry table (a quantized unary chain)
	KindQScale             // bytes × a float per (image, channel) → bytes (an SE scale between int8 layers)
	numKinds
)

var kindNames = [numKinds]string{"invalid", "gemm", "dwconv", "conv", "gavgpool", "scale", "add", "act", "to-nhwc", "to-nchw", "generic", "block", "qgemm", "to-u8", "to-f32", "qdwconv", "qconv", "qlut", "qscale"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Operand is a tensor in the arena: Off is in float32 elements, Shape is the
// logical (ONNX, NCHW) shape including the batch, and NHWC says a 4-D tensor
// is stored channels-last. Other ranks are always row-major.
//
// DType says how its elements are stored. A U8 operand holds a quantized
// activation as bytes: the logical (centred) value of an element is
// byte − ZP, and the innermost dimension (C of an NHWC tensor, the last
// one otherwise) is stored with a stride rounded up to a multiple of 4
// (RowStride; the int8 GEMM reads activations in groups of 4 bytes). The
// padding bytes are don't-care: kernels may write anything there and must
// not depend on what they hold. A byte operand still starts at a float
// offset (64-byte aligned like every tensor) and occupies Floats() floats.
//
// Pitch and ChanOff make a 4-D NHWC F32 operand a channel slice of a wider
// tensor (pass concat-in-place: a producer writing straight into its
// Concat's output): Off is then the wider tensor's offset, Pitch its
// channel count (the distance between consecutive pixels), and the slice
// holds its channels ChanOff … ChanOff+C−1, element (pixel p, channel c)
// at Off + ChanOff + p·Pitch + c. Pitch 0 is a dense tensor (ChanOff 0).
// The storage an operand occupies (Floats, End) is the wider tensor's.
type Operand struct {
	Off   int
	Shape ir.Shape
	NHWC  bool
	DType DType
	ZP    int32 // U8: the byte that stands for the centred value 0

	Pitch, ChanOff int // a channel slice of a wider NHWC tensor (format 10)
}

// Sliced reports whether o is a channel slice of a wider tensor.
func (o Operand) Sliced() bool { return o.Pitch != 0 }

// Start is the arena offset of o's first element.
func (o Operand) Start() int { return o.Off + o.ChanOff }

// DType is an operand's storage type.
type DType uint8

const (
	F32 DType = iota // float32
	U8               // uint8, value byte − ZP, innermost stride RowStride
	numDTypes
)

func (d DType) String() string {
	switch d {
	case F32:
		return "f32"
	case U8:
		return "u8"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size is the operand's element count.
func (o Operand) Size() int { return o.Shape.Size() }

// inner is the size of the innermost stored dimension.
func (o Operand) inner() int {
	if len(o.Shape) == 0 {
		return 1
	}
	if o.NHWC && len(o.Shape) == 4 {
		return o.Shape[1]
	}
	return o.Shape[len(o.Shape)-1]
}

// RowStride is the distance in elements between consecutive pixels (NHWC)
// or rows (row-major) of the stored tensor: the innermost dimension,
// rounded up to a multiple of 4 for U8.
func (o Operand) RowStride() int {
	if o.Pitch != 0 {
		return o.Pitch
	}
	c := o.inner()
	if o.DType == U8 {
		return (c + 3) &^ 3
	}
	return c
}

// Bytes is the operand's storage in bytes.
func (o Operand) Bytes() int {
	if o.Pitch != 0 && o.inner() > 0 {
		return 4 * o.Size() / o.inner() * o.Pitch
	}
	if o.DType != U8 {
		return 4 * o.Size()
	}
	c := o.inner()
	if c == 0 {
		return 0
	}
	return o.Size() / c * o.RowStride()
}

// Floats is how many arena floats the operand occupies.
func (o Operand) Floats() int { return (o.Bytes() + 3) / 4 }

// End is one past the operand's last arena element.
func (o Operand) End() int { return o.Off + o.Floats() }

// NoBlob marks an absent constant (a conv without bias).
const NoBlob = -1

// Step is one kernel call over the whole batch. What In and Consts hold
// depends on Kind:
//
//	KindGemm:       In = [A] or [A, R]; Consts = [packed W, bias|NoBlob]; Attrs.Fused
//	KindDWConv:     In = [X];           Consts = [packed W, bias|NoBlob]; Attrs (strides, pads), Fused
//	KindConv:       In = [X] or [X, R]; Consts = [packed W, bias|NoBlob]; Attrs, Fused; Scratch
//	KindGlobalAvgPool, KindToNHWC, KindToNCHW: In = [X]
//	KindScaleChannels: In = [X, S]
//	KindAdd:        In = [A, B]; Attrs.Fused.Act
//	KindActivate:   In = [X];    Attrs.Fused.Act
//	KindGeneric:    In = the op's inputs in IR order; ConstIn[i] is the blob
//	                holding input i when it is a constant (its Off is unused),
//	                else NoBlob; Op and Attrs as in the IR. A BatchNormalization
//	                has In = [X, scale, shift] with scale = γ/√(var+ε) and
//	                shift = β − mean·scale precomputed (y = x·scale + shift),
//	                or the five ONNX inputs when its parameters are computed.
//	KindQGemm:      In = [A] (U8); Out U8; Consts = [PackGemmS8 weights as
//	                bytes, comp int32[n], mult float32[n]] (blobs hold their
//	                bits); Attrs.Fused is the ActRequant epilogue (its Min, Max
//	                are the centred output range); WShape [n, k]
//	KindQDWConv:    In = [X] (U8); Out U8; Consts = [PackQDW blob (bytes)];
//	                Attrs (strides, pads); WShape [C, 1, KH, KW]; Scratch
//	KindQConv:      In = [X] (U8); Out U8; Consts = [PackQConv blob (bytes)];
//	                Attrs (strides, pads); WShape [Cout, Cin, KH, KW]; Scratch
//	KindQLUT:       In = [X] (U8); Out U8 of X's shape and layout; Consts =
//	                [the 256-byte table]; Fused lists the ops it stands for
//	KindQScale:     In = [X (U8, NHWC), S (F32, [N, C, 1, 1])]; Out U8 of X's
//	                shape; Consts = [256 dequantized values t, then ys, zp,
//	                lo, hi]: y = Quantize(t[x]·S[n][c], ys, zp) as bytes q − lo
//	KindQuant:      In = [X] (F32, integers); Out U8 of X's shape and layout
//	KindDequant:    In = [X] (U8); Out F32 of X's shape and layout
//	KindBlock:      In = [X] or [X, R]; Sub = the fused steps, [expand KindGemm,]
//	                KindDWConv, project KindGemm, with their Consts, Attrs and
//	                operand shapes (their offsets are unused: the expanded and
//	                depthwise tensors exist only as per-thread bands of Band
//	                output rows in Scratch); R is the project's residual. Or
//	                Sub = [producer KindGemm or KindConv, KindDWConv] (IsDWBlock,
//	                In = [X]): the output is the depthwise conv's, its input
//	                exists only as bands (block.go).
//
// For conv steps the weight shape (kh, kw, cin/group) is in WShape.
type Step struct {
	Kind      Kind
	Name      string   // the IR node this step computes (its output's name)
	Op        ir.Op    // the IR operator
	Algo      string   // "gemm", "dwconv" or "conv" for convolutions; "" otherwise
	Fused     []string // what was folded into the step: "bn", "relu", "add", "se", ...
	In        []Operand
	ConstIn   []int // KindGeneric: per input, the blob holding it or NoBlob when In[i] is in the arena
	Out       Operand
	Consts    []int
	WShape    ir.Shape // conv/gemm: the unpacked weight's shape ([out, in/g, kh, kw] or [n, k])
	Attrs     ir.Attrs
	Scratch   int  // floats of per-thread scratch this step needs when one thread computes all rows
	InPlace   bool // Out overwrites In[InPlaceIn], which dies at this step
	InPlaceIn int
	Sub       []Step // KindBlock: the steps fused into this one
	Band      int    // KindBlock: output rows computed per band
	// KindBlock: the first BandThreads threads take their Scratch floats
	// of band scratch from the arena at BandOff + tid·Scratch, a range no
	// tensor occupies during the step (memory other steps have just used,
	// so in cache; per-thread scratch allocated apart is cold when the
	// block starts); other threads use their own. 0 threads: none.
	BandOff, BandThreads int
}

// IO is a graph input or output: its name and NCHW shape, and where the
// runtime copies it to or from in the arena (always row-major NCHW).
type IO struct {
	Name string
	Buf  Operand
}

// Plan is a compiled model for one ISA and batch size.
type Plan struct {
	Name      string
	ISA       kernels.ISA
	Batch     int
	ArenaSize int // floats
	Inputs    []IO
	Outputs   []IO
	Steps     []Step
	Blobs     [][]float32 // packed constants, indexed by Step.Consts / ConstIn
	PeakBytes int64       // peak bytes of simultaneously live activations (≤ ArenaSize·4)
	// Packing is the layout the blobs were packed in (kernels.Set.Packing:
	// ISA, tiles, version); the runtime refuses kernels that pack otherwise.
	Packing string

	mapped []byte // the plan file mapped into memory, which Blobs point into (Load)
}

// ScratchFor is the per-thread scratch (floats) a run on nt threads
// allocates: MaxScratch, less the fused blocks whose band scratch the arena
// holds for all nt threads (Step.BandThreads).
func (p *Plan) ScratchFor(nt int) int {
	m := 0
	for i := range p.Steps {
		if s := &p.Steps[i]; s.Scratch > m && !(s.Kind == KindBlock && s.BandThreads >= nt) {
			m = s.Scratch
		}
	}
	return m
}

// MaxScratch is the largest per-thread scratch any step needs.
func (p *Plan) MaxScratch() int {
	m := 0
	for i := range p.Steps {
		if p.Steps[i].Scratch > m {
			m = p.Steps[i].Scratch
		}
	}
	return m
}

// BlockParts is how many row ranges each image of a fused block step
// (KindBlock) with batch images of oh output rows is cut into on nt
// threads: about two per thread over the batch, so that a thread the OS
// deschedules leaves work the others can take, but at least
// BlockMinPartRows output rows each, since every part but the first
// recomputes its top halo rows. The runtime cuts blocks so, and
// fuse-blocks leaves unfused the blocks that would not give every thread
// a part.
func BlockParts(batch, oh, nt int) int {
	if nt <= 1 || batch >= 2*nt {
		return 1
	}
	parts := (2*nt + batch - 1) / batch
	return max(1, min(parts, oh/BlockMinPartRows))
}

// BlockMinPartRows is the fewest output rows a thread's part of a block has.
const BlockMinPartRows = 6
