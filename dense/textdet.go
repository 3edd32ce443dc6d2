package dense

import (
	"fmt"
	"math"
)

// DBParams are the knobs of DB text detection post-processing; DefaultDB
// gives PaddleOCR's PP-OCR defaults.
type DBParams struct {
	Thresh        float64 // a pixel is text when its probability exceeds this
	BoxThresh     float64 // a region is kept when the mean probability inside its box reaches this
	UnclipRatio   float64 // the box grows by area·ratio/perimeter on every side
	MinSize       float64 // regions whose box's short side is below this are dropped
	MaxCandidates int     // at most this many regions are considered
}

// DefaultDB returns PaddleOCR's DBPostProcess defaults (threshold 0.3, box
// score 0.6, unclip ratio 1.5, minimum side 3, 1000 candidates).
func DefaultDB() DBParams {
	return DBParams{Thresh: 0.3, BoxThresh: 0.6, UnclipRatio: 1.5, MinSize: 3, MaxCandidates: 1000}
}

// TextBox is one detected text region: four corners in the original
// image's pixels (top-left, top-right, bottom-right, bottom-left) and the
// mean probability inside the unexpanded box.
type TextBox struct {
	Points [4]Point
	Score  float64
}

// DetectText turns a DB probability map (h×w, row-major, e.g. the [1,1,H,W]
// output of PP-OCR's detector) into text boxes in an image of imgW×imgH
// pixels, as PaddleOCR's DBPostProcess ("quad" boxes, fast score) and its
// final filter do:
//
//  1. bitmap = prob > Thresh; its 8-connected regions are the candidates
//     (the regions OpenCV's findContours outlines);
//  2. each region's minimum-area rectangle; dropped if its short side <
//     MinSize;
//  3. score = mean probability over the rectangle's pixels (the polygon
//     filled on the integer-truncated corners); dropped if < BoxThresh;
//  4. unclip: the rectangle grows by d = area·UnclipRatio/perimeter on
//     every side; dropped if the short side is then < MinSize+2;
//  5. corners scaled to the image (rounded, clipped to [0, imgW]×[0, imgH]);
//     boxes whose sides are 3 pixels or less are dropped.
//
// Boxes come in region order: by the topmost, then leftmost pixel.
func DetectText(prob []float32, h, w, imgW, imgH int, p DBParams) ([]TextBox, error) {
	if h <= 0 || w <= 0 || len(prob) < h*w {
		return nil, fmt.Errorf("probability map of %d values is not %d×%d", len(prob), h, w)
	}
	if imgW <= 0 || imgH <= 0 {
		return nil, fmt.Errorf("image size %d×%d must be positive", imgW, imgH)
	}
	regions := components(prob[:h*w], h, w, float32(p.Thresh))
	if p.MaxCandidates > 0 && len(regions) > p.MaxCandidates {
		regions = regions[:p.MaxCandidates]
	}
	var out []TextBox
	for _, reg := range regions {
		r := minAreaRect(reg)
		if r.ShortSide() < p.MinSize {
			continue
		}
		score := boxScore(prob, h, w, r.Corners())
		if score < p.BoxThresh {
			continue
		}
		area, perim := r.W*r.H, 2*(r.W+r.H)
		g := r.grown(area * p.UnclipRatio / perim)
		if g.ShortSide() < p.MinSize+2 {
			continue
		}
		var b TextBox
		b.Score = score
		for i, c := range g.Corners() {
			b.Points[i] = Point{
				X: math.Min(math.Max(math.RoundToEven(c.X/float64(w)*float64(imgW)), 0), float64(imgW)),
				Y: math.Min(math.Max(math.RoundToEven(c.Y/float64(h)*float64(imgH)), 0), float64(imgH)),
			}
		}
		q := b.Points
		if math.Hypot(q[0].X-q[1].X, q[0].Y-q[1].Y) <= 3 || math.Hypot(q[0].X-q[3].X, q[0].Y-q[3].Y) <= 3 {
			continue
		}
		out = append(out, b)
	}
	return out, nil
}

// components returns, for each 8-connected region of prob > thresh, the
// leftmost and rightmost pixel centre of each of its rows: all the convex
// hull (and so the minimum-area rectangle) needs. Regions are ordered by
// their first pixel in row-major order.
func components(prob []float32, h, w int, thresh float32) [][]Point {
	seen := make([]bool, h*w)
	var out [][]Point
	var stack []int
	lo, hi := make([]int, h), make([]int, h)
	for start, v := range prob {
		if seen[start] || !(v > thresh) {
			continue
		}
		y0, y1 := start/w, start/w
		for y := range lo {
			lo[y], hi[y] = w, -1
		}
		seen[start] = true
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			y, x := i/w, i%w
			lo[y], hi[y] = min(lo[y], x), max(hi[y], x)
			y0, y1 = min(y0, y), max(y1, y)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					yy, xx := y+dy, x+dx
					if yy < 0 || yy >= h || xx < 0 || xx >= w {
						continue
					}
					j := yy*w + xx
					if !seen[j] && prob[j] > thresh {
						seen[j] = true
						stack = append(stack, j)
					}
				}
			}
		}
		var reg []Point
		for y := y0; y <= y1; y++ {
			if hi[y] >= 0 {
				reg = append(reg, Point{float64(lo[y]), float64(y)}, Point{float64(hi[y]), float64(y)})
			}
		}
		out = append(out, reg)
	}
	return out
}

// boxScore is PaddleOCR's box_score_fast: the mean of prob over the pixels
// of the quadrilateral whose corners are q truncated to integers (edges
// included, as cv2.fillPoly fills), within the map.
func boxScore(prob []float32, h, w int, q [4]Point) float64 {
	var c [4]Point
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, p := range q {
		xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
		ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
		c[i] = p
	}
	x0 := min(max(int(math.Floor(xmin)), 0), w-1)
	x1 := min(max(int(math.Ceil(xmax)), 0), w-1)
	y0 := min(max(int(math.Floor(ymin)), 0), h-1)
	y1 := min(max(int(math.Ceil(ymax)), 0), h-1)
	for i := range c {
		c[i] = Point{math.Trunc(c[i].X - float64(x0)), math.Trunc(c[i].Y - float64(y0))}
	}
	var sum float64
	n := 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			if inQuad(c, Point{float64(x - x0), float64(y - y0)}) {
				sum += float64(prob[y*w+x])
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// inQuad reports whether p lies inside or on the convex quadrilateral q.
func inQuad(q [4]Point, p Point) bool {
	pos, neg := false, false
	for i := range q {
		a, b := q[i], q[(i+1)%4]
		cr := (b.X-a.X)*(p.Y-a.Y) - (b.Y-a.Y)*(p.X-a.X)
		if cr > 1e-9 {
			pos = true
		} else if cr < -1e-9 {
			neg = true
		}
	}
	return !(pos && neg)
}
