// Package names is the naming scheme of mnc's generated kernels, which
// every generator under codegen/ follows (codegen/gemm, codegen/dwconv,
// codegen/neon) and names_test.go checks on every TEXT symbol in asm/.
//
// A kernel is named XNNPACK's way, spec in the name, in Go spelling
// (no underscores):
//
//	Op Shape ISA Variant
//
// where:
//
//   - Op: what it computes, one of Ops, spelled the same on every ISA:
//     Gemm, QGemmU8S8, DWConv, GlobalAvgPool, ... A new op adds its name
//     to Ops.
//   - Shape (if the kernel is specialised to one): digits and lower-case
//     letters. A GEMM tile is rows×columns (Gemm6x16, Gemm12x32); a
//     window is k×k, then s and the stride (DWConv3x3s2); a column range
//     of the window is kw, first to last (DWConv5x5kw0to3); channels are
//     c, in×out (StemConv3x3s2c3x16: 3 input channels, 16 outputs). An
//     op that ends in a digit takes an x before its shape
//     (GemmU8S8x8x32).
//   - ISA: one of ISATags, what the kernel needs: AVX2FMA (AVX2 with
//     FMA3), AVX2 (integer AVX2, no FMA), AVX512 (AVX-512 F, with the
//     DQ/BW/VL its doc names), AVX512VNNI, AVX512VBMI, AVXVNNI (VEX
//     VPDPBUSD on ymm), NEON (ARMv8.0 ASIMD), SDOT (ARMv8.2 dot product),
//     SUDOT (ARMv8.6 I8MM). The amd64 float tags are codegen/internal/x86's
//     ISA.Tag.
//   - Variant (optional): capitalised words for versions of the same
//     kernel: Masked (a column tail under a mask), Pairs (B packed in k
//     pairs).
//
// Examples: Gemm12x32AVX512Masked, Gemm6x8AVX2FMAPairs, ConvPix6x16AVX2FMA,
// GemmU8S8x4x16SDOT, DWConv3x3s1NEON, DWConv3x3kw0to2AVX512,
// QDWConv5x5AVX512VNNI, StemConv3x3s2c3x32AVX2FMA, GlobalAvgPoolNEON,
// LUTBytesAVX512VBMI.
//
// The generated Go dispatchers beside the kernels take the same name
// without the part of the shape they pick by argument: GemmNEON(mr, nr),
// DWConvAVX512(k, kw0, kw1), QDWConv3x3sAVX2(s) (the 3×3 kernels, by
// stride).
package names

import (
	"fmt"
	"regexp"
	"strings"
)

// Ops are the operations kernels are generated for, each spelled once.
var Ops = []string{
	// GEMM and friends
	"Gemm", "ConvPix", "ConvTaps", "GemmU8S8", "QGemmU8S8",
	// depthwise and stem convolutions
	"DWConv", "DWConvEdge", "QDWConv", "StemConv", "QStemConv",
	// element-wise and per-channel
	"Add", "Act", "QAdd", "QAddU8", "Quantize", "RequantChannels", "LUTBytes",
	"GlobalAvgPool", "ScaleChannels", "ExpSum", "Sigmoid", "Max",
	// layout
	"NCHWToNHWC", "Transpose",
	// throughput loops (benchmarks, the peak the README compares with)
	"FMAPeak", "FMAChain", "DotPeak",
}

// ISATags are the instruction-set tags, as the package doc describes them.
var ISATags = []string{"AVX2FMA", "AVX2", "AVX512", "AVX512VNNI", "AVX512VBMI", "AVXVNNI", "NEON", "SDOT", "SUDOT"}

var tail = regexp.MustCompile(`^(x?[0-9][0-9a-z]*)?(` + strings.Join(longestFirst(ISATags), "|") + `)((?:[A-Z][a-z0-9]+)*)$`)

// longestFirst orders alternatives so that a tag never loses to its prefix.
func longestFirst(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if len(out[j]) > len(out[i]) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Parts are the pieces of a kernel name.
type Parts struct {
	Op, Shape, ISA, Variant string
}

// Parse splits a kernel name into its parts, or says how it breaks the
// scheme.
func Parse(name string) (Parts, error) {
	var best Parts
	var bestErr error = fmt.Errorf("kernel %s: the name does not start with an op in codegen/internal/names.Ops", name)
	found := false
	for _, op := range Ops {
		if !strings.HasPrefix(name, op) || (found && len(op) <= len(best.Op)) {
			continue
		}
		rest := name[len(op):]
		m := tail.FindStringSubmatch(rest)
		if m == nil {
			bestErr = fmt.Errorf("kernel %s: after the op %s, %q is not shape (digits, lower-case letters), ISA tag (%s), variant (capitalised words)",
				name, op, rest, strings.Join(ISATags, ", "))
			continue
		}
		endsInDigit := op[len(op)-1] >= '0' && op[len(op)-1] <= '9'
		if m[1] != "" && endsInDigit != (m[1][0] == 'x') {
			bestErr = fmt.Errorf("kernel %s: a shape starts with x exactly when the op (%s) ends in a digit", name, op)
			continue
		}
		best, found = Parts{Op: op, Shape: strings.TrimPrefix(m[1], "x"), ISA: m[2], Variant: m[3]}, true
	}
	if !found {
		return Parts{}, bestErr
	}
	return best, nil
}
