package plan

import (
	"fmt"

	"github.com/mnc-go/mnc/kernels"
)

// A fused block with squeeze-and-excitation (format version 12) holds
// Sub = [expand KindGemm,] KindDWConv, fc1 KindGemm, fc2 KindGemm, project
// KindGemm: the depthwise output D is pooled per channel (the global
// average pool is implied), fc1 and fc2 (their fused activations: the
// squeeze and the gate) make the channel scale s, and the project reads
// D·s. fc1 and fc2 read and write [N, C, 1, 1] vectors. The runtime keeps
// one image's whole D in a thread's scratch (the pool needs every row
// before the first row can be projected): it runs one image per thread,
// or an image split over the threads, its D in one thread's scratch.

// IsSEBlock reports whether s is a fused block with squeeze-and-excitation.
func IsSEBlock(s *Step) bool { return s.Kind == KindBlock && len(s.Sub) >= 4 }

// SEDepthwise is the index of an SE block's depthwise step in Sub.
func SEDepthwise(s *Step) int { return len(s.Sub) - 4 }

// SELayout is where an SE block's per-thread scratch puts its buffers
// (offsets in floats from the thread's scratch start).
type SELayout struct {
	E, D, Pool, Hidden, Scale, W int
	Total                        int
}

// SEFoldsScale reports whether an SE block multiplies the channel scale
// into (a per-image copy of) the project's packed weights, k×n floats,
// rather than into its depthwise output, oh·ow×k floats: when the weights
// are the smaller by far (the weight copy is a scalar loop, the depthwise
// output's scale a SIMD kernel).
func SEFoldsScale(oh, ow, n int) bool { return 8*n <= oh*ow }

// SEBlockLayout computes an SE block's scratch layout for bands of band
// output rows.
func SEBlockLayout(set *kernels.Set, s *Step, band int) (SELayout, error) {
	var l SELayout
	if !IsSEBlock(s) || len(s.Sub) > 5 {
		return l, fmt.Errorf("not a fused SE block (%d steps)", len(s.Sub))
	}
	d := SEDepthwise(s)
	dp, err := DWParams(&s.Sub[d])
	if err != nil {
		return l, fmt.Errorf("depthwise: %w", err)
	}
	if band < 1 || band > dp.OH {
		return l, fmt.Errorf("band of %d rows for %d output rows", band, dp.OH)
	}
	_, n1, _, err := GemmDims(&s.Sub[d+1])
	if err != nil {
		return l, fmt.Errorf("fc1: %w", err)
	}
	_, n, k, err := GemmDims(&s.Sub[d+3])
	if err != nil {
		return l, fmt.Errorf("project: %w", err)
	}
	r16 := func(n int) int { return (n + 15) &^ 15 }
	at := 0
	if d == 1 {
		// The expanded rows of about two bands (runtime/block_se.go).
		l.E = at
		at += r16(min(dp.H, 2*((band-1)*dp.SH+dp.KH)) * dp.W * dp.C)
	}
	l.D = at
	at += r16(dp.OH * dp.OW * dp.C)
	l.Pool, at = at, at+r16(dp.C)
	l.Hidden, at = at, at+r16(n1)
	l.Scale, at = at, at+r16(dp.C)
	l.W = at
	if SEFoldsScale(dp.OH, dp.OW, n) {
		at += r16(set.PackedGemmSize(n, k))
	}
	l.Total = at
	return l, nil
}

// checkSEBlock checks a fused SE block's steps (see IsSEBlock).
func (p *Plan) checkSEBlock(s *Step) error {
	if len(s.Sub) > 5 {
		return fmt.Errorf("fused SE block has %d steps, want 4 or 5", len(s.Sub))
	}
	if len(s.Out.Shape) != 4 || len(s.In[0].Shape) != 4 || !s.Out.NHWC || !s.In[0].NHWC {
		return fmt.Errorf("fused block operands must be 4-D NHWC")
	}
	if s.Band < 1 || s.Band > s.Out.Shape[2] {
		return fmt.Errorf("band of %d rows is out of range", s.Band)
	}
	d := SEDepthwise(s)
	want := []Kind{KindGemm, KindDWConv, KindGemm, KindGemm, KindGemm}[1-d:]
	for i := range s.Sub {
		t := &s.Sub[i]
		if t.Kind != want[i] || len(t.In) != 1 || len(t.Sub) > 0 || t.InPlace || t.Band != 0 {
			return fmt.Errorf("fused step %d (%s with %d inputs) does not fit an SE block", i, t.Kind, len(t.In))
		}
		for _, o := range []Operand{t.In[0], t.Out} {
			q := o
			q.Off = 0
			if len(q.Shape) != 4 {
				return fmt.Errorf("fused step %d: operands must be 4-D", i)
			}
			if err := (&Plan{ArenaSize: maxArena}).checkOperand(q); err != nil {
				return fmt.Errorf("fused step %d: %w", i, err)
			}
		}
		if len(t.Consts) != 2 || t.Consts[0] == NoBlob {
			return fmt.Errorf("fused step %d has %d constants, want weights and bias", i, len(t.Consts))
		}
		for _, b := range t.Consts {
			if b != NoBlob && (b < 0 || b >= len(p.Blobs)) {
				return fmt.Errorf("fused step %d names blob %d of %d", i, b, len(p.Blobs))
			}
		}
	}
	dw, fc1, fc2, pj := &s.Sub[d], &s.Sub[d+1], &s.Sub[d+2], &s.Sub[d+3]
	x := s.In[0].Shape
	if d == 1 {
		if !s.Sub[0].In[0].Shape.Equal(x) || !s.Sub[0].In[0].NHWC || !s.Sub[0].Out.NHWC {
			return fmt.Errorf("expand reads %v, the block's input is %v", s.Sub[0].In[0].Shape, x)
		}
		x = s.Sub[0].Out.Shape
	}
	y := dw.Out.Shape
	vec := func(o Operand, c int) bool { return o.Shape.Equal([]int{y[0], c, 1, 1}) }
	switch {
	case !dw.In[0].Shape.Equal(x) || !dw.In[0].NHWC || !dw.Out.NHWC:
		return fmt.Errorf("depthwise reads %v, the block makes %v", dw.In[0].Shape, x)
	case !vec(fc1.In[0], y[1]) || len(fc1.Out.Shape) != 4 || !vec(fc1.Out, fc1.Out.Shape[1]):
		return fmt.Errorf("fc1 %v -> %v does not squeeze %v", fc1.In[0].Shape, fc1.Out.Shape, y)
	case !fc2.In[0].Shape.Equal(fc1.Out.Shape) || !vec(fc2.Out, y[1]):
		return fmt.Errorf("fc2 %v -> %v does not excite %v", fc2.In[0].Shape, fc2.Out.Shape, y)
	case !pj.In[0].Shape.Equal(y) || !pj.In[0].NHWC || !pj.Out.NHWC || !pj.Out.Shape.Equal(s.Out.Shape):
		return fmt.Errorf("project %v -> %v does not fit the depthwise output %v and the block's output %v", pj.In[0].Shape, pj.Out.Shape, y, s.Out.Shape)
	}
	if len(s.In) > 1 && (!s.In[1].Shape.Equal(s.Out.Shape) || !s.In[1].NHWC) {
		return fmt.Errorf("residual %v does not match the output %v", s.In[1].Shape, s.Out.Shape)
	}
	if s.InPlace {
		return fmt.Errorf("a fused block cannot run in place")
	}
	return nil
}
