package reference

import (
	"math/rand/v2"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// The article's depthwise-separable example: a 112×112×64 input through a
// depthwise 3×3 (64 groups, pad 1) and then a pointwise 1×1 to 128 channels,
// run as a graph, equals the two convolutions written out directly here.
func TestArticleDepthwiseSeparable(t *testing.T) {
	const c, n, hw, k = 64, 128, 112, 3
	// The article's cost comparison, from these shapes (MACs).
	if std, sep := k*k*c*n*hw*hw, k*k*c*hw*hw+c*n*hw*hw; std != 924_844_032 || sep != 109_985_792 {
		t.Errorf("MACs: standard %d, separable %d; want 924,844,032 and 109,985,792", std, sep)
	}

	r := rand.New(rand.NewPCG(11, 12))
	x := FixedInput(1, c, hw, hw)
	dwW := random(r, c, 1, k, k)
	pwW := random(r, n, c, 1, 1)

	g := ir.New("article")
	in := g.AddInput("x", 1, c, hw, hw)
	dw := g.AddNode(ir.OpConv, "dw", ir.ConvAttrs(1, 1, c), in, g.AddConst("dw_w", dwW))
	pw := g.AddNode(ir.OpConv, "pw", ir.ConvAttrs(1, 0, 1), dw, g.AddConst("pw_w", pwW))
	g.SetOutputs(pw)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	out, err := Run(g, map[string]*ir.Tensor{"x": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := out["pw"]
	if !got.Shape.Equal(ir.Shape{1, n, hw, hw}) {
		t.Fatalf("output shape %v, want [1 128 112 112]", got.Shape)
	}

	// Depthwise: each channel filtered by its own 3×3, zero outside.
	mid := make([]float32, c*hw*hw)
	for ch := 0; ch < c; ch++ {
		for y := 0; y < hw; y++ {
			for xx := 0; xx < hw; xx++ {
				var s float64
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						if y+dy >= 0 && y+dy < hw && xx+dx >= 0 && xx+dx < hw {
							s += float64(x.Data[(ch*hw+y+dy)*hw+xx+dx]) * float64(dwW.Data[ch*9+(dy+1)*3+dx+1])
						}
					}
				}
				mid[(ch*hw+y)*hw+xx] = float32(s)
			}
		}
	}
	// Pointwise: out[o] = Σ_c w[o][c]·mid[c], as whole-plane updates.
	want := ir.NewTensor(1, n, hw, hw)
	acc := make([]float64, hw*hw)
	for o := 0; o < n; o++ {
		clear(acc)
		for ch := 0; ch < c; ch++ {
			wv := float64(pwW.Data[o*c+ch])
			for p, v := range mid[ch*hw*hw : (ch+1)*hw*hw] {
				acc[p] += wv * float64(v)
			}
		}
		for p, s := range acc {
			want.Data[o*hw*hw+p] = float32(s)
		}
	}
	expectClose(t, "dw+pw", got, want, 1e-6)
}
