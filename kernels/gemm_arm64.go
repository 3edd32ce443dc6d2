//go:build arm64 && !purego

package kernels

// PLACEHOLDER: replaced when this kernel family lands.
func fillGemmARM64(s *Set) {}
