package dyn

import (
	"fmt"
	"math"
	"sort"
)

// nms is ONNX NonMaxSuppression: boxes [B, N, 4] (corners y1,x1,y2,x2 in
// any order, or centre_point_box=1: xc,yc,w,h), scores [B, C, N], optional
// max_output_boxes_per_class (0 or absent: none), iou_threshold,
// score_threshold. Per batch and class, the boxes scoring above the score
// threshold in decreasing score (ties: lower index first, as ONNX Runtime)
// are kept unless a kept box overlaps them with IoU above the threshold
// (boxes of zero area never overlap). Output: [M, 3] of (batch, class, box).
func nms(c *ctx) ([]*Tensor, error) {
	in, err := inputs(c, 2)
	if err != nil {
		return nil, err
	}
	boxes, scores := in[0], in[1]
	if len(boxes.Shape) != 3 || boxes.Shape[2] != 4 || len(scores.Shape) != 3 || scores.Shape[0] != boxes.Shape[0] || scores.Shape[2] != boxes.Shape[1] {
		return nil, fmt.Errorf("boxes %v and scores %v: want [B, N, 4] and [B, C, N]", boxes.Shape, scores.Shape)
	}
	maxOut, iouThr, scoreThr := 0, 0.0, math.Inf(-1)
	if t := c.opt(2); t != nil && len(t.V) > 0 {
		maxOut = int(t.V[0])
	}
	if t := c.opt(3); t != nil && len(t.V) > 0 {
		iouThr = t.V[0]
	}
	if t := c.opt(4); t != nil && len(t.V) > 0 {
		scoreThr = t.V[0]
	}
	centre := c.int("center_point_box", 0) == 1
	B, C, N := scores.Shape[0], scores.Shape[1], scores.Shape[2]
	type box struct{ y1, x1, y2, x2, area float64 }
	var sel []float64
	for b := range B {
		bx := make([]box, N)
		for i := range N {
			v := boxes.V[(b*N+i)*4 : (b*N+i)*4+4]
			var y1, x1, y2, x2 float64
			if centre {
				x1, x2 = v[0]-v[2]/2, v[0]+v[2]/2
				y1, y2 = v[1]-v[3]/2, v[1]+v[3]/2
			} else {
				y1, x1, y2, x2 = math.Min(v[0], v[2]), math.Min(v[1], v[3]), math.Max(v[0], v[2]), math.Max(v[1], v[3])
			}
			bx[i] = box{y1, x1, y2, x2, (y2 - y1) * (x2 - x1)}
		}
		iou := func(a, b box) float64 {
			if a.area <= 0 || b.area <= 0 {
				return 0
			}
			h := math.Min(a.y2, b.y2) - math.Max(a.y1, b.y1)
			w := math.Min(a.x2, b.x2) - math.Max(a.x1, b.x1)
			if h <= 0 || w <= 0 {
				return 0
			}
			in := h * w
			return in / (a.area + b.area - in)
		}
		for cl := range C {
			sc := scores.V[(b*C+cl)*N : (b*C+cl+1)*N]
			var cand []int
			for i, s := range sc {
				if s > scoreThr {
					cand = append(cand, i)
				}
			}
			sort.SliceStable(cand, func(p, q int) bool { return sc[cand[p]] > sc[cand[q]] })
			var kept []int
			for _, i := range cand {
				if len(kept) >= maxOut {
					break
				}
				ok := true
				for _, k := range kept {
					if iou(bx[i], bx[k]) > iouThr {
						ok = false
						break
					}
				}
				if ok {
					kept = append(kept, i)
					sel = append(sel, float64(b), float64(cl), float64(i))
				}
			}
		}
	}
	t := New(Int64, len(sel)/3, 3)
	copy(t.V, sel)
	return one(t, nil)
}
