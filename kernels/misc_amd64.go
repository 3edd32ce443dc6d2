//go:build amd64 && !purego

package kernels

import (
	"fmt"

	"github.com/mnc-go/mnc/asm"
)

// Pooling, channel scale, add and activation on AVX2+FMA / AVX-512. The
// kernels are called statically per ISA (a call through a func value would
// make the wrappers' small locals escape to the heap).

func fillMiscAMD64(s *Set) {
	vl := simdWidth(s.ISA)
	if vl == 0 {
		return
	}
	fillConvTapsAMD64(s) // wraps im2col; the pixel-vector and stem paths wrap it
	fillConvPixAMD64(s, vl)
	fillStemAMD64(s, vl)
	fillQuantAMD64(s, vl)
	wide := vl == 16
	s.GlobalAvgPool = func(in []float32, hw, c int, out []float32) {
		if hw <= 0 || c <= 0 {
			globalAvgPoolGeneric(in, hw, c, out)
			return
		}
		need("GlobalAvgPool", "input", len(in), hw*c)
		need("GlobalAvgPool", "output", len(out), c)
		scale := 1 / float32(hw)
		if wide {
			asm.GlobalAvgPoolAVX512(&in[0], hw, c, c, &out[0], &scale, nil)
		} else {
			asm.GlobalAvgPoolAVX2FMA(&in[0], hw, c, c, &out[0], &scale, tailMask(c))
		}
	}
	s.GlobalAvgPoolChannels = func(in []float32, hw, c, c0, c1 int, out []float32) {
		checkGAPChannels(len(in), hw, c, c0, c1, len(out))
		if c0 == c1 {
			return
		}
		scale := 1 / float32(hw)
		if wide {
			asm.GlobalAvgPoolAVX512(&in[c0], hw, c1-c0, c, &out[c0], &scale, nil)
		} else {
			asm.GlobalAvgPoolAVX2FMA(&in[c0], hw, c1-c0, c, &out[c0], &scale, tailMask(c1-c0))
		}
	}
	s.ScaleChannels = func(in []float32, hw, c int, sc, out []float32) {
		if hw <= 0 || c <= 0 {
			return
		}
		need("ScaleChannels", "input", len(in), hw*c)
		need("ScaleChannels", "scales", len(sc), c)
		need("ScaleChannels", "output", len(out), hw*c)
		if wide {
			asm.ScaleChannelsAVX512(&in[0], hw, c, &sc[0], &out[0], nil)
		} else {
			asm.ScaleChannelsAVX2FMA(&in[0], hw, c, &sc[0], &out[0], tailMask(c))
		}
	}
	s.Add = func(a, b, out []float32, ep *Epilogue) {
		n := len(out)
		if n == 0 {
			return
		}
		need("Add", "a", len(a), n)
		need("Add", "b", len(b), n)
		var prm EpParams
		mode, goAct := ep.params(&prm, false)
		if wide {
			asm.AddAVX512(&a[0], &b[0], &out[0], n, &prm.A, mode, nil)
		} else {
			asm.AddAVX2FMA(&a[0], &b[0], &out[0], n, &prm.A, mode, tailMask(n))
		}
		switch {
		case goAct && ep.Act == ActSigmoid:
			s.Sigmoid(out, out)
		case goAct:
			actSlice(ep, out, out)
		}
	}
	s.ExpSum = func(x, out []float32, m float32) float32 {
		n := len(x)
		if n == 0 {
			return 0
		}
		need("ExpSum", "output", len(out), n)
		ms := [2]float32{m, 0}
		if wide {
			asm.ExpSumAVX512(&x[0], &out[0], n, &ms[0], nil)
		} else {
			asm.ExpSumAVX2FMA(&x[0], &out[0], n, &ms[0], tailMask(n))
		}
		return ms[1]
	}
	s.Sigmoid = func(x, out []float32) {
		n := len(x)
		if n == 0 {
			return
		}
		need("Sigmoid", "output", len(out), n)
		if wide {
			asm.SigmoidAVX512(&x[0], &out[0], n, nil)
		} else {
			asm.SigmoidAVX2FMA(&x[0], &out[0], n, tailMask(n))
		}
	}
	s.Max = func(x []float32, init float32) float32 {
		n := len(x)
		if n == 0 {
			return init
		}
		res := init
		if wide {
			asm.MaxAVX512(&x[0], n, &res, nil)
		} else {
			asm.MaxAVX2FMA(&x[0], n, &res, tailMask(n))
		}
		return res
	}
	s.Activate = func(x, out []float32, ep *Epilogue) {
		n := len(out)
		if n == 0 {
			return
		}
		need("Activate", "input", len(x), n)
		var prm EpParams
		mode, goAct := ep.params(&prm, false)
		if goAct && ep.Act == ActSigmoid {
			s.Sigmoid(x, out)
			return
		}
		if goAct {
			actSlice(ep, x, out)
			return
		}
		if wide {
			asm.ActAVX512(&x[0], &out[0], n, &prm.A, mode, nil)
		} else {
			asm.ActAVX2FMA(&x[0], &out[0], n, &prm.A, mode, tailMask(n))
		}
	}
	s.NCHWToNHWC = func(in []float32, c, hw int, out []float32) {
		if c != 3 || hw < vl {
			nchwToNHWCGeneric(in, c, hw, out)
			return
		}
		need("NCHWToNHWC", "input", len(in), 3*hw)
		need("NCHWToNHWC", "output", len(out), 3*hw)
		n := hw / vl * vl
		if wide {
			asm.NCHWToNHWC3AVX512(&in[0], hw, &out[0], n)
		} else {
			asm.NCHWToNHWC3AVX2FMA(&in[0], hw, &out[0], n)
		}
		for p := n; p < hw; p++ { // the last hw mod vl pixels
			out[3*p], out[3*p+1], out[3*p+2] = in[p], in[hw+p], in[2*hw+p]
		}
	}
	// A pixel range through the same SIMD interleave: on 2 threads V1's
	// input step took 26 µs (each thread 22-25 µs for half the image in
	// Go) against 15 µs for the whole image on one thread.
	s.NCHWToNHWCPixels = func(in []float32, c, hw int, out []float32, lo, hi int) {
		n := (hi - lo) / vl * vl
		if c != 3 || n == 0 {
			nchwToNHWCPixelsGeneric(in, c, hw, out, lo, hi)
			return
		}
		need("NCHWToNHWCPixels", "input", len(in), 3*hw)
		need("NCHWToNHWCPixels", "output", len(out), 3*hw)
		if lo < 0 || hi > hw {
			panic(fmt.Sprintf("kernels: NCHWToNHWCPixels: pixels [%d,%d) of %d", lo, hi, hw))
		}
		if wide {
			asm.NCHWToNHWC3AVX512(&in[lo], hw, &out[3*lo], n)
		} else {
			asm.NCHWToNHWC3AVX2FMA(&in[lo], hw, &out[3*lo], n)
		}
		nchwToNHWC3(in, hw, out, lo+n, hi) // the last (hi-lo) mod vl pixels
	}
}
