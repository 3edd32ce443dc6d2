package main

import "testing"

// TestVexVPDPBUSD: the VEX encoding against GNU as / objdump's bytes for
// `{vex} vpdpbusd` (every register bank: R̄, B̄ and v̄v̄v̄v̄'s high bit).
func TestVexVPDPBUSD(t *testing.T) {
	for _, c := range []struct {
		dst, src1, src2 int
		want            [5]byte
	}{
		{3, 2, 1, [5]byte{0xc4, 0xe2, 0x6d, 0x50, 0xd9}},   // {vex} vpdpbusd %ymm1,%ymm2,%ymm3
		{11, 10, 9, [5]byte{0xc4, 0x42, 0x2d, 0x50, 0xd9}}, // %ymm9,%ymm10,%ymm11
		{5, 12, 8, [5]byte{0xc4, 0xc2, 0x1d, 0x50, 0xe8}},  // %ymm8,%ymm12,%ymm5
		{0, 14, 12, [5]byte{0xc4, 0xc2, 0x0d, 0x50, 0xc4}}, // %ymm12,%ymm14,%ymm0
	} {
		if got := vexVPDPBUSD(c.dst, c.src1, c.src2); got != c.want {
			t.Errorf("vpdpbusd ymm%d, ymm%d, ymm%d: % x, want % x", c.dst, c.src1, c.src2, got, c.want)
		}
	}
}
