// Package mnc's generated kernels come from the generators below; run
// `go generate` at the repository root after changing one (CI checks that the
// checked-in output matches, see .ci/gen-check.sh).

package mnc

//go:generate go run ./codegen/gemm -table asm/gemm_table_amd64.go -out asm/gemm_amd64.s -stubs asm/gemm_stub_amd64.go -pkg asm
//go:generate go run ./codegen/dwconv -table asm/dwconv_table_amd64.go -out asm/dwconv_amd64.s -stubs asm/dwconv_amd64.go -pkg asm
//go:generate go run ./codegen/neon -out asm -pkg asm
