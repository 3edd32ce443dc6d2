package kernels

import "fmt"

// Pure-Go versions of the small kernels: pooling, SE channel scale,
// elementwise add/activation and layout conversion.

func fillMiscGeneric(s *Set) {
	s.GlobalAvgPool = globalAvgPoolGeneric
	s.GlobalAvgPoolChannels = globalAvgPoolChannelsGeneric
	s.ScaleChannels = scaleChannelsGeneric
	s.Add = addGeneric
	s.Activate = activateGeneric
	s.ExpSum = expSumGeneric
	s.Max = maxGeneric
	s.Sigmoid = sigmoidGeneric
	s.NCHWToNHWC = nchwToNHWCGeneric
	s.NHWCToNCHW = nhwcToNCHWGeneric
	s.NCHWToNHWCPixels = nchwToNHWCPixelsGeneric
}

func globalAvgPoolGeneric(in []float32, hw, c int, out []float32) {
	o := out[:c]
	clear(o)
	for p := 0; p < hw; p++ {
		for ch, v := range in[p*c:][:c] {
			o[ch] += v
		}
	}
	inv := 1 / float32(hw)
	for ch := range o {
		o[ch] *= inv
	}
}

func globalAvgPoolChannelsGeneric(in []float32, hw, c, c0, c1 int, out []float32) {
	checkGAPChannels(len(in), hw, c, c0, c1, len(out))
	o := out[c0:c1]
	clear(o)
	for p := 0; p < hw; p++ {
		for ch, v := range in[p*c+c0:][:len(o)] {
			o[ch] += v
		}
	}
	inv := 1 / float32(hw)
	for ch := range o {
		o[ch] *= inv
	}
}

// checkGAPChannels panics unless GlobalAvgPoolChannels' arguments fit.
func checkGAPChannels(nIn, hw, c, c0, c1, nOut int) {
	if hw <= 0 || c0 < 0 || c1 > c || c0 > c1 || c0%DWChannelQuantum != 0 || nIn < hw*c || nOut < c {
		panic(fmt.Sprintf("kernels: GlobalAvgPoolChannels: channels [%d,%d) of %d, %d pixels, in %d, out %d", c0, c1, c, hw, nIn, nOut))
	}
}

func scaleChannelsGeneric(in []float32, hw, c int, s, out []float32) {
	s = s[:c]
	for p := 0; p < hw; p++ {
		o := out[p*c:][:c]
		for ch, v := range in[p*c:][:c] {
			o[ch] = v * s[ch]
		}
	}
}

func addGeneric(a, b, out []float32, ep *Epilogue) {
	a = a[:len(out)]
	b = b[:len(out)]
	for i := range out {
		out[i] = a[i] + b[i]
	}
	actSlice(ep, out, out)
}

func activateGeneric(x, out []float32, ep *Epilogue) {
	if len(out) == 0 {
		return
	}
	actSlice(ep, x, out)
}

// nchwToNHWCGeneric transposes a c×hw matrix into hw×c, in tiles so both
// sides stay in cache.
func nchwToNHWCGeneric(in []float32, c, hw int, out []float32) {
	if c == 3 { // the image input: interleave the planes directly
		r, g, b := in[:hw], in[hw:2*hw], in[2*hw:3*hw]
		out = out[:3*hw]
		for p := range r {
			o := out[3*p : 3*p+3]
			o[0], o[1], o[2] = r[p], g[p], b[p]
		}
		return
	}
	transposeTiled(in, c, hw, out)
}

// nchwToNHWCPixelsGeneric converts pixels [lo, hi) of a c×hw image.
func nchwToNHWCPixelsGeneric(in []float32, c, hw int, out []float32, lo, hi int) {
	if c == 3 { // the image input
		nchwToNHWC3(in, hw, out, lo, hi)
		return
	}
	for p := lo; p < hi; p++ {
		o := out[p*c : (p+1)*c]
		for ch := range o {
			o[ch] = in[ch*hw+p]
		}
	}
}

// nchwToNHWC3 is nchwToNHWCPixelsGeneric for 3 channels, four pixels per
// step with slices the compiler can check once per step (23.8 µs for half
// a 224² image against 30.9 µs pixel by pixel).
func nchwToNHWC3(in []float32, hw int, out []float32, lo, hi int) {
	n := hi - lo
	r, g, b := in[lo:hi], in[hw+lo:hw+hi], in[2*hw+lo:2*hw+hi]
	o := out[3*lo : 3*hi]
	for i := 0; i+4 <= n; i += 4 {
		d := o[3*i : 3*i+12 : 3*i+12]
		rr, gg, bb := r[i:i+4:i+4], g[i:i+4:i+4], b[i:i+4:i+4]
		d[0], d[1], d[2] = rr[0], gg[0], bb[0]
		d[3], d[4], d[5] = rr[1], gg[1], bb[1]
		d[6], d[7], d[8] = rr[2], gg[2], bb[2]
		d[9], d[10], d[11] = rr[3], gg[3], bb[3]
	}
	for i := n &^ 3; i < n; i++ {
		o[3*i], o[3*i+1], o[3*i+2] = r[i], g[i], b[i]
	}
}

func nhwcToNCHWGeneric(in []float32, hw, c int, out []float32) {
	transposeTiled(in, hw, c, out)
}

// transposeTiled writes the rows×cols matrix in as cols×rows into out.
func transposeTiled(in []float32, rows, cols int, out []float32) {
	const tile = 32
	in = in[:rows*cols]
	out = out[:rows*cols]
	for r0 := 0; r0 < rows; r0 += tile {
		r1 := min(r0+tile, rows)
		for c0 := 0; c0 < cols; c0 += tile {
			c1 := min(c0+tile, cols)
			for r := r0; r < r1; r++ {
				row := in[r*cols:]
				for cc := c0; cc < c1; cc++ {
					out[cc*rows+r] = row[cc]
				}
			}
		}
	}
}
