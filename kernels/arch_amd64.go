//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// Supported reports whether isa can run here. Flags are read through
// x/sys/cpu, so GODEBUG=cpu.avx512f=off (etc.) switches an ISA off.
func Supported(isa ISA) bool {
	switch isa {
	case Generic:
		return true
	case AVX2:
		return cpu.X86.HasAVX2 && cpu.X86.HasFMA
	case AVX512:
		return cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX2 && cpu.X86.HasFMA
	}
	return false
}

func fillArch(s *Set) {
	fillGemmAMD64(s)
	fillDWAMD64(s)
	fillMiscAMD64(s)
	fillQDWAMD64(s)
}
