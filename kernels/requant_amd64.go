//go:build amd64 && !purego

package kernels

import (
	"math"

	"github.com/mnc-go/mnc/asm"
)

// requantRows applies an ActRequant epilogue to x (rows of c channels,
// channel 0 first) with the generated RequantChannels kernel of vector
// length vl, writing out (which may be x). It returns false, doing
// nothing, when ep is not such an epilogue or a multiplier is not finite
// (the kernel does not turn NaN into 0): the caller applies ep in Go.
func requantRows(vl int, ep *Epilogue, x, out []float32, c int) bool {
	if ep == nil || ep.Act != ActRequant || len(x)%max(c, 1) != 0 || len(out) < len(x) || len(x) == 0 || !finiteSlopes(ep.Slope, c) {
		return false
	}
	var prm EpParams
	prm.Lo, prm.Hi = ep.Min, ep.Max
	if vl == 16 {
		asm.RequantChannels_AVX512(&x[0], len(x)/c, c, &ep.Slope[0], &out[0], &prm.A, nil)
	} else {
		asm.RequantChannels_AVX2FMA(&x[0], len(x)/c, c, &ep.Slope[0], &out[0], &prm.A, tailMask(c))
	}
	return true
}

// finiteSlopes reports whether s holds c finite values (one per channel).
func finiteSlopes(s []float32, c int) bool {
	if c == 0 || len(s) != c {
		return false
	}
	for _, v := range s {
		if math.IsInf(float64(v), 0) || v != v {
			return false
		}
	}
	return true
}
