//go:build amd64 && !purego

package kernels

// Helpers shared by the amd64 wrappers of the generated kernels.

// interiorCols returns the output columns [lo, hi) whose k-wide window at
// stride s, after pad columns of padding, lies inside a w-wide image.
func interiorCols(w, k, s, pad, ow int) (lo, hi int) {
	lo = (pad + s - 1) / s
	if w-k+pad < 0 {
		return lo, lo
	}
	hi = min(max((w-k+pad)/s+1, lo), ow)
	return lo, max(hi, lo)
}

// simdWidth is the float32 lanes per vector the generated kernels of isa
// use, or 0 when isa has none.
func simdWidth(isa ISA) int {
	switch isa {
	case AVX2:
		return 8
	case AVX512:
		return 16
	}
	return 0
}

// simdTailMask[8-r:] starts with r all-ones lanes: the AVX2 kernels' mask
// for a tail of r channels (VMASKMOVPS reads the lanes' sign bits).
var simdTailMask = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// tailMask is the AVX2 mask argument for n elements: n%8 leading lanes on.
func tailMask(n int) *int32 { return &simdTailMask[8-n%8] }
