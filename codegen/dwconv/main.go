// Command dwconv generates mnc's non-GEMM amd64 kernels with avo: depthwise
// convolutions (dwconv family) and the stem conv, pooling, channel scale,
// add and activation kernels (misc family), for AVX2+FMA and AVX-512, plus
// a Go table mapping kernel shapes to the generated functions.
//
//	go run ./codegen/dwconv -family dwconv -table asm/dwconv_table_amd64.go -out asm/dwconv_amd64.s -stubs asm/dwconv_amd64.go -pkg asm
package main

import (
	"flag"
	"log"

	. "github.com/mmcloughlin/avo/build"
)

var (
	family = flag.String("family", "dwconv", "kernel family to generate: dwconv or misc")
	table  = flag.String("table", "", "write the Go dispatch table for the family to this file")
)

// dwKernelSizes are the square depthwise kernels with generated code.
var dwKernelSizes = []int{3, 5}

func main() {
	flag.Parse()
	ConstraintExpr("!purego")
	switch *family {
	case "dwconv":
		for _, t := range []*target{avx2, avx512} {
			for _, k := range dwKernelSizes {
				for kw0 := 0; kw0 < k; kw0++ {
					for kw1 := kw0 + 1; kw1 <= k; kw1++ {
						genDW(t, k, kw0, kw1)
					}
				}
			}
		}
		writeTable(*table, dwTable())
	case "misc":
		genMisc()
		writeTable(*table, miscTable())
	default:
		log.Fatalf("unknown -family %q (want dwconv or misc)", *family)
	}
	Generate()
}

func flagString(name, value, usage string) *string { return flag.String(name, value, usage) }
