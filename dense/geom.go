package dense

import (
	"math"
	"sort"
)

// Point is a position in pixels (x right, y down).
type Point struct{ X, Y float64 }

// convexHull returns the convex hull of pts counter-clockwise (Andrew's
// monotone chain), without collinear points; fewer than 3 distinct points
// come back as they are (deduplicated).
func convexHull(pts []Point) []Point {
	p := append([]Point(nil), pts...)
	sort.Slice(p, func(i, j int) bool { return p[i].X < p[j].X || p[i].X == p[j].X && p[i].Y < p[j].Y })
	u := p[:0]
	for i, q := range p {
		if i == 0 || q != p[i-1] {
			u = append(u, q)
		}
	}
	p = u
	if len(p) < 3 {
		return p
	}
	cross := func(o, a, b Point) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }
	h := make([]Point, 0, 2*len(p))
	for _, q := range p {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	lower := len(h) + 1
	for i := len(p) - 2; i >= 0; i-- {
		q := p[i]
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	return h[:len(h)-1]
}

// Rect is a rotated rectangle: its centre, side lengths along its unit
// axis U and the perpendicular V, as OpenCV's minAreaRect gives.
type Rect struct {
	Center Point
	W, H   float64 // along U, along V
	U      Point   // unit vector of the W side
}

// minAreaRect is the smallest-area rectangle enclosing pts (rotating
// calipers over the hull's edges). A single point or a segment gives a
// degenerate rectangle of width or height 0.
func minAreaRect(pts []Point) Rect {
	h := convexHull(pts)
	switch len(h) {
	case 0:
		return Rect{U: Point{1, 0}}
	case 1:
		return Rect{Center: h[0], U: Point{1, 0}}
	}
	best := Rect{W: math.Inf(1), H: math.Inf(1)}
	for i := range h {
		a, b := h[i], h[(i+1)%len(h)]
		dx, dy := b.X-a.X, b.Y-a.Y
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		u := Point{dx / l, dy / l}
		minU, maxU, minV, maxV := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, q := range h {
			pu := q.X*u.X + q.Y*u.Y
			pv := -q.X*u.Y + q.Y*u.X
			minU, maxU = math.Min(minU, pu), math.Max(maxU, pu)
			minV, maxV = math.Min(minV, pv), math.Max(maxV, pv)
		}
		if w, hh := maxU-minU, maxV-minV; w*hh < best.W*best.H || math.IsInf(best.W, 1) {
			cu, cv := (minU+maxU)/2, (minV+maxV)/2
			best = Rect{Center: Point{cu*u.X - cv*u.Y, cu*u.Y + cv*u.X}, W: w, H: hh, U: u}
		}
	}
	return best
}

// Corners returns the rectangle's corners ordered as PaddleOCR's
// get_mini_boxes orders them: top-left, top-right, bottom-right,
// bottom-left (the two leftmost by x, each pair split by y).
func (r Rect) Corners() [4]Point {
	hu := Point{r.U.X * r.W / 2, r.U.Y * r.W / 2}
	hv := Point{-r.U.Y * r.H / 2, r.U.X * r.H / 2}
	c := r.Center
	p := []Point{
		{c.X - hu.X - hv.X, c.Y - hu.Y - hv.Y}, {c.X + hu.X - hv.X, c.Y + hu.Y - hv.Y},
		{c.X + hu.X + hv.X, c.Y + hu.Y + hv.Y}, {c.X - hu.X + hv.X, c.Y - hu.Y + hv.Y},
	}
	sort.SliceStable(p, func(i, j int) bool { return p[i].X < p[j].X })
	var out [4]Point
	if p[1].Y > p[0].Y {
		out[0], out[3] = p[0], p[1]
	} else {
		out[0], out[3] = p[1], p[0]
	}
	if p[3].Y > p[2].Y {
		out[1], out[2] = p[2], p[3]
	} else {
		out[1], out[2] = p[3], p[2]
	}
	return out
}

// ShortSide is min(W, H).
func (r Rect) ShortSide() float64 { return math.Min(r.W, r.H) }

// grown returns the rectangle with every side pushed out by d: what
// offsetting it by d (round joins, as pyclipper's unclip does) and taking
// the minimum-area rectangle of the result gives.
func (r Rect) grown(d float64) Rect {
	r.W += 2 * d
	r.H += 2 * d
	return r
}
