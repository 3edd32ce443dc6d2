package kernels

// qBorderPixels runs the int8 window kernels' one-pixel calls for output
// row oy's pixels outside the interior [oxLo, oxHi) that the kernel ran
// in one call: for each, taps[kh·k+kw] points at the k×k window's input
// pixels (stride is bytes per input pixel, h×w the input, iy0 the window's
// first input row, sw and padL the horizontal stride and padding), or at
// zero(0) (a row of zero-point bytes) where the window leaves the image;
// then call(0, output pixel, 1). The depthwise (amd64, arm64) and stem
// (amd64) drivers share it.
func qBorderPixels(taps []*uint8, in, out []byte, k, iy0, oy, ow, sw, padL, h, w, is, os, oxLo, oxHi int, zero func(int) *uint8, call func(int, *uint8, int)) {
	for ox := 0; ox < ow; ox++ {
		if ox == oxLo && oxLo < oxHi {
			ox = oxHi - 1
			continue
		}
		ix0 := ox*sw - padL
		for kh := 0; kh < k; kh++ {
			iy := iy0 + kh
			for kw := 0; kw < k; kw++ {
				if ix := ix0 + kw; iy >= 0 && iy < h && ix >= 0 && ix < w {
					taps[kh*k+kw] = &in[(iy*w+ix)*is]
				} else {
					taps[kh*k+kw] = zero(0)
				}
			}
		}
		call(0, &out[(oy*ow+ox)*os], 1)
	}
}
