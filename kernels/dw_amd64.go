//go:build amd64 && !purego

package kernels

import (
	"fmt"

	"github.com/mnc-go/mnc/asm"
	"github.com/mnc-go/mnc/internal/epi"
)

// Depthwise convolution on AVX2+FMA / AVX-512: generated kernels for 3×3
// and 5×5 (codegen/dwconv); other shapes use the pure-Go path on tap-major
// weights, so PackDW and DWConv agree on the layout per kernel shape.

func fillDWAMD64(s *Set) {
	vl := simdWidth(s.ISA)
	if vl == 0 {
		return
	}
	simd := func(kh, kw int) bool { return kh == kw && (kh == 3 || kh == 5) }
	s.PackedDWSize = func(c, kh, kw int) int {
		if simd(kh, kw) {
			return dwBlockedSize(c, kh, kw, vl)
		}
		return kh * kw * c
	}
	s.PackDW = func(dst, w []float32, c, kh, kw int) {
		if simd(kh, kw) {
			packDWBlocked(dst, w, c, kh, kw, vl)
			return
		}
		packDWTapMajor(dst, w, c, kh, kw)
	}
	s.DWConv = func(p *DWParams, in, wp, bias, out []float32, oy0, oy1 int) {
		if simd(p.KH, p.KW) {
			dwConvSIMD(vl, p, in, wp, bias, out, oy0, oy1, 0, p.C, false)
			return
		}
		dwConvGeneric(p, in, wp, bias, out, oy0, oy1)
	}
	s.DWConvBand = func(p *DWParams, in, wp, bias, out []float32, oy0, oy1 int) {
		if simd(p.KH, p.KW) {
			dwConvSIMD(vl, p, in, wp, bias, out, oy0, oy1, 0, p.C, true)
			return
		}
		dwConvGeneric(p, in, wp, bias, out, oy0, oy1)
	}
	if vl == 16 {
		s.DWBandPitch = func(p *DWParams) int { return dwBandPitch(p) }
	}
	s.DWConvChannels = func(p *DWParams, in, wp, bias, out []float32, oy0, oy1, c0, c1 int) {
		if simd(p.KH, p.KW) {
			checkDWChannels(p, c0, c1)
			dwConvSIMD(vl, p, in, wp, bias, out, oy0, oy1, c0, c1, false)
			return
		}
		dwConvChannelsGeneric(p, in, wp, bias, out, oy0, oy1, c0, c1)
	}
}

// dwConvSIMD runs the generated kernels over output rows [oy0, oy1). Rows
// whose window has all kernel rows inside the image ("full" rows) are done
// as: one interior call per row (the columns whose window is inside the
// image), and one call per border column covering all the full rows at
// once. Rows cut by the top/bottom padding pass the valid kernel rows
// only, one call per run of columns with the same valid kernel columns.
// Only channels [c0, c1) are computed (c0 a multiple of vl): the kernels
// get pointers offset to channel c0 and step pixels by all C channels.
// With rows (out must not overlap in), the interior of the full rows is
// one call of the channel-block-major kernel, where there is one (AVX-512
// 3×3 and 5×5, equal strides 1 or 2).
func dwConvSIMD(vl int, p *DWParams, in, wp, bias, out []float32, oy0, oy1, c0, c1 int, rows bool) {
	k, c := p.KH, p.C
	checkDWArgs(p, len(in), len(wp), dwBlockedSize(c, k, k, vl), bias, len(out), oy0, oy1)
	if oy0 >= oy1 || c0 >= c1 {
		return
	}
	if bias == nil {
		bias = wp[dwBlockedWeights(c, k, k, vl):] // zeros kept after the weights
	}
	d := dwCall{rows: rows && vl == 16 && p.SH == p.SW && p.SW <= 2 && dwRowsFitL1(p), vl: vl, p: p, in: in[c0:], wp: wp[c0*k*k:], bias: bias[c0:], mask: tailMask(c1 - c0), c0: c0, nc: c1 - c0}
	var post bool
	// The kernels implement SlopeC and Requant (with finite multipliers:
	// they do not turn NaN into 0).
	d.mode, post = p.Ep.params(&d.prm, p.Ep.Act == ActPRelu || p.Ep.Act == ActRequant && finiteSlopes(p.Ep.Slope, c))
	if d.mode == epi.SlopeC || d.mode == epi.Requant {
		d.prm.Slopes = &p.Ep.Slope[c0] // the kernels index it by channel, as the bias
	}
	oxLo, oxHi := interiorCols(p.W, k, p.SW, p.PadL, p.OW)
	fullLo, fullHi := interiorCols(p.H, k, p.SH, p.PadT, p.OH) // rows with all kernel rows inside
	fullLo, fullHi = max(fullLo, oy0), min(fullHi, oy1)
	if fullLo >= fullHi {
		fullLo, fullHi = oy1, oy1
	}
	for oy := oy0; oy < oy1; oy++ {
		if oy == fullLo {
			d.fullRows(out, fullLo, fullHi, oxLo, oxHi)
			oy = fullHi - 1
			continue
		}
		d.row(out, oy, oxLo, oxHi)
	}
	if !post {
		return
	}
	if c0 > 0 || c1 < c {
		for px := oy0 * p.OW; px < oy1*p.OW; px++ {
			o := out[px*c+c0 : px*c+c1]
			actSliceAt(&p.Ep, o, o, c0)
		}
		return
	}
	if o := out[oy0*p.OW*c : oy1*p.OW*c]; !requantRows(vl, &p.Ep, o, o, c) {
		actSlice(&p.Ep, o, o)
	}
}

