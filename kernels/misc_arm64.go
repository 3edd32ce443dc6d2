//go:build arm64 && !purego

package kernels

import (
	"math"

	"github.com/mnc-go/mnc/asm"
)

// NEON elementwise and per-channel kernels (codegen/neon/misc.go). The
// assembly handles whole 4-float vectors / 4-channel groups; remainders
// are done here. NCHW↔NHWC transposes stay generic.
func fillMiscARM64(s *Set) {
	s.GlobalAvgPool = neonGlobalAvgPool
	s.GlobalAvgPoolChannels = nil // the runtime pools on one thread
	s.ScaleChannels = neonScaleChannels
	s.Add = neonAdd
	s.Activate = neonActivate
}

func neonAdd(a, b, out []float32, ep *Epilogue) {
	n := len(out)
	need("Add(neon)", "a", len(a), n)
	need("Add(neon)", "b", len(b), n)
	var prm EpParams
	act, post := neonEpilogue(ep, &prm)
	nv := n / 4
	if nv > 0 {
		asm.AddNEON(&a[0], &b[0], &out[0], nv, act, &prm.A)
	}
	for i := 4 * nv; i < n; i++ {
		out[i] = neonActScalar(ep, a[i]+b[i], 0)
	}
	if post {
		for i := range out[:4*nv] {
			out[i] = neonActScalar(ep, out[i], 0)
		}
	}
}

func neonActivate(x, out []float32, ep *Epilogue) {
	n := len(out)
	need("Activate(neon)", "x", len(x), n)
	var prm EpParams
	act, post := neonEpilogue(ep, &prm)
	if post || act == 0 {
		for i := range out {
			out[i] = neonActScalar(ep, x[i], 0)
		}
		return
	}
	nv := n / 4
	if nv > 0 {
		asm.ActNEON(&x[0], &out[0], nv, act, &prm.A)
	}
	for i := 4 * nv; i < n; i++ {
		out[i] = neonActScalar(ep, x[i], 0)
	}
}

func neonGlobalAvgPool(in []float32, hw, c int, out []float32) {
	need("GlobalAvgPool(neon)", "in", len(in), hw*c)
	need("GlobalAvgPool(neon)", "out", len(out), c)
	groups := c / 4
	if hw <= 0 { // the mean of nothing: 0·(1/0) = NaN, as the pure-Go Set gives
		nan := float32(math.NaN())
		for i := range out[:c] {
			out[i] = nan
		}
		return
	}
	scale := 1 / float32(hw)
	if groups > 0 {
		asm.GlobalAvgPoolNEON(&in[0], hw, c, groups, &out[0], &scale)
	}
	for ch := 4 * groups; ch < c; ch++ {
		var s float32
		for p := 0; p < hw; p++ {
			s += in[p*c+ch]
		}
		out[ch] = s * scale
	}
}

func neonScaleChannels(in []float32, hw, c int, s, out []float32) {
	need("ScaleChannels(neon)", "in", len(in), hw*c)
	need("ScaleChannels(neon)", "out", len(out), hw*c)
	need("ScaleChannels(neon)", "s", len(s), c)
	groups := c / 4
	if groups > 0 && hw > 0 {
		asm.ScaleChannelsNEON(&in[0], hw, c, groups, &s[0], &out[0])
	}
	for p := 0; p < hw; p++ {
		for ch := 4 * groups; ch < c; ch++ {
			out[p*c+ch] = in[p*c+ch] * s[ch]
		}
	}
}
