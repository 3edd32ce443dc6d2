package runtime

import (
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// argMaxFunc is an ArgMax step split over chunks. When the reduced axis is
// contiguous in memory and the output is stored in the order of the rows
// (NHWC channels: a segmenter's per-pixel classes into an [N, 1, H, W] or
// [N, H, W] map; or the last axis of a row-major tensor) it scans row after
// row; any other axis and layout goes through the views' strides.
func argMaxFunc(s *plan.Step, x, out view) stepFunc {
	k := ir.ArgMaxAxis(&s.Attrs, x.rank)
	n, last := x.shape[k], s.Attrs.SelectLastIndex
	if rows, ok := argMaxRows(x, out, k); ok {
		in, dst := x.data, out.data
		return func(tid, t, nt int) {
			lo, hi := split(rows, 16, t, nt)
			for r := lo; r < hi; r++ {
				dst[r] = float32(argMaxRow(in[r*n:r*n+n], last))
			}
		}
	}
	// General form: out's logical index o maps to x's with the axis
	// inserted (or set to 0 when kept).
	keep := s.Attrs.KeepDims
	step := x.stride[k]
	m := out.size()
	return func(tid, t, nt int) {
		lo, hi := split(m, 1, t, nt)
		var oi, xi [maxRank]int
		for f := lo; f < hi; f++ {
			unravel(f, &out.shape, out.rank, &oi)
			for a, j := 0, 0; a < x.rank; a++ {
				switch {
				case a == k:
					xi[a] = 0
					if keep {
						j++
					}
				default:
					xi[a] = oi[j]
					j++
				}
			}
			base := x.offset(&xi)
			best, at := x.data[base], 0
			for j := 1; j < n; j++ {
				if v := x.data[base+j*step]; ir.ArgMaxBetter(v, best, last) {
					best, at = v, j
				}
			}
			out.data[out.offset(&oi)] = float32(at)
		}
	}
}

// argMaxRows reports whether x's reduced axis k is stored contiguously,
// row r at r·len, with out's element for row r at r: then it returns the
// row count.
func argMaxRows(x, out view, k int) (int, bool) {
	n := x.shape[k]
	if x.stride[k] != 1 && n > 1 {
		return 0, false
	}
	// The other axes, outermost storage first: their strides must be the
	// dense strides of rows of n values, and out's (the same axes, in the
	// same logical order) those of single values.
	type ax struct{ size, xs, os int }
	var axes []ax
	for a, j := 0, 0; a < x.rank; a++ {
		if a == k {
			if out.rank == x.rank {
				j++
			}
			continue
		}
		axes = append(axes, ax{x.shape[a], x.stride[a], out.stride[j]})
		j++
	}
	// Sort by x's stride, largest first (at most 3 axes: insertion sort).
	for i := 1; i < len(axes); i++ {
		for j := i; j > 0 && axes[j].xs > axes[j-1].xs; j-- {
			axes[j], axes[j-1] = axes[j-1], axes[j]
		}
	}
	rows, xs, os := 1, n, 1
	for i := len(axes) - 1; i >= 0; i-- {
		a := axes[i]
		if a.size > 1 && (a.xs != xs || a.os != os) {
			return 0, false
		}
		rows, xs, os = rows*a.size, xs*a.size, os*a.size
	}
	return rows, len(x.data) >= rows*n && len(out.data) >= rows
}

// argMaxRow is the index ir.ArgMaxBetter picks in row (len ≥ 1), with one
// comparison per value while no NaN is seen (a segmenter's 21 classes per
// pixel: the loop ir.ArgMaxBetter's three tests a value took 2× longer).
func argMaxRow(row []float32, last bool) int {
	best, at, j := row[0], 0, 1
	switch {
	case best != best: // a NaN first: it wins, or with last the last NaN
		j = 0
	case last:
		for ; j < len(row); j++ {
			if v := row[j]; v >= best {
				best, at = v, j
			} else if v != v {
				break
			}
		}
	default:
		for ; j < len(row); j++ {
			if v := row[j]; v > best {
				best, at = v, j
			} else if v != v {
				return j // the first NaN wins
			}
		}
		return at
	}
	if j >= len(row) {
		return at
	}
	if !last { // row[0] is NaN
		return 0
	}
	for at = j; j < len(row); j++ { // row[at] is NaN: the last NaN wins
		if row[j] != row[j] {
			at = j
		}
	}
	return at
}

// argMaxResized is an ArgMax with a fused Resize (fuse-resize-argmax) on
// NHWC x: per output row, the two input rows are blended into a
// per-thread row (linear) and each output pixel's channels into a
// per-thread pixel, with resizeNHWC's arithmetic (so the classes equal the
// unfused steps'), then scanned; nearest scans the input pixel. nil when
// x is not dense NHWC (the step then fails: generic code has no fused
// form).
func argMaxResized(s *plan.Step, x, out view, threads int) stepFunc {
	if x.rank != 4 || out.rank < 3 {
		return nil
	}
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	if x.stride[1] != 1 || x.stride[3] != c || x.stride[2] != w*c {
		return nil
	}
	a := ir.ResizeOf(&s.Attrs)
	rs := ir.ArgMaxInput(&s.Attrs, ir.Shape{n, c, h, w})
	oh, ow := rs[2], rs[3]
	sb, sy, sx := out.stride[0], out.stride[out.rank-2], out.stride[out.rank-1]
	y0, y1, wy64 := ir.ResizeTable(&a, 0, h, oh)
	x0, x1, wx64 := ir.ResizeTable(&a, 1, w, ow)
	wy, wx := f32s(wy64), f32s(wx64)
	last, nearest := s.Attrs.SelectLastIndex, a.ResizeMode == "nearest"
	rows, pix := perThread(threads, w*c), perThread(threads, c)
	return func(tid, t, nt int) {
		lo, hi := split(n*oh, 1, t, nt)
		for r := lo; r < hi; r++ {
			b, oy := r/oh, r%oh
			dst := out.data[b*sb+oy*sy:]
			img := x.data[b*x.stride[0]:]
			if nearest {
				src := img[y0[oy]*w*c:]
				for ox := 0; ox < ow; ox++ {
					dst[ox*sx] = float32(argMaxRow(src[x0[ox]*c:][:c], last))
				}
				continue
			}
			row, p := rows[tid], pix[tid]
			s0, s1 := img[y0[oy]*w*c:][:len(row)], img[y1[oy]*w*c:][:len(row)]
			fy := wy[oy] // even 0: a NaN in the other row propagates, as in the reference
			for i, v := range s0 {
				row[i] = v + fy*(s1[i]-v)
			}
			for ox := 0; ox < ow; ox++ {
				fx := wx[ox]
				a0 := row[x0[ox]*c:][:c]
				// One length: no bounds checks in the loops.
				a1 := row[x1[ox]*c:][:len(a0)]
				if !last { // interpolate and compare in one pass (argMaxRow's first-index rule)
					best, at := a0[0]+fx*(a1[0]-a0[0]), 0
					if best == best {
						for ch := 1; ch < len(a0); ch++ {
							if v := a0[ch] + fx*(a1[ch]-a0[ch]); v > best {
								best, at = v, ch
							} else if v != v {
								at = ch // the first NaN wins
								break
							}
						}
					}
					dst[ox*sx] = float32(at)
					continue
				}
				q := p[:len(a0)]
				for ch, v := range a0 {
					q[ch] = v + fx*(a1[ch]-v)
				}
				dst[ox*sx] = float32(argMaxRow(q, last))
			}
		}
	}
}
