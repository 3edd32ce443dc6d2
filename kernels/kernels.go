// Package kernels is mnc's table of compute kernels: one Set per instruction
// set (pure Go everywhere; AVX2+FMA and AVX-512 on amd64; NEON on arm64),
// each holding the same functions. Plans pack their weights for one Set and
// call only its functions, so a kernel family is added by filling its fields
// in every Set (see the fill* functions, one file per family and arch).
//
// All activations are NHWC float32 of one image (the runtime loops over the
// batch). Every kernel applies its Epilogue the way ir.ApplyAct defines it,
// NaN propagating.
package kernels

import (
	"fmt"
	"strings"

	"github.com/mnc-go/mnc/ir"
)

// ISA names an instruction set a Set is written for.
type ISA uint8

const (
	Generic ISA = iota // pure Go, every machine
	AVX2               // AVX2 + FMA3 (amd64)
	AVX512             // AVX-512 F (+DQ/BW/VL as the kernels' Requires say) (amd64)
	NEON               // ASIMD (arm64)
	numISA
)

var isaNames = [numISA]string{"generic", "avx2", "avx512", "neon"}

func (i ISA) String() string {
	if i < numISA {
		return isaNames[i]
	}
	return fmt.Sprintf("ISA(%d)", uint8(i))
}

// ParseISA maps "generic", "avx2", "avx512" or "neon" to an ISA.
func ParseISA(s string) (ISA, error) {
	for i, n := range isaNames {
		if strings.EqualFold(s, n) {
			return ISA(i), nil
		}
	}
	return 0, fmt.Errorf("unknown ISA %q (want one of %s)", s, strings.Join(isaNames[:], ", "))
}

// Act is the activation of an epilogue: ir.Act itself, so an activation
// registered in ir (ir.RegisterOp with Act set) reaches the kernels with
// no change here; one that no epilogue mode computes is applied in Go
// after the tile (actSliceAt, ir.ApplyAct).
type Act = ir.Act

// The activations the kernels name (the epilogue modes, actSliceAt).
const (
	ActNone        = ir.ActNone
	ActRelu        = ir.ActRelu
	ActClip        = ir.ActClip
	ActHardSwish   = ir.ActHardSwish
	ActHardSigmoid = ir.ActHardSigmoid
	ActSigmoid     = ir.ActSigmoid
	ActSwish       = ir.ActSwish
	ActLeakyRelu   = ir.ActLeakyRelu
	ActPRelu       = ir.ActPRelu
	ActRequant     = ir.ActRequant // min(max(roundEven(x·Slope[c]), Min), Max)
)

// Epilogue is applied to every output element: y = Act(acc + bias (+ residual)).
// The generated kernels receive it as an EpParams block (epilogue.go).
type Epilogue struct {
	Act         Act
	Min, Max    float32   // ActClip
	Alpha, Beta float32   // ActHardSigmoid; Alpha is ActLeakyRelu's slope
	Slope       []float32 // ActPRelu, ActRequant: one slope (multiplier) per output channel (the NHWC last axis)
}

// DWParams describes a depthwise convolution (one k×k filter per channel,
// dilation 1) on an NHWC image.
type DWParams struct {
	H, W, C    int // input
	KH, KW     int
	SH, SW     int
	PadT, PadL int // bottom/right padding is implied by OH, OW
	OH, OW     int
	Ep         Epilogue
	// InPitch is the distance in floats between consecutive input pixels
	// (0: C; else at least C): a fused block's band of depthwise input in
	// scratch is stored at a pitch chosen so that the rows kernel's
	// window does not alias in L1 (Set.DWBandPitch). The output is dense.
	InPitch int
}

// Pitch is the distance in floats between consecutive input pixels.
func (p *DWParams) Pitch() int {
	if p.InPitch > 0 {
		return p.InPitch
	}
	return p.C
}

// ConvParams describes a dense (group 1) convolution on an NHWC image, such
// as the stem.
type ConvParams struct {
	H, W, Cin, Cout int
	KH, KW          int
	SH, SW          int
	DH, DW          int // dilations
	PadT, PadL      int
	OH, OW          int
	Ep              Epilogue
}

