//go:build amd64 && !purego

package kernels

// PLACEHOLDER: replaced when this kernel family lands.
func fillGemmAMD64(s *Set) {}
