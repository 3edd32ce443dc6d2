//go:build !amd64 || purego

package kernels

// qconvArch: the direct int8 stem kernel is AVX-512 VNNI only.
func qconvArch(isa ISA, p *QConvParams, in, d, out, scratch []byte, oy0, oy1 int) bool { return false }