// Set is the kernel table of one ISA. Slices passed to kernels must be long
// enough for what the parameters describe; kernels do not allocate.
type Set struct {
	ISA ISA

	// NR is the GEMM panel width: weights are packed in panels of NR output
	// channels, and column ranges handed to Gemm start at multiples of NR.
	NR int
	// RowQuantum is the height of the micro-tile Gemm runs full panels
	// with: callers that split rows between threads cut at multiples of it,
	// so that no block but the last ends in a ragged tile.
	RowQuantum int
	// RowMultiple is a row count that ends on whole tiles of every kernel
	// Gemm dispatches to (a multiple of RowQuantum; the generators'
	// inventories give it): row blocks of its multiples leave no ragged
	// tile but the last.
	RowMultiple int
	// PackedGemmSize is the length of PackGemm's output for n outputs, k inputs.
	PackedGemmSize func(n, k int) int
	// PackGemm packs w, stored [n][k] (conv OIHW with 1×1 kernels, or FC
	// weights [out][in]), for Gemm. dst has PackedGemmSize(n, k) elements.
	PackGemm func(dst, w []float32, n, k int)
	// Gemm computes, for rows [0, m) and columns [n0, n1) of C:
	//   C[i][j] = Act(sum_p A[i][p]·W[j][p] + bias[j] (+ R[i][j] when r != nil))
	// A is m×k with row stride lda, C and R have row strides ldc, ldr; n is
	// the total column count packed in bp; bias has n entries (nil for none).
	// n0 is a multiple of NR; n1 ≤ n.
	Gemm func(m, n, k int, a []float32, lda int, bp, bias, r []float32, ldr int, c []float32, ldc int, n0, n1 int, ep *Epilogue)

	// DW: weights w [C][KH][KW] (OIHW with I=1) are packed by PackDW, with
	// PackedDWSize(c, kh, kw) elements. DWConv computes output rows [oy0, oy1)
	// of out (OH×OW×C) from in (H×W×C).
	PackedDWSize func(c, kh, kw int) int
	PackDW       func(dst, w []float32, c, kh, kw int)
	DWConv       func(p *DWParams, in, wp, bias, out []float32, oy0, oy1 int)
	// DWConvChannels is DWConv for channels [c0, c1) only (c0 a multiple of
	// DWChannelQuantum, c1 ≤ C), so that threads can split a small map by
	// channels; nil where no kernel takes a channel range (arm64).
	DWConvChannels func(p *DWParams, in, wp, bias, out []float32, oy0, oy1, c0, c1 int)
	// DWConvBand is DWConv for an input small enough to stay in L2 (a
	// fused block's band) and an out that does not overlap in: where there
	// is a kernel for it, it computes one block of channels for all rows
	// before the next block, so the rows it slides over stay in L1.
	DWConvBand func(p *DWParams, in, wp, bias, out []float32, oy0, oy1 int)
	// DWBandPitch is the input pitch (DWParams.InPitch) DWConvBand runs
	// fastest at for p's shape, at least p.C; nil: p.C. Every depthwise
	// kernel but NEON's takes any pitch.
	DWBandPitch func(p *DWParams) int

	// Conv: a dense conv on NHWC (the stem, any kernel/stride/dilation).
	// Weights [Cout][Cin][KH][KW] are packed by PackConv; scratch has
	// ConvScratchSize(p, oy1-oy0) elements; r (nil for none) is a residual
	// shaped like out. Computes output rows [oy0, oy1).
	PackedConvSize  func(p *ConvParams) int
	PackConv        func(dst, w []float32, p *ConvParams)
	ConvScratchSize func(p *ConvParams, rows int) int
	Conv            func(p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int)

	// QDW: int8 depthwise conv on u8 NHWC bytes (qdw.go): PackQDW packs
	// centred int8-range weights [C][KH][KW], an int32 bias (nil for none)
	// and per-channel multipliers into PackedQDWSize bytes, or returns an
	// error (weights outside int8, a non-finite multiplier, a bias that
	// could overflow int32): the caller then keeps the float path.
	// QDWConv computes output rows [oy0, oy1) with QDWScratchSize(p) bytes
	// of scratch (per concurrent call).
	PackedQDWSize  func(c, kh, kw int) int
	PackQDW        func(dst []byte, w, bias []int32, mult []float32, xzp int32, c, kh, kw int) error
	QDWScratchSize func(p *QDWParams) int
	QDWConv        func(p *QDWParams, in, wp, out, scratch []byte, oy0, oy1 int)

	// QConv: int8 dense conv on u8 NHWC bytes (qconv.go; the stem): the
	// same contract as QDW with weights [Cout][Cin][KH][KW], dilation 1.
	PackedQConvSize  func(p *QConvParams) int
	PackQConv        func(dst []byte, w, bias []int32, mult []float32, p *QConvParams) error
	QConvScratchSize func(p *QConvParams) int
	QConv            func(p *QConvParams, in, wp, out, scratch []byte, oy0, oy1 int)

	// GlobalAvgPool: out[c] = mean over hw pixels of in (hw×c).
	GlobalAvgPool func(in []float32, hw, c int, out []float32)
	// GlobalAvgPoolChannels is GlobalAvgPool for channels [c0, c1) only,
	// out[c0:c1] (c0 a multiple of DWChannelQuantum); nil on arm64.
	GlobalAvgPoolChannels func(in []float32, hw, c, c0, c1 int, out []float32)
	// ScaleChannels: out[p][c] = in[p][c]·s[c] for hw pixels (out may be in).
	ScaleChannels func(in []float32, hw, c int, s, out []float32)
	// Add: out[i] = Act(a[i] + b[i]) (out may alias a or b).
	Add func(a, b, out []float32, ep *Epilogue)
	// Activate: out[i] = Act(x[i]) (out may be x).
	Activate func(x, out []float32, ep *Epilogue)
	// Quantize: out[i] = ir.Quantize(x[i], sc, zp, t) for a type of range
	// [lo, hi] of at most 16 bits (out may be x).
	Quantize func(x, out []float32, sc, zp, lo, hi float32)
	// QAdd: out[i] = ir.QAdd on centred operands with the type's range minus
	// the zero point [lo, hi] (of at most 16 bits): clamp(roundEven(
	// float32(float32(a·as) + float32(b·bs))/cs), lo, hi); out may alias a or b.
	QAdd func(a, b, out []float32, as, bs, cs, lo, hi float32)
	// QAddU8 is QAdd on bytes: a byte x stands for the centred value
	// x − zp (za, zb for the operands, zy for out) and [lo, hi] is the
	// output's centred range:
	// out[i] = clamp(roundEven(float32(float32((a[i]−za)·as) + float32((b[i]−zb)·bs))/cs), lo, hi) + zy;
	// out may alias a or b.
	QAddU8 func(a, b, out []uint8, as, bs, cs, lo, hi float32, za, zb, zy int32)
	// LUTBytes: out[i] = table[in[i]] (out may be in; len(out) = len(in)).
	LUTBytes func(in, out []uint8, table *[256]byte)
	// NCHWToNHWC / NHWCToNCHW convert one image of c channels and hw pixels.
	NCHWToNHWC func(in []float32, c, hw int, out []float32)
	NHWCToNCHW func(in []float32, hw, c int, out []float32)
	// NCHWToNHWCPixels converts pixels [lo, hi) of one image of c
	// channels and hw pixels (a thread's part of the input conversion).
	NCHWToNHWCPixels func(in []float32, c, hw int, out []float32, lo, hi int)

	// ExpSum: out[i] = exp(x[i] − m) for i < len(x) and returns their sum
	// (a softmax row: m its maximum), in an order of its own (out may be
	// x). Each exponential is within 3 ulp of float32(math.Exp), 0 where
	// that underflows, +Inf where it overflows, NaN for NaN.
	ExpSum func(x, out []float32, m float32) float32
	// Max returns max(init, x[i]...). With a NaN in x the result is
	// unspecified (NaN or a value); callers that care check elsewhere.
	Max func(x []float32, init float32) float32
	// Sigmoid: out[i] = 1/(1+e^−x[i]) for i < len(x) (out may be x), with
	// ExpSum's exponential: within 4 ulp of ir.ApplyAct's float64 sigmoid
	// rounded to float32 where that is at least 2^−126 (below, 0 or
	// within 2^−126); NaN gives NaN.
	Sigmoid func(x, out []float32)
}

// ForISA returns the Set for isa, or an error naming what the machine lacks
// (or that the build is purego / the ISA is for another architecture).
func ForISA(isa ISA) (*Set, error) {
	if isa >= numISA {
		return nil, fmt.Errorf("unknown ISA %d", isa)
	}
	if !Supported(isa) {
		return nil, fmt.Errorf("ISA %s is not available on this machine/build (available: %s)", isa, strings.Join(availableNames(), ", "))
	}
	s := &Set{ISA: isa}
	fillGeneric(s)
	switch isa {
	case Generic:
	default:
		fillArch(s)
	}
	return s, nil
}

// Available lists the ISAs this machine and build can run, best last.
func Available() []ISA {
	var out []ISA
	for i := Generic; i < numISA; i++ {
		if Supported(i) {
			out = append(out, i)
		}
	}
	return out
}

// Best is the fastest available ISA.
func Best() ISA {
	a := Available()
	return a[len(a)-1]
}

func availableNames() []string {
	var s []string
	for _, i := range Available() {
		s = append(s, i.String())
	}
	return s
}