// dwCall holds what every kernel call of one DWConv shares.
type dwCall struct {
	vl           int
	p            *DWParams
	in, wp, bias []float32
	mask         *int32
	prm          EpParams
	mode         int
	c0, nc       int // channels [c0, c0+nc); in, wp, bias start at c0
	rows         bool
}

// fullRows computes rows [r0, r1), all of whose kernel rows are inside.
func (d *dwCall) fullRows(out []float32, r0, r1, oxLo, oxHi int) {
	p, c, k, pc := d.p, d.p.C, d.p.KH, d.p.Pitch()
	for ox := 0; ox < p.OW; ox++ {
		if ox == oxLo && oxLo < oxHi && d.rows {
			d.interiorRows(out, r0, r1, oxLo, oxHi)
			ox = oxHi - 1
			continue
		}
		if ox == oxLo && oxLo < oxHi {
			for oy := r0; oy < r1; oy++ {
				d.run(out, oy, 0, k, ox, oxHi-ox, p.SW*pc*4, c*4)
			}
			ox = oxHi - 1
			continue
		}
		// A border column: one call down the rows.
		d.run(out, r0, 0, k, ox, r1-r0, p.SH*p.W*pc*4, p.OW*c*4)
	}
}

// interiorRows computes the interior columns [oxLo, oxHi) of the full rows
// [r0, r1) with one call of the channel-block-major kernel.
func (d *dwCall) interiorRows(out []float32, r0, r1, oxLo, oxHi int) {
	p, c, pc := d.p, d.p.C, d.p.Pitch()
	iy0, ix0 := r0*p.SH-p.PadT, oxLo*p.SW-p.PadL
	src, o := &d.in[(iy0*p.W+ix0)*pc], &out[(r0*p.OW+oxLo)*c+d.c0]
	if !asm.DWConvAVX512Rows(p.KH, p.SW, src, p.W*pc*4, pc*4, d.nc, &d.wp[0], &d.bias[0], o, c*4, p.OW*c*4, oxHi-oxLo, r1-r0, &d.prm.A, d.mode, d.mask) {
		panic(fmt.Sprintf("kernels: no generated %dx%d stride-%d depthwise rows kernel", p.KH, p.KH, p.SW))
	}
}

// row computes one output row, some of whose kernel rows may be outside.
func (d *dwCall) row(out []float32, oy, oxLo, oxHi int) {
	p, pc := d.p, d.p.Pitch()
	for ox := 0; ox < p.OW; {
		n := 1
		if ox >= oxLo && ox < oxHi {
			n = oxHi - ox
		}
		iy0 := oy*p.SH - p.PadT
		kh0, kh1 := tapRange(iy0, p.KH, p.H)
		d.run(out, oy, kh0, kh1, ox, n, p.SW*pc*4, p.C*4)
		ox += n
	}
}

