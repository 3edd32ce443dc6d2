package main

import (
	"github.com/mnc-go/mnc/codegen/internal/x86"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// target is one instruction set the kernels are generated for. Everything
// that differs between AVX2+FMA and AVX-512 lives here, so the kernel
// bodies are written once.
type target struct {
	Name string // suffix of kernel names: AVX2FMA, AVX512
	VL   int    // float32 lanes per vector

	// mask is the channel-tail mask: an opmask register (AVX-512) or a
	// vector of all-ones/zero lanes loaded from the kernel's mask argument
	// (AVX2, for VMASKMOVPS).
	kmask  Op
	ymask  Op
	masked bool // the current code is the channel tail
}

// The two instruction sets, from the descriptor both amd64 generators
// share (codegen/internal/x86).
var avx2 = &target{Name: x86.AVX2FMA.Tag, VL: x86.AVX2FMA.Lanes}
var avx512 = &target{Name: x86.AVX512.Tag, VL: x86.AVX512.Lanes}

func (t *target) vec() VecVirtual {
	if t.VL == 16 {
		return ZMM()
	}
	return YMM()
}

// bytes is the size of one vector in bytes.
func (t *target) bytes() int { return 4 * t.VL }

// setupTail computes the tail mask for c channels (c in a register): for
// AVX-512 an opmask with the low c%16 bits set; for AVX2 a lane mask loaded
// from the kernel's "mask" argument (8 int32 lanes, computed by the Go
// wrapper).
func (t *target) setupTail(c GPVirtual) {
	if t.VL == 16 {
		n := GP32()
		MOVL(c.As32(), n)
		ANDL(U8(15), n)
		t.setupMaskN(n)
		return
	}
	t.setupMaskN(nil)
}

// setupMaskN makes the tail mask select the low n lanes (n in a register;
// AVX-512 only, AVX2 always loads the "mask" argument).
func (t *target) setupMaskN(n GPVirtual) {
	if t.VL == 16 {
		ones := GP32()
		MOVL(U32(0xffff), ones)
		BZHIL(n.As32(), ones, ones)
		k := K()
		KMOVW(ones, k)
		t.kmask = k
		return
	}
	mp := loadGP("mask")
	m := YMM()
	VMOVDQU(Mem{Base: mp}, m)
	t.ymask = m
}

// load reads one vector (zero-filled past the tail when t.masked).
func (t *target) load(m Mem, dst VecVirtual) {
	switch {
	case !t.masked:
		VMOVUPS(m, dst)
	case t.VL == 16:
		VMOVUPS_Z(m, t.kmask, dst)
	default:
		VMASKMOVPS(m, t.ymask, dst)
	}
}

// store writes one vector (only the tail lanes when t.masked).
func (t *target) store(src VecVirtual, m Mem) {
	switch {
	case !t.masked:
		VMOVUPS(src, m)
	case t.VL == 16:
		VMOVUPS(src, t.kmask, m)
	default:
		VMASKMOVPS(src, t.ymask, m)
	}
}

// paramMem is the argument frame slot of a scalar parameter, so loop code
// can use it as a memory operand instead of holding a register.
func paramMem(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// loadGP loads a pointer or int parameter into a new 64-bit register.
func loadGP(name string) GPVirtual {
	r := GP64()
	Load(Param(name), r)
	return r
}
