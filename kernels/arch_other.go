//go:build purego || !(amd64 || arm64)

package kernels

// Supported: only the pure-Go kernels exist in this build.
func Supported(isa ISA) bool { return isa == Generic }

func fillArch(s *Set) {}
