//go:build amd64 && !purego

package kernels

func fillMiscAMD64(s *Set) {}
