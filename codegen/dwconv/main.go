// Command dwconv generates mnc's non-GEMM amd64 kernels with avo, for
// AVX2+FMA and AVX-512: depthwise convolutions, the stem conv, global
// average pool, channel scale, add+activation and activation, plus a Go
// table mapping kernel shapes to the generated functions.
//
//	go run ./codegen/dwconv -table asm/dwconv_table_amd64.go -out asm/dwconv_amd64.s -stubs asm/dwconv_amd64.go -pkg asm
package main

import (
	"flag"

	. "github.com/mmcloughlin/avo/build"
)

var (
	table    = flag.String("table", "", "write the Go dispatch table (DWConv*, DWConvInterior*, StemConv*) to this file")
	tablePkg = flag.String("tablepkg", "asm", "package name of the -table file")
)

// targets are the instruction sets kernels are generated for.
var targets = []*target{avx2, avx512}

// dwKernelSizes are the square depthwise kernels with generated code.
var dwKernelSizes = []int{3, 5}

// dwStrides are the strides with interior kernels.
var dwStrides = []int{1, 2}

func main() {
	flag.Parse() // avo's own flags (-out, -stubs, -pkg) are on the same flag set
	ConstraintExpr("!purego")
	genExpConsts()
	for _, t := range targets {
		for _, k := range dwKernelSizes {
			for _, s := range dwStrides {
				genDWInterior(t, k, s)
			}
			for kw0 := 0; kw0 < k; kw0++ {
				for kw1 := kw0 + 1; kw1 <= k; kw1++ {
					genDW(t, k, kw0, kw1)
				}
			}
		}
		for nb := 1; nb <= stemMaxVectors; nb++ {
			genStem(t, nb)
		}
		genMisc(t)
	}
	genQDW()
	for nb := 1; nb <= 4; nb++ {
		genQStem(nb)
	}
	genQStemConsts()
	for nb := 1; nb <= 8; nb++ {
		genQStemAVX2(nb)
	}
	genTranspose8()
	for _, k := range dwKernelSizes {
		for _, s := range dwStrides {
			genDWRows(avx512, k, s)
		}
	}
	writeTable(*table, dwTable()+miscTable()+qdwTable()+qstemTable())
	Generate()
}
