package reference

import (
	"math/rand/v2"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// A 3×3 conv (pad 1, bias 0.5) on a 4×4 input 1..16 with weights
// [[1,0,0],[0,2,0],[0,0,-1]]: out[y][x] = X[y-1][x-1] + 2·X[y][x] − X[y+1][x+1] + 0.5,
// worked out by hand.
func TestConvHand3x3(t *testing.T) {
	x := seq(1, 1, 1, 1, 4, 4)
	w := tensorOf([]int{1, 1, 3, 3}, 1, 0, 0, 0, 2, 0, 0, 0, -1)
	b := tensorOf([]int{1}, 0.5)
	got := evalOp(t, ir.OpConv, ir.ConvAttrs(1, 1, 1), x, w, b)
	expect(t, "conv3x3", got, []int{1, 1, 4, 4}, 0,
		-3.5, -2.5, -1.5, 8.5,
		0.5, 2.5, 4.5, 19.5,
		4.5, 10.5, 12.5, 31.5,
		26.5, 37.5, 40.5, 43.5)
	// Without the bias input the same sums lose the 0.5.
	got = evalOp(t, ir.OpConv, ir.ConvAttrs(1, 0, 1), x, w)
	expect(t, "conv3x3 no pad", got, []int{1, 1, 2, 2}, 0, 1+12-11, 2+14-12, 5+20-15, 6+22-16)
}

// Depthwise 2×2 on two 3×3 channels (group 2), by hand.
func TestConvHandDepthwise(t *testing.T) {
	x := tensorOf([]int{1, 2, 3, 3},
		1, 2, 3, 4, 5, 6, 7, 8, 9,
		1, 0, 0, 0, 2, 0, 0, 0, 3)
	w := tensorOf([]int{2, 1, 2, 2},
		1, 1, 1, 1,
		0, 1, -1, 0)
	got := evalOp(t, ir.OpConv, ir.ConvAttrs(1, 0, 2), x, w)
	expect(t, "depthwise", got, []int{1, 2, 2, 2}, 0,
		12, 16, 24, 28,
		0, -2, 2, 0)
}

// 2×2 ones, stride 2, pads top 1, left 0, bottom 0, right 1 on a 5×5 input
// 0..24: each output sums the in-range taps of rows {2oy−1, 2oy} and
// columns {2ox, 2ox+1}.
func TestConvHandStride2AsymmetricPads(t *testing.T) {
	x := seq(0, 1, 1, 1, 5, 5)
	w := tensorOf([]int{1, 1, 2, 2}, 1, 1, 1, 1)
	a := ir.Attrs{Strides: [2]int{2, 2}, Pads: [4]int{1, 0, 0, 1}, Dilations: [2]int{1, 1}, Group: 1}
	got := evalOp(t, ir.OpConv, a, x, w)
	expect(t, "stride2", got, []int{1, 1, 3, 3}, 0,
		0+1, 2+3, 4,
		5+6+10+11, 7+8+12+13, 9+14,
		15+16+20+21, 17+18+22+23, 19+24)
}

// The fused epilogue order: bias, then residual, then activation.
// 1×1 conv with weight 2 and bias 1 on [-3, 0, 1, 2.5] gives [-5, 1, 3, 6];
// adding residual 1 gives [-4, 2, 4, 7]; ReLU6 gives [0, 2, 4, 6].
// Activating before the residual would give [1, 2, 4, 7].
func TestConvFusedEpilogueOrder(t *testing.T) {
	x := tensorOf([]int{1, 1, 2, 2}, -3, 0, 1, 2.5)
	w := tensorOf([]int{1, 1, 1, 1}, 2)
	b := tensorOf([]int{1}, 1)
	r := tensorOf([]int{1, 1, 2, 2}, 1, 1, 1, 1)
	a := ir.ConvAttrs(1, 0, 1)
	a.Fused = ir.Epilogue{Act: ir.ActClip, Min: 0, Max: 6, Residual: true}
	got := evalOp(t, ir.OpConv, a, x, w, b, r)
	expect(t, "fused", got, []int{1, 1, 2, 2}, 0, 0, 2, 4, 6)

	// No bias, residual still at input 3.
	got = evalOp(t, ir.OpConv, a, x, w, nil, r)
	expect(t, "fused no bias", got, []int{1, 1, 2, 2}, 0, 0, 1, 3, 6)

	// A NaN input stays NaN through the fused ReLU6.
	x.Data[1] = nan32
	got = evalOp(t, ir.OpConv, a, x, w, b, r)
	expect(t, "fused NaN", got, []int{1, 1, 2, 2}, 0, 0, nan32, 4, 6)
}

// scatterConv is an independent convolution written the other way round:
// it walks every input element and every weight tap and adds the product
// to the output it contributes to (instead of gathering per output).
func scatterConv(a ir.Attrs, x, w, b *ir.Tensor) *ir.Tensor {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, cg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	sh, sw := a.Strides[0], a.Strides[1]
	dh, dw := a.Dilations[0], a.Dilations[1]
	ekh, ekw := dh*(kh-1)+1, dw*(kw-1)+1
	oh := (h+a.Pads[0]+a.Pads[2]-ekh)/sh + 1
	ow := (wd+a.Pads[1]+a.Pads[3]-ekw)/sw + 1
	acc := make([]float64, n*m*oh*ow)
	mg := m / a.Group
	for bi := 0; bi < n; bi++ {
		for ic := 0; ic < c; ic++ {
			g := ic / cg
			for iy := 0; iy < h; iy++ {
				for ix := 0; ix < wd; ix++ {
					v := float64(x.Data[((bi*c+ic)*h+iy)*wd+ix])
					for oc := g * mg; oc < (g+1)*mg; oc++ {
						for ky := 0; ky < kh; ky++ {
							py := iy + a.Pads[0] - ky*dh // = oy·sh
							if py < 0 || py%sh != 0 || py/sh >= oh {
								continue
							}
							for kx := 0; kx < kw; kx++ {
								px := ix + a.Pads[1] - kx*dw
								if px < 0 || px%sw != 0 || px/sw >= ow {
									continue
								}
								wv := float64(w.Data[((oc*cg+ic%cg)*kh+ky)*kw+kx])
								acc[((bi*m+oc)*oh+py/sh)*ow+px/sw] += v * wv
							}
						}
					}
				}
			}
		}
	}
	out := ir.NewTensor(n, m, oh, ow)
	for i := range acc {
		if b != nil {
			acc[i] += float64(b.Data[(i/(oh*ow))%m])
		}
		out.Data[i] = float32(acc[i])
	}
	return out
}

// Random convolutions (groups, asymmetric pads, strides, dilations, with and
// without bias) against scatterConv.
func TestConvAgainstScatter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		group := []int{1, 2, 3}[r.IntN(3)]
		cg := 1 + r.IntN(3)
		mg := 1 + r.IntN(3)
		k := [2]int{1 + r.IntN(3), 1 + r.IntN(3)}
		a := ir.Attrs{
			Strides:   [2]int{1 + r.IntN(4), 1 + r.IntN(3)},
			Dilations: [2]int{1 + r.IntN(2), 1 + r.IntN(3)},
			// Pads up to 4 exceed small kernels: some outputs see only padding.
			Pads:  [4]int{r.IntN(5), r.IntN(3), r.IntN(5), r.IntN(3)},
			Group: group,
		}
		n := 1 + r.IntN(2)
		h, wd := 5+r.IntN(4), 5+r.IntN(4)
		if a.Dilations[0]*(k[0]-1)+1 > h+a.Pads[0]+a.Pads[2] || a.Dilations[1]*(k[1]-1)+1 > wd+a.Pads[1]+a.Pads[3] {
			continue // the dilated kernel does not fit: no output
		}
		x := random(r, n, group*cg, h, wd)
		w := random(r, group*mg, cg, k[0], k[1])
		var b *ir.Tensor
		if r.IntN(2) == 0 {
			b = random(r, group*mg)
		}
		got := evalOp(t, ir.OpConv, a, x, w, b)
		want := scatterConv(a, x, w, b)
		if !got.Shape.Equal(want.Shape) {
			t.Fatalf("trial %d %+v: shape %v, want %v", trial, a, got.Shape, want.Shape)
		}
		expectClose(t, "conv vs scatter", got, want, 1e-6)
	}
}

// Dilation 2 on a 5×5 input 0..24 with a 2×2 kernel [[1,10],[100,1000]]:
// out[y][x] = X[y][x] + 10·X[y][x+2] + 100·X[y+2][x] + 1000·X[y+2][x+2],
// a 3×3 output.
func TestConvHandDilation(t *testing.T) {
	x := seq(0, 1, 1, 1, 5, 5)
	w := tensorOf([]int{1, 1, 2, 2}, 1, 10, 100, 1000)
	a := ir.ConvAttrs(1, 0, 1)
	a.Dilations = [2]int{2, 2}
	got := evalOp(t, ir.OpConv, a, x, w)
	want := make([]float32, 9)
	for y := 0; y < 3; y++ {
		for xx := 0; xx < 3; xx++ {
			p := float32(5*y + xx)
			want[y*3+xx] = p + 10*(p+2) + 100*(p+10) + 1000*(p+12)
		}
	}
	expect(t, "dilated", got, []int{1, 1, 3, 3}, 0, want...)
}