// run calls the kernel for npix pixels starting at (oy, ox), the next
// pixels inStride/outStride bytes on, all using kernel rows [kh0, kh1) and
// the kernel columns pixel (oy, ox) has inside the image.
func (d *dwCall) run(out []float32, oy, kh0, kh1, ox, npix, inStride, outStride int) {
	p, c, nc, k, vl, pc := d.p, d.p.C, d.nc, d.p.KH, d.vl, d.p.Pitch()
	iy0, ix0 := oy*p.SH-p.PadT, ox*p.SW-p.PadL
	kw0, kw1 := tapRange(ix0, k, p.W)
	o := out[(oy*p.OW+ox)*c+d.c0:]
	if kh0 == kh1 || kw0 == kw1 {
		// No tap inside the image: the output is the bias.
		for i := 0; i < npix; i++ {
			actSliceAt(&p.Ep, d.bias[:nc], o[i*outStride/4:][:nc], d.c0)
		}
		return
	}
	src, w := &d.in[((iy0+kh0)*p.W+ix0+kw0)*pc], &d.wp[(kh0*k+kw0)*vl]
	rs, nr, b, ae := p.W*pc*4, kh1-kh0, &d.bias[0], &d.prm.A
	// Static calls: through a func value ae would escape.
	interior := kw0 == 0 && kw1 == k && p.SW <= 2 && inStride == p.SW*pc*4
	var ok bool
	switch {
	case interior && vl == 16:
		ok = asm.DWConvInteriorAVX512(k, p.SW, src, rs, pc*4, nr, inStride, nc, w, b, &o[0], outStride, npix, ae, d.mode, d.mask)
	case interior:
		ok = asm.DWConvInteriorAVX2FMA(k, p.SW, src, rs, pc*4, nr, inStride, nc, w, b, &o[0], outStride, npix, ae, d.mode, d.mask)
	case vl == 16:
		ok = asm.DWConvAVX512(k, kw0, kw1, src, rs, pc*4, nr, inStride, nc, w, b, &o[0], outStride, npix, ae, d.mode, d.mask)
	default:
		ok = asm.DWConvAVX2FMA(k, kw0, kw1, src, rs, pc*4, nr, inStride, nc, w, b, &o[0], outStride, npix, ae, d.mode, d.mask)
	}
	if !ok {
		panic(fmt.Sprintf("kernels: no generated %dx%d depthwise kernel for columns [%d,%d) stride %d", k, k, kw0, kw1, p.SW))
	}
}

// dwRowsFitL1 reports whether the lines the channel-block-major kernel
// reuses for one block of 16 channels, one 64-byte line per pixel, spread
// over L1's 64 sets (32 KiB 8-way or 48 KiB 12-way on every x86 core with
// AVX-512) with at most 12 lines in a set. At stride 1 the next output row
// re-reads KH-1 of its input rows, so the window is KH whole rows; at
// stride 2 it is KH rows of one group of 16 output pixels. With
// power-of-two channel counts the pixels of a row fall into a few sets,
// and so do the rows: the window evicts itself and the kernel is slower
// than the pixel-major one (thread CPU, hot caches: 56x56x128 s1 69 -> 92
// us, 14x14x512 s1 27 -> 44, 28x28x256 s1 45 -> 69, s2 19 -> 24;
// 56x56x144 73 -> 57, 14x14x576 27 -> 18 and V3-Large's band of 112x64 at
// stride 2 spread well and gain).
func dwRowsFitL1(p *DWParams) bool {
	pc := p.Pitch()
	if pc%16 != 0 {
		return true // pixels are not whole lines apart: they spread
	}
	const sets, ways = 64, 12
	pix := pc / 16         // lines per pixel
	g := gcdInt(sets, pix) // a row's pixels visit the sets ≡ its first mod g
	npix := p.W
	if p.SW > 1 {
		npix = min(p.W, 16*p.SW+p.KW-1)
	}
	perRow := (npix + sets/g - 1) / (sets / g)
	worst := 0
	for r0 := 0; r0 < p.KH; r0++ { // rows whose sets are in row r0's class
		n := 0
		for r := 0; r < p.KH; r++ {
			if ((r-r0)*p.W*pix)%g == 0 {
				n++
			}
		}
		worst = max(worst, n)
	}
	return perRow*worst <= ways
}

func gcdInt(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// dwBandPitch is the smallest input pitch, at least p.C, at which the
// AVX-512 channel-block-major kernel's window fits L1 (dwRowsFitL1): a
// line or a few more per pixel than a power-of-two channel count spread
// the rows over the sets (the lead's hot-cache measurements, thread CPU:
// 28x28x256 s1 68 -> 30 us at pitch 272, 56x56x128 s1 80 -> 41 us at 144).
// p.C when the kernel does not run on p's shape or no pitch up to four
// lines more fits.
func dwBandPitch(p *DWParams) int {
	if p.KH != p.KW || p.KH != 3 && p.KH != 5 || p.SH != p.SW || p.SW > 2 {
		return p.C
	}
	q := *p
	for pc := p.C; pc <= p.C+64; pc = (pc + 16) &^ 15 {
		q.InPitch = pc
		if dwRowsFitL1(&q) {
			return pc
		}
	}
	return p.C
}
