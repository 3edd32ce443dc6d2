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
