//go:build amd64 && !purego

package kernels

// PLACEHOLDER: replaced when this kernel family lands.
func fillDWAMD64(s *Set) {}
func fillMiscAMD64(s *Set) {}
