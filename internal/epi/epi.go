// Package epi defines, once, the epilogue every generated kernel applies to
// its outputs before storing them: the modes a kernel branches on (its mode
// argument) and the layout of the parameter block its ep argument points
// to. The three generators (codegen/gemm and codegen/dwconv with avo,
// codegen/neon) emit code from these constants; package kernels fills the
// block (kernels.EpParams, whose layout its tests check against Off*) from
// a kernels.Epilogue.
//
// Every mode keeps NaN: the clamps return x when x is NaN (MAXPS/MINPS
// take x as the operand returned on NaN; NEON's FMAX/FMIN return NaN).
package epi

// The modes. The activations they cover are those of ir.ApplyAct; Sigmoid
// and Swish have no mode: kernels run with None and Go applies them.
const (
	None   = 0 // y = x
	Clamp  = 1 // y = min(max(x, Lo), Hi)            Relu (Lo 0, Hi +Inf), Clip
	Affine = 2 // y = min(max(A·x+B, Lo), Hi)        HardSigmoid (Lo 0, Hi 1)
	MulX   = 3 // y = x·min(max(A·x+B, Lo), Hi)      HardSwish (A 1/6, B 1/2, Lo 0, Hi 1)
	Slope  = 4 // y = max(x, Lo) + A·min(x, Hi)      LeakyRelu (Lo = Hi = 0, A the slope)
	SlopeC = 5 // y = max(x, Lo) + S[c]·min(x, Hi)   PRelu: S at Slopes, one per output channel
	// Requant: y = min(max(roundEven(S[c]·x), Lo), Hi), S at Slopes: the
	// requantization of an exact integer sum (ir.ActRequant; Lo, Hi are
	// the type's range minus the zero point). Kernels that implement it
	// never see NaN (the passes fuse only finite multipliers).
	Requant = 6
	Modes   = 7
)

// Byte offsets in the parameter block. The scalars come first (kernels
// that broadcast them: dwconv, NEON's LD4R); the same four values follow
// repeated 16 times each, for kernels that use them as full-width vector
// memory operands (GEMM). Slopes points at the slope of the kernel's first
// output channel (SlopeC and Requant only; kernels that do not implement SlopeC get
// mode None and Go applies it).
const (
	OffA, OffB, OffLo, OffHi = 0, 4, 8, 12
	OffSlopes                = 16
	OffWideA                 = 64
	OffWideB                 = OffWideA + 64
	OffWideLo                = OffWideB + 64
	OffWideHi                = OffWideLo + 64
	Size                     = OffWideHi + 64
)
