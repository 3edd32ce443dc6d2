//go:build arm64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// Supported reports whether isa can run here (GODEBUG=cpu.asimd=off
// switches NEON off).
func Supported(isa ISA) bool {
	switch isa {
	case Generic:
		return true
	case NEON:
		return cpu.ARM64.HasASIMD
	}
	return false
}

func fillArch(s *Set) {
	fillGemmARM64(s)
	fillDWARM64(s)
	fillMiscARM64(s)
	fillQDWARM64(s)
}
