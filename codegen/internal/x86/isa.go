// Package x86 is the one description of the amd64 vector instruction sets
// mnc's avo generators (codegen/gemm, codegen/dwconv) emit for.
//
// Generated kernels are named by the one scheme of codegen/internal/names
// (op, shape, ISA tag, variant: Gemm12x32AVX512Masked, DWConv3x3s2AVX2FMA);
// an ISA's Tag is its tag there.
package x86

import "github.com/mmcloughlin/avo/reg"

// ISA is one amd64 vector instruction set.
type ISA struct {
	Name  string            // lower-case spelling (file names, flags): avx2_fma, avx512
	Tag   string            // kernel-name suffix, as kernels.ISA's Go identifiers: AVX2FMA, AVX512
	Lanes int               // float32 lanes per vector register
	EVEX  bool              // AVX-512: opmask registers, 32 vector registers, embedded broadcasts
	Regs  []reg.VecPhysical // every vector register, in allocation order
}

var (
	// AVX2FMA is AVX2 with FMA3: 16 ymm registers, masked memory access by
	// VMASKMOVPS (no opmasks).
	AVX2FMA = &ISA{Name: "avx2_fma", Tag: "AVX2FMA", Lanes: 8, Regs: []reg.VecPhysical{
		reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7,
		reg.Y8, reg.Y9, reg.Y10, reg.Y11, reg.Y12, reg.Y13, reg.Y14, reg.Y15}}
	// AVX512 is AVX-512 F (the kernels' Requires name the DQ/BW/VL/VNNI
	// extensions they use): 32 zmm registers and opmasks.
	AVX512 = &ISA{Name: "avx512", Tag: "AVX512", Lanes: 16, EVEX: true, Regs: []reg.VecPhysical{
		reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
		reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15,
		reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23,
		reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31}}
)
