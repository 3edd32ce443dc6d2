//go:build arm64 && !purego

package kernels

// PLACEHOLDER: replaced when this kernel family lands.
func fillDWARM64(s *Set) {}
func fillMiscARM64(s *Set) {}
